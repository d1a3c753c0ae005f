import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** A fresh bearer token: 256 random bits, URL-safe. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Tokens are stored only as this hash, so a copied database grants no access. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A random id for records. */
export function generateId(): string {
  return randomUUID();
}

/**
 * The read-only presenter credential of a session, derived from its facilitator
 * token: every facilitator device can hand it out again (the server stores
 * only hashes), and holding it reveals nothing about the facilitator token.
 */
export function derivePresenterToken(facilitatorToken: string): string {
  return createHash('sha256').update(`seeds-presenter:${facilitatorToken}`, 'utf8').digest('base64url');
}
