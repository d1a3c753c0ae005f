import { LIMITS, CommandError, type ActionView, type DotState } from '../../src/lib/protocol';
import { ActionBoardState, ActionRuleError, type Actor, type ActionPatch, type ActionRecord } from '../../src/lib/domain/action-points';
import { committed } from '../store/committed';
import type { DotRecord, Store } from '../store/types';
import { Coalescer } from './coalescer';
import { DotLedger, FACILITATOR_VOTER } from './dots';
import type { RoomFanout } from './fanout';
import { dotAckOf, dotTotalsFor } from './projections';
import { KeyedSerial } from './serial';
import { requirePhase } from './policy';
import type { SessionCell } from './session-cell';
import type { Roster } from './roster';

/** What the action board is built with: where it writes and whom it tells, the session record it reads and who is in the session. */
export interface ActionBoardContext {
  readonly id: string;
  readonly code: string;
  readonly factorCount: number;
  readonly store: Store;
  readonly fanout: RoomFanout;
  /** The session record and whether it was deleted (the room's one copy; the board only reads it). */
  readonly cell: Pick<SessionCell, 'record' | 'isDeleted' | 'assertAlive'>;
  /** Who is in the session now: a participant removed while their change waited in line changes nothing. */
  readonly members: Pick<Roster, 'has'>;
}

export interface ActionChangeOptions {
  /** Queued in the same event-loop turn as the structure, so it commits in the same transaction (the server's Yjs change). */
  sameTurn?: (changed: ActionRecord[]) => void;
  /** Another record that must commit with the change (also when the board itself does not change). */
  alsoWrite?: () => Promise<unknown>;
  /**
   * Writes the changed records together with another record in one store call (one transaction, all or nothing),
   * instead of saveActionPoints and alsoWrite; called even when the board itself does not change.
   */
  writeWith?: (changed: ActionRecord[]) => Promise<unknown>;
  /** Undoes what sameTurn did, when the store refused the change. */
  undoSameTurn?: () => void;
  /** A merge or its undo: the dots on the changed points now count for another point. */
  movesDots?: boolean;
}

/** The commands that change the board's structure (their policy rows say in which phases). */
export type BoardCommand =
  'action:create' | 'action:update' | 'action:remove' | 'action:restore' | 'action:move' | 'action:merge' | 'action:unmerge' | 'review:set';

/**
 * The action phase of one session: the board's structure (ActionBoardState)
 * and the dot votes on it (DotLedger), store first, then memory, then fan-out.
 * Structural changes run one at a time, a voter's dots one at a time; dots on
 * any point that is not on the board go back after every change and at load.
 */
export class ActionBoard {
  readonly dots: DotLedger;
  private readonly actions: ActionBoardState;
  private readonly serial = new KeyedSerial();
  private readonly coalesce = new Coalescer<'dotTotals'>();

  /** How often dot totals go to everyone at most while dots keep moving (the first change goes at once, the last is never lost). */
  static readonly TOTALS_INTERVAL_MS = 250;

  constructor(
    private readonly ctx: ActionBoardContext,
    loaded: { actions: ActionRecord[]; dots: DotRecord[] }
  ) {
    this.actions = new ActionBoardState(loaded.actions, { visible: LIMITS.actionsPerSession, total: LIMITS.actionsPerSession * 2 });
    this.dots = new DotLedger(loaded.dots, (actionId) => this.boardPointOf(actionId));
  }

  /** Dots left on points that went while their return failed (or before dots were returned at all) go back now, first in line. */
  start(): void {
    void this.serial
      .run('actions', async () => this.sendReturnedDots(await this.returnStrayDots()))
      .catch((error) => console.error(`Returning dots in ${this.ctx.code} failed:`, error));
  }

