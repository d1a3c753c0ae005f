import { paperFigures, type PaperFigures } from '../../src/lib/domain/community';
import type { PaperFactorCounts } from './types';

/**
 * Paper sessions' figures as the stores keep them (the `figures` column, JSON):
 * computed once from the counts when a paper or imported session is stored, and
 * for rows stored before the column existed once when the store opens (the
 * backfill runs at every open but finds nothing after the first). Readers
 * (trends, exports, a room's "since last time") parse them and never replay dots.
 */

/** Rows the backfill at open reads and fills per statement, so an upgrade never holds a whole table in memory. */
export const FIGURES_BACKFILL_BATCH = 200;

/** The figures column of a row: the stored figures, or (a row written by an older instance after the upgrade) computed now. */
export function storedFigures(factorsJson: string, figuresJson: string | null): PaperFigures {
  if (figuresJson !== null) return JSON.parse(figuresJson) as PaperFigures;
  return paperFigures(JSON.parse(factorsJson) as PaperFactorCounts[]);
}

/** The figures to store for a row's counts (the backfill). */
export function figuresJsonFor(factorsJson: string): string {
  return JSON.stringify(paperFigures(JSON.parse(factorsJson) as PaperFactorCounts[]));
}
