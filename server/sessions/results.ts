import { randomInt } from 'node:crypto';
import type { Answer } from '../../src/lib/domain/ballots';
import { computeRoundResults, labelBallots, revealedBallots, type FrozenBallot, type ResultsInput } from '../../src/lib/domain/results';
import type { HiddenComment, RoundResults } from '../../src/lib/protocol';
import type { BallotStore, SessionRecord } from '../store/types';
import type { BallotBox } from './ballot-box';
import type { Member } from './projections';
import type { RevealedRounds } from './revealed';

/** A round's results and ballot rows as frozen at its reveal. */
export interface FrozenRound {
  results: RoundResults;
  ballots: FrozenBallot[];
}

/** What a session's results are computed from and kept in: its record, ballots and members, the frozen rounds, the store. */
export interface SessionResultsDeps {
  session(): Readonly<SessionRecord>;
  factorCount: number;
  ballots: Pick<BallotBox, 'inRound'>;
  members: ReadonlyMap<string, Member>;
  revealed: RevealedRounds;
  store: Pick<BallotStore, 'saveRevealedRound'>;
  /** Stamps reveals: the instant a round's results are dated by. */
  clock(): number;
}

/**
 * A session's results: frozen from the ballots once, at each reveal (docs/privacy.md), and read from
 * what was frozen ever after (RevealedRounds keeps them in memory), for screens and exports.
 */
export class SessionResults {
  constructor(private readonly deps: SessionResultsDeps) {}

  /** The input of a round's results: everyone still in the session, with the current settings. */
  private resultsInput(round: number): ResultsInput {
    const session = this.deps.session();
    const byParticipant = this.deps.ballots.inRound(round);
    return {
      round,
      factorCount: this.deps.factorCount,
      thresholds: session.settings,
      anonymous: session.anonymous,
      minVoters: session.settings.minVoters,
      // Every comment is frozen with the round; hidden ones are left out when results are read (see results()).
      comments: [...byParticipant.values()].flatMap((answers) => [...answers].flatMap(([factor, a]) => (a.comment ? [{ factor, text: a.comment }] : []))),
      voters: [...this.deps.members.values()].map(({ record }) => ({
        id: record.id,
        name: record.name,
        group: record.group,
        answers: new Map([...(byParticipant.get(record.id) ?? new Map())].map(([f, a]) => [f, a.answer]))
      }))
    };
  }

  /** A round's results and ballot rows as revealed now: computed once, never again. */
  computeFrozen(round: number): FrozenRound {
    const input = this.resultsInput(round);
    return { results: computeRoundResults(input), ballots: revealedBallots(input) };
  }

  /** Freezes a round revealed before results were stored (an older database), at load. */
  freeze(round: number): Promise<void> {
    const frozen = this.computeFrozen(round);
    this.deps.revealed.freeze(round, frozen);
    return this.deps.store.saveRevealedRound({ sessionId: this.deps.session().id, round, revealedAt: this.deps.clock(), ...frozen });
  }

  /** A revealed round as frozen, with the comments hidden from it: what a meeting started from this check-in carries over. */
  frozenRound(round: number): { results: RoundResults; ballots: FrozenBallot[]; hidden: HiddenComment[] } | null {
    const frozen = this.deps.revealed.frozenRound(round);
    return frozen ? { ...frozen, hidden: this.deps.revealed.hiddenComments().filter((h) => h.round === round) } : null;
  }

  /** Results of every revealed round, oldest first, as frozen at each reveal (hidden comments left out). */
  results(): RoundResults[] {
    return this.deps.revealed.results(this.deps.session().revealedRounds);
  }

  /**
   * Ballots of revealed rounds for the CSV export, from the frozen rows: names
   * in named sessions; in anonymous ones pseudonyms drawn afresh per export
   * and per round, on rows sorted by their answers (docs/privacy.md).
   */
  revealedBallots(): { voter: string; group: string | null; round: number; answers: (Answer | null)[] }[] {
    return this.deps
      .session()
      .revealedRounds.flatMap((round) => labelBallots(this.deps.revealed.ballots(round), (n) => randomInt(n)).map((row) => ({ ...row, round })));
  }
}