  /**
   * Spends or takes back a dot; nobody exceeds their dots. Store first, then
   * memory; one voter's casts one at a time, each checked against the dots they
   * have stored. O(1) fan-out: the ack tells the sender their dots and the
   * point's new total, the voter's other sockets hear their dots (`origin`, the
   * sending connection, gets no echo), everyone hears the totals at a bounded rate.
   */
  castDot(identity: Actor, actionId: string, delta: 1 | -1, origin?: string, from?: number): Promise<DotState> {
    const voter = identity.role === 'facilitator' ? FACILITATOR_VOTER : identity.participantId;
    return this.serial.run(`dots:${voter}`, async () => {
      this.assertAlive();
      requirePhase('dot:cast', this.ctx.cell.record.phase);
      this.requireMember(identity);
      // Sent again after its answer was lost, and the first send landed (or another tab changed this point meanwhile):
      // the dots as they are, unchanged, rather than a second dot.
      if (from !== undefined && (this.ownDots(voter).mine[actionId] ?? 0) !== from)
        return dotAckOf(voter, actionId, { session: this.ctx.cell.record, dots: this.dots });
      if (delta > 0 && !this.onBoard(actionId)) throw new CommandError('not_found', 'That action point does not exist (any more).');
      // A dot taken back from a merged point may sit on one of its parts (where it was cast before the merge).
      const heldOn = delta < 0 && this.boardPointOf(actionId) === actionId ? (this.dots.heldOn(voter, actionId) ?? actionId) : actionId;
      const before = this.dots.countOf(voter, heldOn);
      const count = this.dots.next(voter, heldOn, delta, this.ctx.cell.record.settings.dotsPerPerson);
      await committed(this.ctx.store.setDots(this.ctx.id, voter, heldOn, count), 'your dot');
      if (delta > 0 && !this.onBoard(actionId)) {
        // The point left the board while this dot was being stored (its dots were already given back): undo it.
        await committed(this.ctx.store.setDots(this.ctx.id, voter, heldOn, before), 'your dot');
        throw new CommandError('not_found', 'That action point does not exist (any more).');
      }
      this.dots.set(voter, heldOn, count);
      this.sendOwnDots(voter, origin);
      this.scheduleDotTotals();
      return dotAckOf(voter, actionId, { session: this.ctx.cell.record, dots: this.dots });
    });
  }

  /** Refuses everything once the session was deleted. */
  private assertAlive(): void {
    this.ctx.cell.assertAlive();
  }

  private onBoard(actionId: string): boolean {
    const target = this.actions.get(actionId);
    return target !== undefined && !target.removed && target.mergedInto === null;
  }

  /** The point on the board a dot on `actionId` counts for: itself, the point it is merged into, or null (not on the board). */
  private boardPointOf(actionId: string): string | null {
    const record = this.actions.get(actionId);
    if (record === undefined || record.removed) return null;
    if (record.mergedInto === null) return actionId;
    return this.onBoard(record.mergedInto) ? record.mergedInto : null;
  }

  ownDots(voterId: string) {
    return this.dots.own(voterId, this.ctx.cell.record.settings.dotsPerPerson);
  }

  /** The voter's own dots to their connections, except `origin` (the one that cast them and has them in its ack). */
  sendOwnDots(voter: string, origin?: string): void {
    if (voter === FACILITATOR_VOTER) this.ctx.fanout.toFacilitatorsElsewhere(this.ctx.code, origin, 'dots', this.ownDots(voter));
    else this.ctx.fanout.toParticipantElsewhere(this.ctx.code, voter, origin, 'dots', this.ownDots(voter));
  }

  /**
   * Totals go to everyone at a bounded rate (Coalescer.bounded): the first change at the end of its turn, then
   * at most every TOTALS_INTERVAL_MS while dots keep moving, the latest totals always last. A room of 500
   * costs a bounded number of room-wide broadcasts a second however the dots arrive. Participants get none while hidden.
   */
  scheduleDotTotals(): void {
    this.coalesce.bounded('dotTotals', ActionBoard.TOTALS_INTERVAL_MS, () => {
      if (this.ctx.cell.isDeleted) return;
      this.ctx.fanout.toFacilitators(this.ctx.code, 'dotTotals', dotTotalsFor('facilitators', { session: this.ctx.cell.record, dots: this.dots }));
      this.ctx.fanout.toParticipants(this.ctx.code, 'dotTotals', dotTotalsFor('room', { session: this.ctx.cell.record, dots: this.dots }));
    });
  }

