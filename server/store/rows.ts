// Rows of the SQL store (./sql-store.ts) turned into records: one mapping for SQLite and PostgreSQL.
import { storedFigures } from './paper-figures';
import { DEFAULT_MIN_VOTERS, DEFAULT_THRESHOLDS } from '../../src/lib/domain/statistics';
import type { ActionRecord } from '../../src/lib/domain/action-points';
import type { Answer } from '../../src/lib/domain/ballots';
import type {
  AccountRecord,
  AccountSessionRecord,
  CeremonyRecord,
  ExternalIdentityRecord,
  InviteRecord,
  MembershipRecord,
  PasskeyRecord,
  ActionReviewRecord,
  CommunityRecord,
  CommunitySessionRow,
  PaperSessionRecord,
  ParticipantRecord,
  RevealedRound,
  SessionRecord,
  StoredAnswer
} from './types';
import type { Row } from './schema';

/** A boolean column: SQLite answers 1/0, PostgreSQL true/false. */
const bool = (value: unknown): boolean => value === true || value === 1;
const orNull = <T>(value: unknown): T | null => (value ?? null) as T | null;

export function toSessionRecord(row: Row): SessionRecord {
  return {
    id: row.id as string,
    code: row.code as string,
    title: row.title as string,
    language: row.language as SessionRecord['language'],
    framework: row.framework as string,
    anonymous: bool(row.anonymous),
    facilitatorTokenHash: row.facilitator_token_hash as string,
    presenterTokenHash: orNull(row.presenter_token_hash),
    phase: row.phase as SessionRecord['phase'],
    round: row.round as number,
    votingDeadline: orNull(row.voting_deadline),
    votingClosed: bool(row.voting_closed),
    votingPausedMs: orNull(row.voting_paused_ms),
    // Settings added later (k, hidden dot totals, unclearFrom, locked joins) take their defaults in sessions stored before them.
    settings: {
      minVoters: DEFAULT_MIN_VOTERS,
      hideDotTotals: false,
      unclearFrom: DEFAULT_THRESHOLDS.unclearFrom,
      joinsLocked: false,
      ...JSON.parse(row.settings as string)
    },
    revealedRounds: JSON.parse(row.revealed_rounds as string),
    communityId: orNull(row.community_id),
    timeZone: row.time_zone as string,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number
  };
}

export function toParticipant(row: Row): ParticipantRecord {
  return {
    id: row.id as string,
    sessionId: row.session_id as string,
    tokenHash: row.token_hash as string,
    name: row.name as string,
    group: orNull(row.grp),
    language: orNull(row.language),
    joinedAt: row.joined_at as number
  };
}

export function toAnswer(row: Row): StoredAnswer {
  return {
    sessionId: row.session_id as string,
    round: row.round as number,
    participantId: row.participant_id as string,
    factor: row.factor as number,
    answer: (row.answer === 'unknown' ? 'unknown' : Number(row.answer)) as Answer,
    comment: orNull(row.comment)
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
    factor: orNull(row.factor),
    position: row.position as number,
    owner: row.owner as string,
    due: orNull(row.due),
    status: row.status as ActionRecord['status'],
    createdBy: row.created_by as string,
    createdAt: row.created_at as number,
    mergedInto: orNull(row.merged_into),
    removed: bool(row.removed),
    origin: orNull(row.origin)
  };
}

/** The columns of an action point as stored (serialised when the write is called, not at commit). */
export function actionRow(sessionId: string, r: ActionRecord) {
  return {
    session_id: sessionId,
    id: r.id,
    factor: r.factor,
    position: r.position,
    owner: r.owner,
    due: r.due,
    status: r.status,
    created_by: r.createdBy,
    created_at: r.createdAt,
    merged_into: r.mergedInto,
    removed: r.removed ? 1 : 0,
    origin: r.origin
  };
}

