/**
 * The review at the start of a community's next session: the action points
 * earlier sessions left open are listed, and the group marks each done, doing,
 * dropped or carried over (carried-over points go onto the new board, linked
 * to where they came from). Pure: the server feeds it stored records.
 */
import type { ActionRecord, ActionStatus } from './action-points';

/** What the group can say about an earlier action point. */
export const REVIEW_STATUSES = ['done', 'doing', 'dropped', 'carried'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/**
 * Statuses that close an action point for later reviews: it was finished,
 * given up, or continues as the carried-over copy (which is reviewed in its place).
 */
export const CLOSING_REVIEW_STATUSES = ['done', 'dropped', 'carried'] as const satisfies readonly ReviewStatus[];
const CLOSING: ReadonlySet<ReviewStatus> = new Set(CLOSING_REVIEW_STATUSES);

/** A review decision, as stored: one per reviewing session and origin point. */
export interface ActionReviewRecord {
  /** The session whose review marked it. */
  reviewingSessionId: string;
  /** The session the action point belongs to. */
  originSessionId: string;
  actionId: string;
  status: ReviewStatus;
  /** The id of the carried-over point on the reviewing session's board, while (or since) it was carried. */
  carriedActionId: string | null;
  /** Epoch ms. */
  reviewedAt: number;
}

/** One earlier action point as the review lists it. */
export interface ReviewItem {
  /** `<origin session code>/<action id>`: what the `review:set` command and a carried point's `origin` name. */
  key: string;
  sessionCode: string;
  sessionTitle: string;
  /** YYYY-MM-DD: the day the origin session was created. */
  sessionDate: string;
  actionId: string;
  factor: number | null;
  text: string;
  owner: string | null;
  /** YYYY-MM-DD or null. */
  due: string | null;
  /** Its status on its own board when that session ended (open or doing). */
  boardStatus: ActionStatus;
  /** What this session's review said, or null while not reviewed. */
  review: ReviewStatus | null;
  /** The id of the carried-over point on this session's board, or null. */
  carriedTo: string | null;
  /**
   * A closing decision (done, dropped, carried) another session of the community made on this point since this
   * list was drawn up, or null: it can no longer be decided here (unless that session takes it back).
   */
  decidedElsewhere: ReviewStatus | null;
}

/** An earlier session of the community with its board, as the server loaded it. */
export interface EarlierBoard {
  id: string;
  code: string;
  title: string;
  date: string;
  actions: readonly ActionRecord[];
  /** The text of each point by id (its own text; merged parts are separate points). */
  texts: ReadonlyMap<string, string>;
}

/** The key a review item and a carried point's `origin` use. */
export function reviewKey(sessionCode: string, actionId: string): string {
  return `${sessionCode}/${actionId}`;
}

/**
 * The points still open from earlier sessions, oldest session first and in board
 * order: on the board (not removed, not merged into another), not done, and not
 * closed by the review of another session. This session's own reviews are kept
 * on the items, so the list stays the same while the group works through it.
 * At most `limit` items (the newest sessions' when there are more).
 */
export function reviewItems(sessionId: string, earlier: readonly EarlierBoard[], reviews: readonly ActionReviewRecord[], limit: number): ReviewItem[] {
  const closedElsewhere = new Set<string>();
  const mine = new Map<string, ActionReviewRecord>();
  for (const r of reviews) {
    const key = `${r.originSessionId}/${r.actionId}`;
    if (r.reviewingSessionId === sessionId) mine.set(key, r);
    else if (CLOSING.has(r.status)) closedElsewhere.add(key);
  }
  const items: ReviewItem[] = [];
  for (const board of earlier) {
    if (board.id === sessionId) continue;
    const points = [...board.actions].sort((a, b) => a.position - b.position || a.createdAt - b.createdAt);
    for (const point of points) {
      if (point.removed || point.mergedInto !== null || point.status === 'done') continue;
      const stored = `${board.id}/${point.id}`;
      if (closedElsewhere.has(stored)) continue;
      const review = mine.get(stored) ?? null;
      items.push({
        key: reviewKey(board.code, point.id),
        sessionCode: board.code,
        sessionTitle: board.title,
        sessionDate: board.date,
        actionId: point.id,
        factor: point.factor,
        text: mergedText(point, points, board.texts),
        owner: point.owner.trim() === '' ? null : point.owner,
        due: point.due,
        boardStatus: point.status,
        review: review?.status ?? null,
        carriedTo: review?.carriedActionId ?? null,
        decidedElsewhere: null
      });
    }
  }
  return items.length > limit ? items.slice(items.length - limit) : items;
}

/** A point's text followed by the texts of the parts merged into it, one per line (as the exports show it). */
function mergedText(point: ActionRecord, points: readonly ActionRecord[], texts: ReadonlyMap<string, string>): string {
  const parts = points.filter((p) => p.mergedInto === point.id && !p.removed);
  return [texts.get(point.id) ?? '', ...parts.map((p) => texts.get(p.id) ?? '')].filter((t) => t.trim() !== '').join('\n');
}

/** Counts per review status (and not yet reviewed), for the agenda's "since last time" line. */
export function reviewTally(items: readonly ReviewItem[]): Record<ReviewStatus | 'open', number> {
  const tally: Record<ReviewStatus | 'open', number> = { done: 0, doing: 0, dropped: 0, carried: 0, open: 0 };
  for (const item of items) tally[item.review ?? 'open']++;
  return tally;
}
