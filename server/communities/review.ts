import * as Y from 'yjs';
import { localDay } from '../../src/lib/domain/dates';
import { buildTrend, type PaperSessionInput, type RevealedSessionInput, type TrendSession } from '../../src/lib/domain/community';
import { reviewItems, type EarlierBoard, type ReviewItem } from '../../src/lib/domain/review';
import type { ActionRecord } from '../../src/lib/domain/action-points';
import { boundText } from '../../src/lib/domain/text';
import { LIMITS } from '../../src/lib/protocol';
import { textsMap } from '../../src/lib/board/actions';
import type { CommunitySessionRow, SessionRecord, Store } from '../store/types';
import type { CommunityContext } from '../sessions/projections';
import type { CommunityReviews } from './review-book';

/** Earlier action points one review lists at most (the newest sessions' when there are more). */
export const REVIEW_ITEMS_MAX = 200;
/**
 * Earlier sessions a review looks back on: the latest ones (two years of monthly meetings).
 * Bounds the work of loading a room; a point left open longer than that is no longer on the agenda.
 */
export const REVIEW_SESSIONS_MAX = 24;

/**
 * What a session of a community needs from its community when its room loads:
 * the community's name and the review list (the open action points of the
 * sessions created before it, with their texts and this session's own review
 * decisions). Null for a session on its own. Work is bounded by the community's
 * sessions: boards without an open point are never decoded.
 */
export async function loadCommunityContext(
  store: Store,
  session: SessionRecord,
  factorCount: number,
  /** The community service's books: the decisions read here seed the community's one book, which the session then reads through. */
  books: CommunityReviews
): Promise<CommunityContext | null> {
  if (!session.communityId) return null;
  const community = await store.loadCommunity(session.communityId);
  if (!community) return null;
  const sessions = await store.listCommunitySessions(community.id);
  const earlierRows = sessions
    .filter((s) => s.id !== session.id && (s.createdAt < session.createdAt || (s.createdAt === session.createdAt && s.id < session.id)))
    .slice(-REVIEW_SESSIONS_MAX);
  // Only the reviews of the points listed: what the room reads stays bounded however long the community runs.
  const reviews = await store.listActionReviews(
    community.id,
    earlierRows.map((row) => row.id)
  );
  const earlier = await loadBoards(store, earlierRows);
  const listed = reviewItems(session.id, earlier, reviews, REVIEW_ITEMS_MAX).map((item) => ({
    ...item,
    text: boundText(item.text, LIMITS.actionTextMax, LIMITS.actionTextUnits)
  }));
  const originIds = new Map(earlierRows.map((row) => [row.code, row.id]));
  // "Since last time" is read before the book is opened: nothing awaited after it, so the session that opens it always closes it.
  const since = await lastTime(
    store,
    community.id,
    // A meeting continuing a check-in holds the check-in's figures as its own round 1: "since last time" is the session before.
    earlierRows.filter((row) => row.id !== session.seededFrom),
    session.createdAt,
    session.timeZone,
    factorCount
  );
  return {
    community: { id: community.id, name: community.name },
    lastTime: since,
    review: books.open(community.id, session.id, listed, originIds, reviews)
  };
}

/**
 * The community's session before this one that has results (its latest revealed
 * round as frozen, or a paper or imported session dated no later than this
 * session's day), for "since last time" on the results; null when there is none.
 * Looks back from the newest earlier session (of the at most REVIEW_SESSIONS_MAX
 * given) and stops at the first with results; of the paper sessions only the
 * latest is read, with its stored figures: the work does not grow with the community.
 */
async function lastTime(
  store: Store,
  communityId: string,
  earlierRows: readonly CommunitySessionRow[],
  before: number,
  zone: string,
  factorCount: number
): Promise<TrendSession | null> {
  let live: RevealedSessionInput | null = null;
  for (const row of [...earlierRows].reverse()) {
    const latest = await store.loadLatestRevealedRound(row.id);
    if (latest) {
      live = { code: row.code, title: row.title, revealedAt: latest.revealedAt, timeZone: row.timeZone, results: latest.results };
      break;
    }
  }
  // Paper sessions up to this session's own day where it met.
  const paper = await store.latestPaperSession(communityId, localDay(before, zone), before);
  const papers: PaperSessionInput[] = paper
    ? [
        {
          code: paper.code,
          title: paper.title,
          date: paper.date,
          createdAt: paper.createdAt,
          factors: paper.factors,
          figures: paper.figures,
          source: paper.source
        }
      ]
    : [];
  return buildTrend(live ? [live] : [], papers, factorCount).at(-1) ?? null;
}

/**
 * Every action point of a community still open: on a board, not done, and not
 * closed by any session's review (a carried-over point is listed as its copy).
 * For the calendar of due dates. Oldest session first, in board order.
 * Looks back on the same sessions a review does (the latest REVIEW_SESSIONS_MAX):
 * a point left open longer than that is on no agenda, so not in the calendar either,
 * and the work stays that of REVIEW_SESSIONS_MAX boards however long the community runs.
 */
export async function openCommunityActions(store: Store, communityId: string): Promise<ReviewItem[]> {
  const rows = (await store.listCommunitySessions(communityId)).slice(-REVIEW_SESSIONS_MAX);
  // Only boards with an open point that has a due date are decoded: the calendar shows nothing else.
  const [reviews, boards] = await Promise.all([
    store.listActionReviews(
      communityId,
      rows.map((row) => row.id)
    ),
    loadBoards(store, rows, (a) => a.due !== null)
  ]);
  return reviewItems('', boards, reviews, Number.POSITIVE_INFINITY).map((item) => ({
    ...item,
    text: boundText(item.text, LIMITS.actionTextMax, LIMITS.actionTextUnits)
  }));
}

/**
 * The boards of sessions, with texts decoded only where a point is still open
 * (and, when `wanted` is given, is one the caller wants): decoding a board
 * replays its stored Yjs updates, the costly part.
 */
async function loadBoards(store: Store, rows: readonly CommunitySessionRow[], wanted: (a: ActionRecord) => boolean = () => true): Promise<EarlierBoard[]> {
  const boards: EarlierBoard[] = [];
  for (const [index, row] of rows.entries()) {
    // One board decoded per turn of the event loop: a community's calendar decodes every board with a due
    // point (each up to LIMITS.yjsDocumentBytes, 2 MiB), and other requests (and /healthz) are answered in between.
    if (index > 0) await new Promise((resolve) => setImmediate(resolve));
    const actions = await store.loadActionPoints(row.id);
    const open = actions.some((a) => !a.removed && a.mergedInto === null && a.status !== 'done' && wanted(a));
    boards.push({
      id: row.id,
      code: row.code,
      title: row.title,
      date: localDay(row.createdAt, row.timeZone),
      actions,
      texts: open ? await boardTexts(store, row.id) : new Map()
    });
  }
  return boards;
}

/** The text of every action point of a session's board, read from its stored Yjs updates. */
async function boardTexts(store: Store, sessionId: string): Promise<Map<string, string>> {
  const doc = new Y.Doc({ gc: true });
  try {
    for (const update of await store.loadYjsUpdates(sessionId)) Y.applyUpdate(doc, update);
    const texts = new Map<string, string>();
    textsMap(doc).forEach((value, id) => {
      if (value instanceof Y.Text) texts.set(id, value.toString());
    });
    return texts;
  } finally {
    doc.destroy();
  }
}
