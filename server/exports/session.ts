/**
 * A live session's exports, assembled in one place from what the session holds (its room's record,
 * results, ballots and action structure, and the board document's texts), so the HTTP layer only
 * authorises, picks a format and writes the bytes.
 */
import { boardPoints } from '../../src/lib/board/actions';
import { inCalendar } from '../../src/lib/domain/action-points';
import { buildExport, markdownChunks } from '../../src/lib/domain/export';
import { exportWords } from '../../src/lib/i18n/catalogues';
import { boundText } from '../../src/lib/domain/text';
import { LIMITS } from '../../src/lib/protocol';
import type { LiveSession } from '../sessions/live-session';
import { actionDetails, actionsCalendarParts } from './calendar';

/**
 * What every session export is built from. Each text a client wrote is cut to its limits again here
 * (cheaply: code units first; action texts in boardPoints, review texts when the review is loaded),
 * so what an export costs is bounded by the limits even for a database written before they counted units.
 */
export async function exportData(live: LiveSession) {
  const doc = await live.doc();
  const room = live.room;
  const record = room.record;
  const title = (t: string) => boundText(t, LIMITS.titleMax, LIMITS.titleUnits);
  const owner = (t: string) => boundText(t, LIMITS.ownerMax, LIMITS.ownerUnits);
  const comment = (t: string) => boundText(t, LIMITS.commentMax, LIMITS.commentUnits);
  return buildExport({
    session: {
      code: record.code,
      title: title(record.title),
      language: record.language,
      phase: record.phase,
      createdAt: record.createdAt,
      timeZone: record.timeZone
    },
    participants: room.summary().participants,
    framework: room.framework,
    results: room.rounds.results().map((r) => (r.comments ? { ...r, comments: r.comments.map((list) => list.map(comment)) } : r)),
    actions: boardPoints(doc.doc, room.actionBoard.actionViews()).map((p) => (p.owner === null ? p : { ...p, owner: owner(p.owner) })),
    dotTotals: room.actionBoard.dots.totals(),
    review: room.review.items()?.map((i) => ({ ...i, sessionTitle: title(i.sessionTitle), owner: i.owner === null ? null : owner(i.owner) }))
  });
}

/** Ballot rows for the exports, each group named as people read it, in the session's language. */
export function ballotsOf(live: LiveSession) {
  const room = live.room;
  const groups = room.framework.stakeholderGroups;
  return room.rounds
    .revealedBallots()
    .map((b) => ({ ...b, group: b.group ? (groups.find((g) => g.id === b.group)?.title[room.record.language] ?? b.group) : null }));
}

/** Open action points of the session with a due date, as calendar file parts (written slice by slice). */
export async function calendarOf(live: LiveSession) {
  const room = live.room;
  const lang = room.record.language;
  const points = boardPoints((await live.doc()).doc, room.actionBoard.actionViews());
  const due = points.filter(inCalendar).map((p) => ({
    uid: `${room.code}-${p.id}@seeds-live-board`,
    text: p.text,
    due: p.due,
    details: actionDetails(p, room.framework, lang, room.record.title)
  }));
  return actionsCalendarParts(due, room.record.title);
}

/** The Markdown export, a chunk of lines at a time. */
export function markdownOf(live: LiveSession, data: Awaited<ReturnType<typeof exportData>>) {
  return markdownChunks(data, live.room.framework, exportWords(data.session.language));
}
