import { asShown, type FrozenBallot } from '../../src/lib/domain/results';
import type { HiddenComment, RoundResults } from '../../src/lib/protocol';

function commentKey(c: HiddenComment): string {
  return `${c.round} ${c.factor} ${c.text}`;
}

/**
 * What each revealed round showed, frozen at its reveal (docs/privacy.md) and
 * never recomputed, with the comments the facilitator hid from the room
 * (applied when results are read, so they can be shown again). Pure memory.
 */
export class RevealedRounds {
  private readonly frozen = new Map<number, { results: RoundResults; ballots: FrozenBallot[] }>();
  private readonly hidden = new Map<string, HiddenComment>();

  constructor(loaded: { round: number; results: RoundResults; ballots: FrozenBallot[] }[] = [], hidden: HiddenComment[] = []) {
    // Through asShown: a withheld round frozen before its counts were withheld too shows none of them now.
    for (const r of loaded) this.frozen.set(r.round, { results: asShown(r.results), ballots: r.ballots });
    for (const h of hidden) this.hidden.set(commentKey(h), h);
  }

  has(round: number): boolean {
    return this.frozen.has(round);
  }

  freeze(round: number, frozen: { results: RoundResults; ballots: FrozenBallot[] }): void {
    this.frozen.set(round, { ...frozen, results: asShown(frozen.results) });
  }

  /** A round exactly as frozen (comments hidden later included), or null: what a meeting started from a check-in carries over. */
  frozenRound(round: number): { results: RoundResults; ballots: FrozenBallot[] } | null {
    return this.frozen.get(round) ?? null;
  }

  ballots(round: number): FrozenBallot[] {
    return this.frozen.get(round)?.ballots ?? [];
  }

  /** Results of the given revealed rounds, oldest first, without the hidden comments. Rounds frozen before comments were kept have none. */
  results(rounds: readonly number[]): RoundResults[] {
    return rounds.flatMap((round) => {
      const frozen = this.frozen.get(round)?.results;
      if (!frozen) return [];
      const comments = (frozen.comments ?? []).map((texts, i) => texts.filter((text) => !this.hidden.has(commentKey({ round, factor: i + 1, text }))));
      return [{ ...frozen, comments }];
    });
  }

  /** Whether a comment was shown with its round (what the round showed, not today's ballots). */
  showed(comment: HiddenComment): boolean {
    return this.frozen.get(comment.round)?.results.comments?.[comment.factor - 1]?.includes(comment.text) ?? false;
  }

  setHidden(comment: HiddenComment, hidden: boolean): void {
    if (hidden) this.hidden.set(commentKey(comment), comment);
    else this.hidden.delete(commentKey(comment));
  }

  hiddenComments(): HiddenComment[] {
    return [...this.hidden.values()];
  }
}
