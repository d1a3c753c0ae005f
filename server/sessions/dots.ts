import { CommandError, type DotState, type OwnDots } from '../../src/lib/protocol';
import type { DotRecord } from '../store/types';

/** The identity that dot votes use for the facilitator. */
export const FACILITATOR_VOTER = 'facilitator';

/**
 * Which point on the board a stored dot counts for: the point itself, the point
 * it was merged into, or null when it is not on the board at all (removed).
 */
export type BoardPointOf = (actionId: string) => string | null;

/**
 * Who spent how many dots on which action point; keeps everyone within their
 * dots. Indexed both ways with running sums, so a dot costs O(1) and returning
 * the dots of a vanished point costs O(its voters), never O(everyone).
 *
 * Dots stay stored on the point they were cast on. A point merged into another
 * keeps its dots, which count for the point it is part of (`boardPointOf`), so
 * undoing the merge gives them back to the part without any record of the move.
 */
export class DotLedger {
  /** voter → action → count */
  private readonly byVoter = new Map<string, Map<string, number>>();
  /** action → voter → count */
  private readonly byAction = new Map<string, Map<string, number>>();
  private readonly spentBy = new Map<string, number>();
  private readonly totalOf = new Map<string, number>();

  constructor(
    records: readonly DotRecord[] = [],
    private readonly boardPointOf: BoardPointOf = (actionId) => actionId
  ) {
    for (const r of records) if (r.count > 0) this.set(r.voterId, r.actionId, r.count);
  }

  /** Sets a voter's count on an action (0 removes it), as stored. */
  set(voterId: string, actionId: string, count: number): void {
    const before = this.byVoter.get(voterId)?.get(actionId) ?? 0;
    const diff = count - before;
    if (diff === 0) return;
    const byVoter = this.byVoter.get(voterId) ?? new Map<string, number>();
    const byAction = this.byAction.get(actionId) ?? new Map<string, number>();
    if (count === 0) {
      byVoter.delete(actionId);
      byAction.delete(voterId);
    } else {
      byVoter.set(actionId, count);
      byAction.set(voterId, count);
    }
    if (byVoter.size > 0) this.byVoter.set(voterId, byVoter);
    else this.byVoter.delete(voterId);
    if (byAction.size > 0) this.byAction.set(actionId, byAction);
    else this.byAction.delete(actionId);
    const spent = (this.spentBy.get(voterId) ?? 0) + diff;
    if (spent > 0) this.spentBy.set(voterId, spent);
    else this.spentBy.delete(voterId);
    const total = (this.totalOf.get(actionId) ?? 0) + diff;
    if (total > 0) this.totalOf.set(actionId, total);
    else this.totalOf.delete(actionId);
  }

  spent(voterId: string): number {
    return this.spentBy.get(voterId) ?? 0;
  }

  /** Applies +1 or −1 and returns the voter's new count on that action. */
  apply(voterId: string, actionId: string, delta: 1 | -1, limit: number): number {
    const next = this.next(voterId, actionId, delta, limit);
    this.set(voterId, actionId, next);
    return next;
  }

  /** The voter's count on that action after +1 or −1, checked but not applied (the store writes it first). */
  next(voterId: string, actionId: string, delta: 1 | -1, limit: number): number {
    const current = this.byVoter.get(voterId)?.get(actionId) ?? 0;
    if (delta > 0 && this.spent(voterId) >= limit) throw new CommandError('no_dots_left', `You have spent all ${limit} of your dots; take one back first.`);
    if (delta < 0 && current === 0) throw new CommandError('bad_request', 'You have no dot on that action point to take back.');
    return current + delta;
  }

  maxSpentByAnyone(): number {
    let max = 0;
    for (const spent of this.spentBy.values()) max = Math.max(max, spent);
    return max;
  }

  /** A voter's stored count on exactly that point (not its parts). */
  countOf(voterId: string, actionId: string): number {
    return this.byVoter.get(voterId)?.get(actionId) ?? 0;
  }

  /**
   * Where a voter's dot on a board point is taken back from: the point itself
   * while it holds one of theirs, else a part merged into it that does (O(their dots)).
   */
  heldOn(voterId: string, boardPoint: string): string | null {
    if (this.countOf(voterId, boardPoint) > 0) return boardPoint;
    for (const [actionId, count] of this.byVoter.get(voterId) ?? []) {
      if (count > 0 && actionId !== boardPoint && this.boardPointOf(actionId) === boardPoint) return actionId;
    }
    return null;
  }

  /** The total of one board point, the dots on its merged parts included (what a dot's ack carries). */
  totalFor(boardPoint: string): number {
    let total = 0;
    for (const [actionId, count] of this.totalOf) if (this.boardPointOf(actionId) === boardPoint) total += count;
    return total;
  }

  /** Totals per board point, the dots on merged parts counted for the point they are part of. */
  totals(): Record<string, number> {
    return sumByBoardPoint(this.totalOf, this.boardPointOf);
  }

  own(voterId: string, limit: number): OwnDots {
    return { mine: sumByBoardPoint(this.byVoter.get(voterId) ?? new Map(), this.boardPointOf), remaining: Math.max(0, limit - this.spent(voterId)) };
  }

  /** Totals with one voter's own dots (the facilitator's view; participants may get the totals hidden). */
  stateFor(voterId: string, limit: number): DotState {
    return { totals: this.totals(), ...this.own(voterId, limit) };
  }

  /** Drops a voter's dots (participant removed); returns the actions whose totals changed. */
  removeVoter(voterId: string): string[] {
    const actions = [...(this.byVoter.get(voterId)?.keys() ?? [])];
    for (const actionId of actions) this.set(voterId, actionId, 0);
    return actions;
  }

  /** Who has dots stored on exactly that point. */
  votersOn(actionId: string): string[] {
    return [...(this.byAction.get(actionId)?.keys() ?? [])];
  }

  /** Every action point somebody has dots on. */
  actionsWithDots(): string[] {
    return [...this.byAction.keys()];
  }

  /**
   * Gives back every dot spent on an action point (one that is no longer on the
   * board). Returns the records that changed (count 0), for the store.
   */
  returnAction(actionId: string): DotRecord[] {
    const changed = this.planReturn(actionId);
    for (const c of changed) this.set(c.voterId, c.actionId, 0);
    return changed;
  }

  /** The records `returnAction` would change, without applying them (the store writes them first). */
  planReturn(actionId: string): DotRecord[] {
    return [...(this.byAction.get(actionId)?.keys() ?? [])].map((voterId) => ({ voterId, actionId, count: 0 }));
  }
}

/** Adds counts up per board point; counts on points that are not on the board are left out. */
function sumByBoardPoint(counts: ReadonlyMap<string, number>, boardPointOf: BoardPointOf): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const [actionId, count] of counts) {
    const point = boardPointOf(actionId);
    if (point !== null) sums[point] = (sums[point] ?? 0) + count;
  }
  return sums;
}
