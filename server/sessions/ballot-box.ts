import type { Answer, Progress } from '../../src/lib/domain/ballots';
import { LIMITS } from '../../src/lib/protocol/limits';

/** One answer with its comment, as the participant gave it. */
export interface BallotAnswer {
  answer: Answer;
  comment: string | null;
}

/** Comment code units allowed per round: per participant and per session (LIMITS by default). */
export interface CommentBudget {
  perParticipant: number;
  perSession: number;
}

export const DEFAULT_COMMENT_BUDGET: CommentBudget = {
  perParticipant: LIMITS.commentUnitsPerParticipantRound,
  perSession: LIMITS.commentUnitsPerSessionRound
};

/** Which budget a comment would exceed, or null when it fits. */
export type CommentOverrun = 'participant' | 'session' | null;

const unitsOf = (comment: string | null | undefined) => comment?.length ?? 0;

/** The release of a comment that needs no more room than the one it replaces (most answers carry none): one function for all. */
const nothingReserved = () => {};

/**
 * Every answer of every round, and the running counts of the current round
 * (answers per factor, participants who answered everything). Pure: memory
 * only, no store, no clock, no fan-out. The counts change in exactly one place
 * per event (an answer recorded, a participant gone, the round changed), so
 * progress costs O(factors) per event-loop turn instead of O(participants × factors).
 */
export class BallotBox {
  /** round → participant → factor → answer */
  private readonly answers = new Map<number, Map<string, Map<number, BallotAnswer>>>();
  private perFactor: number[];
  private voted = 0;
  private members = new Set<string>();
  /** round → comment code units held (recorded answers plus writes in flight), in total and per participant. */
  private readonly units = new Map<number, { total: number; byParticipant: Map<string, number> }>();

  constructor(
    readonly factorCount: number,
    private round: number
  ) {
    this.perFactor = new Array<number>(factorCount).fill(0);
  }

  /** A participant whose answers count (joined, or loaded). */
  addMember(participantId: string): void {
    this.members.add(participantId);
  }

  /** Loads stored answers (at start-up, after the members); answers of people no longer in the session are ignored. */
  load(answers: Iterable<{ round: number; participantId: string; factor: number } & BallotAnswer>): void {
    for (const a of answers) {
      if (!this.members.has(a.participantId)) continue;
      const map = this.slot(a.round, a.participantId);
      this.addUnits(a.round, a.participantId, unitsOf(a.comment) - unitsOf(map.get(a.factor)?.comment));
      map.set(a.factor, { answer: a.answer, comment: a.comment });
    }
    this.recount();
  }

  /** Records (or replaces) an answer; returns how many factors that participant answered in that round. */
  record(round: number, participantId: string, factor: number, answer: BallotAnswer): number {
    const map = this.slot(round, participantId);
    const isNew = !map.has(factor);
    this.addUnits(round, participantId, unitsOf(answer.comment) - unitsOf(map.get(factor)?.comment));
    map.set(factor, answer);
    if (isNew && round === this.round && this.members.has(participantId) && factor >= 1 && factor <= this.factorCount) {
      this.perFactor[factor - 1]++;
      if (map.size === this.factorCount) this.voted++;
    }
    return map.size;
  }

  /** A participant left: their answers of every round go, and the counts no longer include them. */
  removeMember(participantId: string): void {
    if (!this.members.delete(participantId)) return;
    const current = this.answers.get(this.round)?.get(participantId);
    for (const factor of current?.keys() ?? []) if (factor >= 1 && factor <= this.factorCount) this.perFactor[factor - 1]--;
    if (current?.size === this.factorCount) this.voted--;
    for (const byParticipant of this.answers.values()) byParticipant.delete(participantId);
    // Their comments went with their answers: the room's budget has that room again.
    for (const round of this.units.values()) {
      round.total -= round.byParticipant.get(participantId) ?? 0;
      round.byParticipant.delete(participantId);
    }
  }

  /** Comment code units a participant holds in a round (recorded, plus reserved writes in flight). */
  commentUnits(round: number, participantId: string): number {
    return this.units.get(round)?.byParticipant.get(participantId) ?? 0;
  }

  /** Comment code units the whole session holds in a round. */
  sessionCommentUnits(round: number): number {
    return this.units.get(round)?.total ?? 0;
  }

  /**
   * Reserves the room a comment needs before its write, O(1): `comment` replaces the one stored
   * for that factor, so only the difference counts (a shorter one always fits). Returns which
   * budget it would exceed (nothing reserved), or a release to call once the write is done or
   * failed; `record` then counts the comment itself. Reserving before the write keeps votes in
   * flight together within the budget.
   */
  reserveComment(
    round: number,
    participantId: string,
    factor: number,
    comment: string | null,
    budget: CommentBudget
  ): Exclude<CommentOverrun, null> | (() => void) {
    const growth = unitsOf(comment) - unitsOf(this.answer(round, participantId, factor)?.comment);
    if (growth <= 0) return nothingReserved;
    if (this.commentUnits(round, participantId) + growth > budget.perParticipant) return 'participant';
    if (this.sessionCommentUnits(round) + growth > budget.perSession) return 'session';
    this.addUnits(round, participantId, growth);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // A participant removed meanwhile took their units (reserved ones too) with them.
      if (this.units.get(round)?.byParticipant.has(participantId)) this.addUnits(round, participantId, -growth);
    };
  }

  private addUnits(round: number, participantId: string, delta: number): void {
    if (delta === 0) return;
    let entry = this.units.get(round);
    if (!entry) this.units.set(round, (entry = { total: 0, byParticipant: new Map() }));
    entry.total += delta;
    const next = (entry.byParticipant.get(participantId) ?? 0) + delta;
    if (next === 0) entry.byParticipant.delete(participantId);
    else entry.byParticipant.set(participantId, next);
  }

  /** The round changed: the counts start again from what the new round holds. */
  setRound(round: number): void {
    if (round === this.round) return;
    this.round = round;
    this.recount();
  }

  answersOf(round: number, participantId: string): ReadonlyMap<number, BallotAnswer> | undefined {
    return this.answers.get(round)?.get(participantId);
  }

  answer(round: number, participantId: string, factor: number): BallotAnswer | undefined {
    return this.answers.get(round)?.get(participantId)?.get(factor);
  }

  /** Factors a participant answered in the current round. */
  answeredCount(participantId: string): number {
    return this.answers.get(this.round)?.get(participantId)?.size ?? 0;
  }

  /** Every participant's answers in `round`. */
  inRound(round: number): ReadonlyMap<string, ReadonlyMap<number, BallotAnswer>> {
    return this.answers.get(round) ?? new Map();
  }

  progress(): Progress {
    return { voted: this.voted, total: this.members.size, perFactor: [...this.perFactor] };
  }

  private slot(round: number, participantId: string): Map<number, BallotAnswer> {
    let byParticipant = this.answers.get(round);
    if (!byParticipant) this.answers.set(round, (byParticipant = new Map()));
    let map = byParticipant.get(participantId);
    if (!map) byParticipant.set(participantId, (map = new Map()));
    return map;
  }

  private recount(): void {
    this.perFactor = new Array<number>(this.factorCount).fill(0);
    this.voted = 0;
    const current = this.answers.get(this.round);
    for (const id of this.members) {
      const map = current?.get(id);
      if (!map) continue;
      let answered = 0;
      for (const factor of map.keys()) {
        if (factor < 1 || factor > this.factorCount) continue;
        this.perFactor[factor - 1]++;
        answered++;
      }
      if (answered === this.factorCount) this.voted++;
    }
  }
}
