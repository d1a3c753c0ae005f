/**
 * What moved most between two rounds (or two sessions): a factor moved when its
 * mean or its consensus changed by a meaningful step, not by noise. The measure
 * counts both: each change in units of its own step (a quarter point of mean on
 * the 1–5 scale, a tenth of consensus on 0–1), combined as the length of the
 * vector, so a large consensus shift with a steady mean ranks where it belongs.
 * Pure: no I/O.
 */

/** The smallest change of a mean (1–5 scale) worth calling a move. */
export const MEAN_STEP = 0.25;
/** The smallest change of consensus (0–1) worth calling a move. */
export const CONSENSUS_STEP = 0.1;

export interface FactorPosition {
  number: number;
  mean: number | null;
  consensus: number | null;
}

export interface FactorMove {
  number: number;
  /** Change of the mean (after − before), or null when either side has none. */
  mean: number | null;
  /** Change of consensus, or null when either side has none. */
  consensus: number | null;
  /** How far it moved, in steps (see above); at least 1 for every factor listed. */
  movement: number;
}

const change = (before: number | null | undefined, after: number | null) =>
  before === null || before === undefined || after === null ? null : Math.round((after - before) * 1000) / 1000;

/** Every factor's change (in the order of `after`) with its movement in steps. */
export function factorMoves(before: readonly FactorPosition[], after: readonly FactorPosition[]): FactorMove[] {
  const prior = new Map(before.map((b) => [b.number, b]));
  return after.map((s) => {
    const mean = change(prior.get(s.number)?.mean, s.mean);
    const consensus = change(prior.get(s.number)?.consensus, s.consensus);
    const movement = Math.hypot((mean ?? 0) / MEAN_STEP, (consensus ?? 0) / CONSENSUS_STEP);
    return { number: s.number, mean, consensus, movement: Math.round(movement * 1000) / 1000 };
  });
}

/**
 * The factors that moved at least one step, most first (ties by factor number),
 * at most `limit` of them. A change of −0,03 in the mean is not a move.
 */
export function whatMovedMost(before: readonly FactorPosition[], after: readonly FactorPosition[], limit = Infinity): FactorMove[] {
  return factorMoves(before, after)
    .filter((m) => m.movement >= 1)
    .sort((a, b) => b.movement - a.movement || a.number - b.number)
    .slice(0, limit);
}
