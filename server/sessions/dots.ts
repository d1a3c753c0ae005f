import { CommandError, type DotState } from '../../src/lib/protocol';
import type { DotRecord } from '../store/types';

/** Who spent how many dots on which action point; keeps everyone within their dots. */
export class DotLedger {
  /** voter → action → count */
  private readonly byVoter = new Map<string, Map<string, number>>();

  constructor(records: readonly DotRecord[] = []) {
    for (const r of records) if (r.count > 0) this.mapFor(r.voterId).set(r.actionId, r.count);
  }

  private mapFor(voterId: string): Map<string, number> {
    let map = this.byVoter.get(voterId);
    if (!map) this.byVoter.set(voterId, (map = new Map()));
    return map;
  }

  private spent(voterId: string): number {
    let total = 0;
    for (const count of this.byVoter.get(voterId)?.values() ?? []) total += count;
    return total;
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

  /** Sets a voter's count on an action (0 removes it), as stored. */
  set(voterId: string, actionId: string, count: number): void {
    const map = this.mapFor(voterId);
    if (count <= 0) map.delete(actionId);
    else map.set(actionId, count);
  }

  maxSpentByAnyone(): number {
    let max = 0;
    for (const voter of this.byVoter.keys()) max = Math.max(max, this.spent(voter));
    return max;
  }

  totals(): Record<string, number> {
    const totals: Record<string, number> = {};
    for (const map of this.byVoter.values()) for (const [action, count] of map) totals[action] = (totals[action] ?? 0) + count;
    return totals;
  }

  stateFor(voterId: string, limit: number): DotState {
    return { totals: this.totals(), mine: Object.fromEntries(this.byVoter.get(voterId) ?? []), remaining: Math.max(0, limit - this.spent(voterId)) };
  }

  removeVoter(voterId: string): void {
    this.byVoter.delete(voterId);
  }

  /**
   * Moves every voter's dots from one action to another (or drops them when
   * `to` is null). A voter's total does not change, so nobody exceeds the limit.
   * Returns the records that changed.
   */
  moveAction(from: string, to: string | null): DotRecord[] {
    const changed = this.planMove(from, to);
    for (const c of changed) this.set(c.voterId, c.actionId, c.count);
    return changed;
  }

  /** The records `moveAction` would change, without applying them. */
  planMove(from: string, to: string | null): DotRecord[] {
    const changed: DotRecord[] = [];
    for (const [voterId, map] of this.byVoter) {
      const count = map.get(from);
      if (!count) continue;
      changed.push({ voterId, actionId: from, count: 0 });
      if (to !== null) changed.push({ voterId, actionId: to, count: (map.get(to) ?? 0) + count });
    }
    return changed;
  }
}
