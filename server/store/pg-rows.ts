// Rows of the PostgreSQL store (./postgres.ts) turned into records, and how its pool reads column types.
import { storedFigures } from './paper-figures';
import pg from 'pg';
import { DEFAULT_MIN_VOTERS, DEFAULT_THRESHOLDS } from '../../src/lib/domain/statistics';
import type { ActionRecord } from '../../src/lib/domain/action-points';
import type { PaperSessionRecord, RevealedRound, SessionRecord } from './types';

/**
 * Epoch milliseconds are BIGINT; node-postgres reads BIGINT as a string
 * (it may exceed 2^53). Ours never do, so this pool reads them as numbers.
 */
export const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser']
};

export type Row = Record<string, unknown>;

export function toSessionRecord(row: Row): SessionRecord {
  return {
    id: row.id as string,
    code: row.code as string,
    title: row.title as string,
    language: row.language as SessionRecord['language'],
    framework: row.framework as string,
    anonymous: row.anonymous as boolean,
    facilitatorTokenHash: row.facilitator_token_hash as string,
    presenterTokenHash: (row.presenter_token_hash as string | null) ?? null,
    phase: row.phase as SessionRecord['phase'],
    round: row.round as number,
    votingDeadline: (row.voting_deadline as number | null) ?? null,
    votingClosed: row.voting_closed as boolean,
    votingPausedMs: (row.voting_paused_ms as number | null) ?? null,
    // As in the SQLite store: settings added later take their defaults in sessions stored before them.
    settings: {
      minVoters: DEFAULT_MIN_VOTERS,
      hideDotTotals: false,
      unclearFrom: DEFAULT_THRESHOLDS.unclearFrom,
      joinsLocked: false,
      ...JSON.parse(row.settings as string)
    },
    revealedRounds: JSON.parse(row.revealed_rounds as string),
    communityId: (row.community_id as string | null) ?? null,
    timeZone: row.time_zone as string,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number
  };
}

export function toRevealedRound(row: Row): RevealedRound {
  return {
    sessionId: row.session_id as string,
    round: row.round as number,
    revealedAt: row.revealed_at as number,
    results: JSON.parse(row.results as string),
    ballots: JSON.parse(row.ballots as string)
  };
}

export function toActionRecord(row: Row): ActionRecord {
  return {
    id: row.id as string,
    factor: (row.factor as number | null) ?? null,
    position: row.position as number,
    owner: row.owner as string,
    due: (row.due as string | null) ?? null,
    status: row.status as ActionRecord['status'],
    createdBy: row.created_by as string,
    createdAt: row.created_at as number,
    mergedInto: (row.merged_into as string | null) ?? null,
    removed: row.removed as boolean,
    origin: (row.origin as string | null) ?? null
  };
}

export function toPaperSession(row: Row): PaperSessionRecord {
  return {
    id: row.id as string,
    communityId: row.community_id as string,
    code: row.code as string,
    title: row.title as string,
    date: row.date as string,
    factors: JSON.parse(row.factors as string),
    figures: storedFigures(row.factors as string, (row.figures as string | null) ?? null),
    createdAt: row.created_at as number,
    source: row.source === 'import' ? 'import' : 'paper'
  };
}
