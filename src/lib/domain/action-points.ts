/**
 * The structure of the action board, decided by the server: which action points
 * exist, in which order, for which factor, with which owner, due date and status,
 * and which were merged or removed. The free text of each point lives in the
 * Yjs document (one Y.Text per point id); nothing here touches it, so moving or
 * merging never recreates a text and no concurrent edit can be lost.
 *
 * Pure: no I/O. Every change returns the records it changed, for the caller to
 * persist and broadcast, or throws an ActionRuleError that the server turns into
 * a typed refusal.
 */
/** What an action point's status can be; the protocol re-exports these. */
export const ACTION_STATUSES = ['open', 'doing', 'done'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** An action point as exported and reported: its structure with the text it has now. */
export interface ActionPoint {
  id: string;
  factor: number | null;
  text: string;
  owner: string | null;
  due: string | null;
  status: ActionStatus;
  createdAt: number;
}

/** Whether a (live: not removed or merged) point goes into the calendar export: open, with a due date. */
export function inCalendar<P extends { due: string | null; status: ActionStatus }>(point: P): point is P & { due: string } {
  return point.due !== null && point.status !== 'done';
}

/** Who does something on the board: the facilitator or one participant (by id). */
export type Actor = { role: 'facilitator' } | { role: 'participant'; participantId: string };

/** The id recorded as the creator when the facilitator adds a point. */
export const FACILITATOR_ACTOR = 'facilitator';

export interface ActionRecord {
  /** Chosen by the creating client, so a retried command is recognised and not applied twice. */
  id: string;
  factor: number | null;
  /** Sort key on the board; unique among points, renumbered on move. */
  position: number;
  owner: string;
  /** YYYY-MM-DD or null. */
  due: string | null;
  status: ActionStatus;
  /** Participant id, or `facilitator`. */
  createdBy: string;
  createdAt: number;
  /** Set when this point was merged into another; its text stays and is listed as a part of that one. */
  mergedInto: string | null;
  /** Removed by the facilitator (kept so the removal can be undone). */
  removed: boolean;
  /** For a point carried over from an earlier session: where it came from. */
  origin: string | null;
}

export type ActionRuleCode = 'forbidden' | 'not_found' | 'bad_request' | 'too_large';

export class ActionRuleError extends Error {
  constructor(
    readonly code: ActionRuleCode,
    message: string
  ) {
    super(message);
    this.name = 'ActionRuleError';
  }
}

export interface BoardLimits {
  /** Points shown on the board at once. */
  visible: number;
  /** Points kept at all, removed and merged ones included (they can be restored). */
  total: number;
}

export interface ActionPatch {
  factor?: number | null;
  owner?: string;
  due?: string | null;
  status?: ActionStatus;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A real calendar date in YYYY-MM-DD form (not 2026-13-45). */
export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string' || !DATE.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

export function isActionStatus(value: unknown): value is ActionStatus {
  return (ACTION_STATUSES as readonly unknown[]).includes(value);
}

const actorId = (actor: Actor) => (actor.role === 'facilitator' ? FACILITATOR_ACTOR : actor.participantId);

function requireFacilitator(actor: Actor, what: string): void {
  if (actor.role !== 'facilitator') throw new ActionRuleError('forbidden', `Only the facilitator may ${what}.`);
}

/** Whether a point is on the board now (neither removed nor merged into another). */
export const isVisible = (record: ActionRecord) => !record.removed && record.mergedInto === null;

/**
 * The action points of one session. Changes keep these invariants: ids are
 * unique; a merge target is visible and never itself merged (so parts are one
 * level deep); positions of visible points are distinct.
 */
export class ActionBoardState {
  private readonly records = new Map<string, ActionRecord>();

  constructor(
    records: readonly ActionRecord[],
    private readonly limits: BoardLimits
  ) {
    for (const r of records) this.records.set(r.id, { ...r });
  }

  get(id: string): ActionRecord | undefined {
    return this.records.get(id);
  }

  /** Copies of every record, to go back to when a change could not be stored (bounded by the board's limits). */
  checkpoint(): ActionRecord[] {
    return [...this.records.values()].map((r) => ({ ...r }));
  }

  /** Goes back to a checkpoint: memory keeps only what the store has. */
  revertTo(checkpoint: readonly ActionRecord[]): void {
    this.records.clear();
    for (const r of checkpoint) this.records.set(r.id, { ...r });
  }

  /** Every record (removed and merged ones too), in board order. */
  all(): ActionRecord[] {
    return [...this.records.values()].sort((a, b) => a.position - b.position || a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  /** The points on the board now, in order. */
  visible(): ActionRecord[] {
    return this.all().filter(isVisible);
  }

  /** The points merged into `id`, in board order. */
  partsOf(id: string): ActionRecord[] {
    return this.all().filter((r) => r.mergedInto === id && !r.removed);
  }

  private visibleCount(): number {
    let n = 0;
    for (const r of this.records.values()) if (isVisible(r)) n++;
    return n;
  }

  private requireVisible(id: string): ActionRecord {
    const record = this.records.get(id);
    if (!record || !isVisible(record)) throw new ActionRuleError('not_found', 'That action point does not exist (any more).');
    return record;
  }

  private nextPosition(): number {
    let max = 0;
    for (const r of this.records.values()) max = Math.max(max, r.position);
    return max + 1;
  }

  /**
   * Adds a point. The same command sent again (same id, same creator) changes
   * nothing and answers the existing record; an id someone else used is refused,
   * so nobody can overwrite another's point by reusing its id.
   */
  create(actor: Actor, input: { id: string; factor: number | null; origin?: string | null }, now: number): { record: ActionRecord; created: boolean } {
    const existing = this.records.get(input.id);
    if (existing) {
      if (existing.createdBy !== actorId(actor)) throw new ActionRuleError('forbidden', 'That id belongs to another action point.');
      return { record: existing, created: false };
    }
    if (this.visibleCount() >= this.limits.visible || this.records.size >= this.limits.total) {
      throw new ActionRuleError('too_large', `The board holds at most ${this.limits.visible} action points.`);
    }
    const record: ActionRecord = {
      id: input.id,
      factor: input.factor,
      position: this.nextPosition(),
      owner: '',
      due: null,
      status: 'open',
      createdBy: actorId(actor),
      createdAt: now,
      mergedInto: null,
      removed: false,
      origin: input.origin ?? null
    };
    this.records.set(record.id, record);
    return { record, created: true };
  }

  /** Changes factor, owner, due date or status; last write wins, and everyone sees it at once. */
  update(id: string, patch: ActionPatch): ActionRecord[] {
    const record = this.requireVisible(id);
    if (patch.due !== undefined && patch.due !== null && !isCalendarDate(patch.due)) throw new ActionRuleError('bad_request', 'due: not a calendar date');
    if (patch.status !== undefined && !isActionStatus(patch.status)) throw new ActionRuleError('bad_request', 'status: unknown');
    const next = { ...record };
    if (patch.factor !== undefined) next.factor = patch.factor;
    if (patch.owner !== undefined) next.owner = patch.owner;
    if (patch.due !== undefined) next.due = patch.due;
    if (patch.status !== undefined) next.status = patch.status;
    this.records.set(id, next);
    return [next];
  }

  /** Removes a point (facilitator); its parts go with it and come back with it on undo. Idempotent. */
  remove(actor: Actor, id: string): ActionRecord[] {
    requireFacilitator(actor, 'remove action points');
    const record = this.records.get(id);
    if (!record) throw new ActionRuleError('not_found', 'That action point does not exist.');
    if (record.removed) return [];
    if (record.mergedInto !== null) throw new ActionRuleError('bad_request', 'That action point is part of another; undo the merge first.');
    const next = { ...record, removed: true };
    this.records.set(id, next);
    return [next];
  }

  /** Undoes a removal (facilitator). Idempotent. */
  restore(actor: Actor, id: string): ActionRecord[] {
    requireFacilitator(actor, 'restore action points');
    const record = this.records.get(id);
    if (!record) throw new ActionRuleError('not_found', 'That action point does not exist.');
    if (!record.removed) return [];
    if (this.visibleCount() >= this.limits.visible) throw new ActionRuleError('too_large', `The board holds at most ${this.limits.visible} action points.`);
    const next = { ...record, removed: false };
    this.records.set(id, next);
    return [next];
  }

  /** Moves a point to `toIndex` among the visible points (clamped); positions are renumbered 1…n. */
  move(actor: Actor, id: string, toIndex: number): ActionRecord[] {
    requireFacilitator(actor, 'reorder action points');
    this.requireVisible(id);
    const order = this.visible();
    const from = order.findIndex((r) => r.id === id);
    const [moving] = order.splice(from, 1);
    order.splice(Math.max(0, Math.min(toIndex, order.length)), 0, moving);
    const changed: ActionRecord[] = [];
    // Hidden points keep their positions; renumbering the visible ones above every hidden one keeps them distinct.
    let base = 0;
    for (const r of this.records.values()) if (!isVisible(r)) base = Math.max(base, r.position);
    order.forEach((r, index) => {
      const position = base + index + 1;
      if (r.position !== position) {
        const next = { ...r, position };
        this.records.set(r.id, next);
        changed.push(next);
      }
    });
    return changed;
  }

  /**
   * Merges `sourceId` into `targetId` (facilitator): the source keeps its own
   * text and becomes a part of the target; its own parts move along, so parts
   * stay one level deep. Undone by `unmerge`.
   */
  merge(actor: Actor, sourceId: string, targetId: string): ActionRecord[] {
    requireFacilitator(actor, 'merge action points');
    if (sourceId === targetId) throw new ActionRuleError('bad_request', 'An action point cannot be merged into itself.');
    const source = this.requireVisible(sourceId);
    const target = this.requireVisible(targetId);
    const changed: ActionRecord[] = [];
    for (const part of this.partsOf(source.id)) {
      const next = { ...part, mergedInto: target.id };
      this.records.set(part.id, next);
      changed.push(next);
    }
    const next = { ...source, mergedInto: target.id };
    if (!target.owner && source.owner) this.records.set(target.id, { ...target, owner: source.owner });
    if (target.due === null && source.due !== null) this.records.set(target.id, { ...this.records.get(target.id)!, due: source.due });
    const targetNow = this.records.get(target.id)!;
    if (targetNow !== target) changed.push(targetNow);
    this.records.set(source.id, next);
    changed.push(next);
    return changed;
  }

  /** Takes a part out of the point it was merged into (facilitator); it reappears with its text. Idempotent. */
  unmerge(actor: Actor, id: string): ActionRecord[] {
    requireFacilitator(actor, 'undo a merge');
    const record = this.records.get(id);
    if (!record || record.removed) throw new ActionRuleError('not_found', 'That action point does not exist.');
    if (record.mergedInto === null) return [];
    if (this.visibleCount() >= this.limits.visible) throw new ActionRuleError('too_large', `The board holds at most ${this.limits.visible} action points.`);
    const next = { ...record, mergedInto: null };
    this.records.set(id, next);
    return [next];
  }

  /** Points that are no longer on the board after a change: their dots go back to the voters. */
  static disappeared(changed: readonly ActionRecord[]): string[] {
    return changed.filter((r) => !isVisible(r)).map((r) => r.id);
  }
}
