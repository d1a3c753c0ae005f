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
