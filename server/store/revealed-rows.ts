import type { RevealedRound } from './types';

/**
 * Parses stored frozen rounds one per turn of the event loop. A round holds its
 * results with every comment (up to the round's comment budget, about 0.5 MB of
 * JSON) and its ballot rows, and a session up to LIMITS.roundsPerSession of them:
 * parsed in one go on a room load they blocked other sessions for over 100 ms on
 * a loaded machine. The rows are read in one go (one consistent read); only the
 * parsing is spread.
 */
export async function parseOnePerTurn<Row>(rows: readonly Row[], parse: (row: Row) => RevealedRound): Promise<RevealedRound[]> {
  const out: RevealedRound[] = [];
  for (const row of rows) {
    await new Promise((resolve) => setImmediate(resolve));
    out.push(parse(row));
  }
  return out;
}