export function toCommunity(row: Row): CommunityRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    language: row.language as CommunityRecord['language'],
    framework: row.framework as string,
    tokenHash: row.token_hash as string,
    timeZone: row.time_zone as string,
    createdAt: row.created_at as number
  };
}

export function toCommunitySession(row: Row): CommunitySessionRow {
  return {
    id: row.id as string,
    code: row.code as string,
    title: row.title as string,
    phase: row.phase as CommunitySessionRow['phase'],
    timeZone: row.time_zone as string,
    createdAt: row.created_at as number
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
    figures: storedFigures(row.factors as string, orNull(row.figures)),
    createdAt: row.created_at as number,
    source: row.source === 'import' ? 'import' : 'paper'
  };
}

export function toReview(row: Row): ActionReviewRecord {
  return {
    reviewingSessionId: row.reviewing_session_id as string,
    originSessionId: row.origin_session_id as string,
    actionId: row.action_id as string,
    status: row.status as ActionReviewRecord['status'],
    carriedActionId: orNull(row.carried_action_id),
    reviewedAt: row.reviewed_at as number
  };
}

/**
 * Parses stored frozen rounds one per turn of the event loop. A round holds its
 * results with every comment (up to the round's comment budget, about 0.5 MB of
 * JSON) and its ballot rows, and a session up to LIMITS.roundsPerSession of them:
 * parsed in one go on a room load they blocked other sessions for over 100 ms on
 * a loaded machine. The rows are read in one go (one consistent read); only the
 * parsing is spread.
 */
export async function parseOnePerTurn(rows: readonly Row[]): Promise<RevealedRound[]> {
  const out: RevealedRound[] = [];
  for (const row of rows) {
    await new Promise((resolve) => setImmediate(resolve));
    out.push(toRevealedRound(row));
  }
  return out;
}

export function toAccount(row: Row): AccountRecord {
  return { id: row.id as string, name: row.name as string, createdAt: row.created_at as number };
}

export function toPasskey(row: Row): PasskeyRecord {
  return {
    credentialId: row.credential_id as string,
    accountId: row.account_id as string,
    publicKey: row.public_key as string,
    counter: row.counter as number,
    transports: JSON.parse(row.transports as string) as string[],
    createdAt: row.created_at as number,
    lastUsedAt: orNull(row.last_used_at)
  };
}

export function toAccountSession(row: Row): AccountSessionRecord {
  return {
    idHash: row.id_hash as string,
    accountId: row.account_id as string,
    createdAt: row.created_at as number,
    lastSeenAt: row.last_seen_at as number,
    expiresAt: row.expires_at as number
  };
}

export function toExternalIdentity(row: Row): ExternalIdentityRecord {
  return {
    issuer: row.issuer as string,
    subject: row.subject as string,
    accountId: row.account_id as string,
    email: orNull(row.email),
    createdAt: row.created_at as number
  };
}

export function toMembership(row: Row): MembershipRecord {
  return {
    accountId: row.account_id as string,
    kind: row.kind as MembershipRecord['kind'],
    target: row.target as string,
    role: row.role as MembershipRecord['role'],
    addedAt: row.added_at as number
  };
}

export function toInvite(row: Row): InviteRecord {
  return {
    tokenHash: row.token_hash as string,
    kind: row.kind as InviteRecord['kind'],
    target: row.target as string,
    role: row.role as InviteRecord['role'],
    createdBy: orNull(row.created_by),
    createdAt: row.created_at as number,
    expiresAt: row.expires_at as number,
    usedAt: orNull(row.used_at),
    usedBy: orNull(row.used_by)
  };
}

export function toCeremony(row: Row): CeremonyRecord {
  return {
    idHash: row.id_hash as string,
    purpose: row.purpose as CeremonyRecord['purpose'],
    challenge: row.challenge as string,
    accountId: orNull(row.account_id),
    name: orNull(row.name),
    expiresAt: row.expires_at as number
  };
}