  // ------------------------------------------------------------------ action board structure

  /** Every action point (structure), in board order. */
  actionViews(): ActionView[] {
    return this.actions.all().map(toActionView);
  }

  /** A participant removed while their command waited in line changes nothing. */
  private requireMember(identity: Actor): void {
    if (identity.role === 'participant' && !this.ctx.members.has(identity.participantId))
      throw new CommandError('forbidden', 'You are no longer in this session.');
  }

  /**
   * Runs one structural change: checks the phase (the policy row of `action`, again: the phase may
   * have moved while the change waited in line) and membership, applies the rule
   * (which checks the role), queues the store writes, lets `sameTurn` queue more
   * (the server's Yjs change, so both commit in one transaction), waits until it
   * is durable, then broadcasts. Dots on points that left the board go back.
   */
  private changeActions(
    action: BoardCommand,
    identity: Actor,
    rule: (actor: Actor) => ActionRecord[],
    options: ActionChangeOptions = {}
  ): Promise<ActionRecord[]> {
    // One structural change at a time: each is checked against the stored board, and a failed write rolls back only itself.
    return this.serial.run('actions', () => this.applyActionChange(action, identity, rule, options));
  }

  private async applyActionChange(
    action: BoardCommand,
    identity: Actor,
    rule: (actor: Actor) => ActionRecord[],
    options: ActionChangeOptions
  ): Promise<ActionRecord[]> {
    this.assertAlive();
    requirePhase(action, this.ctx.cell.record.phase);
    this.requireMember(identity);
    // The rules change the board in place; memory goes back to this when the store refuses.
    const checkpoint = this.actions.checkpoint();
    let changed: ActionRecord[];
    try {
      changed = rule(identity);
    } catch (error) {
      this.actions.revertTo(checkpoint);
      if (error instanceof ActionRuleError) throw new CommandError(error.code, error.message);
      throw error;
    }
    if (changed.length === 0 && !options.alsoWrite && !options.writeWith) return changed;
    const writes: Promise<unknown>[] = options.writeWith
      ? [options.writeWith(changed)]
      : [changed.length > 0 ? this.ctx.store.saveActionPoints(this.ctx.id, changed) : Promise.resolve()];
    // Queued in the same turn as the structure, so the server's Yjs change and any other record commit with it.
    const also = options.alsoWrite?.();
    if (also) writes.push(also);
    options.sameTurn?.(changed);
    try {
      await committed(Promise.all(writes), 'the action board');
    } catch (error) {
      this.actions.revertTo(checkpoint);
      options.undoSameTurn?.();
      throw error;
    }
    const voters = await this.returnStrayDots();
    // A merge or its undo moves where the dots on the changed points count: their voters and the totals hear it.
    if (options.movesDots) for (const record of changed) for (const voter of this.dots.votersOn(record.id)) voters.add(voter);
    if (changed.length > 0) this.ctx.fanout.toAll(this.ctx.code, 'actions', changed.map(toActionView));
    this.sendReturnedDots(voters);
    return changed;
  }

  /**
   * Gives back every dot on a point that is not on the board (removed, part of a
   * removed point, or gone in a change whose dot return the store refused before;
   * a merged part keeps its dots for the point it is part of), however it
   * went: checked after every structural change and at load, against the whole
   * ledger (O(points with dots)), not only the points of the last command.
   * Dots go back only once the point is stored as gone (a refused removal keeps
   * them); memory takes exactly those stored, and one refused stays spent until the next pass.
   */
  private async returnStrayDots(): Promise<Set<string>> {
    const returned = this.dots
      .actionsWithDots()
      .filter((id) => this.boardPointOf(id) === null)
      .flatMap((id) => this.dots.planReturn(id));
    const voters = new Set<string>();
    if (returned.length === 0) return voters;
    const results = await Promise.allSettled(returned.map((r) => this.ctx.store.setDots(this.ctx.id, r.voterId, r.actionId, 0)));
    returned.forEach((r, i) => {
      if (results[i].status === 'fulfilled') {
        this.dots.set(r.voterId, r.actionId, 0);
        voters.add(r.voterId);
      } else console.error('store: giving back a dot failed; it stays spent until the next change:', (results[i] as PromiseRejectedResult).reason);
    });
    return voters;
  }

