/** Typed reasons a command, a join or a connection is refused. */
export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'forbidden',
  /** A state-changing request that a session cookie would authenticate came from another site (or said not where from). */
  'cross_site',
  'not_found',
  'wrong_phase',
  'wrong_round',
  'voting_closed',
  'invalid_transition',
  'rate_limited',
  'too_many_connections',
  'session_full',
  /** The facilitator locked the door: no new participants (rejoining with a participant token still works). */
  'joins_locked',
  'server_full',
  'community_full',
  'too_large',
  'no_dots_left',
  /** A comment would take a participant (or the session) over its comment budget for the round; nothing was saved. */
  'comments_full',
  /** The session already held its last voting round (LIMITS.roundsPerSession). */
  'rounds_full',
  'session_closed',
  'version_mismatch',
  /** A co-facilitator invite link that was taken already (single use). */
  'invite_used',
  /** A co-facilitator invite link past its expiry (7 days). */
  'invite_expired',
  /** A check-in's meeting was started already: a check-in continues into one meeting, so its results count once. */
  'meeting_started',
  'store_unavailable',
  /** Sign-in with the organisation's identity provider: the account's e-mail is not in OIDC_ALLOWED_DOMAINS (or not verified). */
  'domain_not_allowed',
  /** Sign-in with the identity provider could not be completed (expired, replayed or foreign answer); nothing was signed in. */
  'sign_in_failed',
  /** The identity provider could not be reached or does not describe itself as configured (its issuer differs). */
  'provider_unavailable',
  'internal'
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Refusals that say "try again in a moment": nothing was changed, and the same command can succeed later (the database
 * briefly away, the session moving between instances, too many commands at once). A page keeps what the person did and
 * sends it again after a pause, as it does after a lost connection; every other refusal is final for that command.
 */
export const RETRY_LATER: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['store_unavailable', 'rate_limited']);

/** An error as it travels in an ack, a connect error or a REST response body. */
export interface ProtocolError {
  code: ErrorCode;
  message: string;
  /** Field-level problems, e.g. from schema validation. */
  details?: string[];
}

/** What every acknowledged command answers. */
export type Ack<T = null> = { ok: true; data: T } | { ok: false; error: ProtocolError };

/** HTTP status for each error code, for the REST API. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  cross_site: 403,
  not_found: 404,
  wrong_phase: 409,
  wrong_round: 409,
  voting_closed: 409,
  invalid_transition: 409,
  rate_limited: 429,
  too_many_connections: 429,
  session_full: 409,
  joins_locked: 403,
  server_full: 503,
  community_full: 409,
  too_large: 413,
  no_dots_left: 409,
  comments_full: 409,
  rounds_full: 409,
  session_closed: 410,
  version_mismatch: 400,
  invite_used: 410,
  invite_expired: 410,
  meeting_started: 409,
  store_unavailable: 503,
  domain_not_allowed: 403,
  sign_in_failed: 400,
  provider_unavailable: 502,
  internal: 500
};

/** An error that carries a protocol code; thrown in the server and turned into an ack or a response. */
export class CommandError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: string[]
  ) {
    super(message);
    this.name = 'CommandError';
  }

  toJSON(): ProtocolError {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

/** Whether a value looks like a ProtocolError (for clients reading connect errors). */
export function isProtocolError(value: unknown): value is ProtocolError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ProtocolError).code === 'string' &&
    (ERROR_CODES as readonly string[]).includes((value as ProtocolError).code) &&
    typeof (value as ProtocolError).message === 'string'
  );
}
