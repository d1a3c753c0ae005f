import { isIsoDay } from './dates';

/** A factor's headline numbers from an earlier session's export.json. */
export interface EarlierFactor {
  number: number;
  mean: number | null;
  consensus: number | null;
}

export interface EarlierSession {
  code: string;
  title: string;
  date: string;
  factors: EarlierFactor[];
}

const isNumberOrNull = (v: unknown): v is number | null => v === null || (typeof v === 'number' && Number.isFinite(v));

/**
 * Reads an earlier session from its `export.json` (as downloaded by the
 * facilitator), so a community can follow its factors across sessions.
 * Returns null for anything that is not such an export.
 */
export function parseEarlierExport(data: unknown): EarlierSession | null {
  if (typeof data !== 'object' || data === null) return null;
  const { session, factors } = data as { session?: Record<string, unknown>; factors?: unknown };
  if (!session || typeof session.code !== 'string' || !Array.isArray(factors) || factors.length === 0) return null;
  const parsed: EarlierFactor[] = [];
  for (const f of factors as Record<string, unknown>[]) {
    if (typeof f !== 'object' || f === null) return null;
    if (typeof f.number !== 'number' || !Number.isInteger(f.number) || !isNumberOrNull(f.mean) || !isNumberOrNull(f.consensus)) return null;
    parsed.push({ number: f.number, mean: f.mean, consensus: f.consensus });
  }
  return {
    code: session.code.slice(0, 12),
    title: typeof session.title === 'string' ? session.title.slice(0, 120) : '',
    // The day where that group met when the export says it (exports since time zones); older ones only have the UTC instant.
    date:
      typeof session.date === 'string' && isIsoDay(session.date)
        ? session.date
        : typeof session.createdAt === 'string' && isIsoDay(session.createdAt.slice(0, 10))
          ? session.createdAt.slice(0, 10)
          : '',
    factors: parsed
  };
}
