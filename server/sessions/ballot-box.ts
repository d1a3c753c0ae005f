import type { Answer, Progress } from '../../src/lib/domain/ballots';

/** One answer with its comment, as the participant gave it. */
export interface BallotAnswer {
  answer: Answer;
  comment: string | null;
}

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

  constructor(
    readonly factorCount: number,
    private round: number
  ) {
    this.perFactor = new Array<number>(factorCount).fill(0);
  }

  get currentRound(): number {
    return this.round;
  }

  /** A participant whose answers count (joined, or loaded). */
  addMember(participantId: string): void {
    this.members.add(participantId);
  }

  /** Loads stored answers (at start-up, after the members); answers of people no longer in the session are ignored. */
  load(answers: Iterable<{ round: number; participantId: string; factor: number } & BallotAnswer>): void {
    for (const a of answers) {
      if (this.members.has(a.participantId)) this.slot(a.round, a.participantId).set(a.factor, { answer: a.answer, comment: a.comment });
    }
    this.recount();
  }

  /** Records (or replaces) an answer; returns how many factors that participant answered in that round. */
  record(round: number, participantId: string, factor: number, answer: BallotAnswer): number {
    const map = this.slot(round, participantId);
    const isNew = !map.has(factor);
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