  private sendReturnedDots(voters: Set<string>): void {
    for (const voter of voters) this.sendOwnDots(voter);
    if (voters.size > 0) this.scheduleDotTotals();
  }

  /** Adds an action point; `created` is false when the same command was already applied (a resend). */
  async createAction(
    identity: Actor,
    input: { id: string; factor: number | null },
    sameTurn: (record: ActionRecord) => void
  ): Promise<{ record: ActionRecord; created: boolean }> {
    if (input.factor !== null && (input.factor < 1 || input.factor > this.ctx.factorCount))
      throw new CommandError('not_found', `There is no factor ${input.factor}.`);
    let result: { record: ActionRecord; created: boolean } | null = null;
    await this.changeActions(
      'action:create',
      identity,
      (actor) => {
        result = this.actions.create(actor, input, Date.now());
        return result.created ? [result.record] : [];
      },
      { sameTurn: ([record]) => sameTurn(record) }
    );
    return result!;
  }

  async updateAction(identity: Actor, id: string, patch: ActionPatch): Promise<ActionView> {
    if (patch.factor !== undefined && patch.factor !== null && (patch.factor < 1 || patch.factor > this.ctx.factorCount)) {
      throw new CommandError('not_found', `There is no factor ${patch.factor}.`);
    }
    const [record] = await this.changeActions('action:update', identity, () => this.actions.update(id, patch));
    return toActionView(record);
  }

  removeAction(identity: Actor, id: string): Promise<ActionRecord[]> {
    return this.changeActions('action:remove', identity, (actor) => this.actions.remove(actor, id));
  }

  restoreAction(identity: Actor, id: string): Promise<ActionRecord[]> {
    return this.changeActions('action:restore', identity, (actor) => this.actions.restore(actor, id));
  }

  moveAction(identity: Actor, id: string, toIndex: number): Promise<ActionRecord[]> {
    return this.changeActions('action:move', identity, (actor) => this.actions.move(actor, id, toIndex));
  }

  mergeAction(identity: Actor, sourceId: string, targetId: string): Promise<ActionRecord[]> {
    return this.changeActions('action:merge', identity, (actor) => this.actions.merge(actor, sourceId, targetId), { movesDots: true });
  }

  unmergeAction(identity: Actor, id: string): Promise<ActionRecord[]> {
    return this.changeActions('action:unmerge', identity, (actor) => this.actions.unmerge(actor, id), { movesDots: true });
  }

  /**
   * A structural change another unit composes (the review's carried copy): `rule` gets the board's structure to change,
   * and the change runs like any of the board's own (one at a time, phase and membership checked, store first).
   */
  changeWith(
    action: BoardCommand,
    identity: Actor,
    rule: (actor: Actor, actions: ActionBoardState) => ActionRecord[],
    options: ActionChangeOptions = {}
  ): Promise<ActionRecord[]> {
    return this.changeActions(action, identity, (actor) => rule(actor, this.actions), options);
  }

  dispose(): void {
    this.coalesce.dispose();
  }
}

export function toActionView(r: ActionRecord): ActionView {
  return {
    id: r.id,
    factor: r.factor,
    position: r.position,
    owner: r.owner,
    due: r.due,
    status: r.status,
    createdAt: r.createdAt,
    mergedInto: r.mergedInto,
    removed: r.removed,
    origin: r.origin
  };
}
