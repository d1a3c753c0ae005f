/**
 * What a sign-in with the organisation's identity provider hands to the accounts: an identity the
 * OpenID Connect client has verified (signature, issuer, audience, nonce, PKCE, state, e-mail domain).
 * The account is keyed by issuer and subject, never by e-mail (an address can be reassigned).
 */
import type { Request, Response } from 'express';

export interface ExternalIdentity {
  /** The issuer identifier as configured (OIDC_ISSUER), which the ID token's `iss` matched. */
  issuer: string;
  /** The provider's stable id of the person (`sub`). */
  subject: string;
  /** Only what the provider vouches for: an e-mail address that it did not call unverified. */
  profile: { name?: string; email?: string };
}

/**
 * Signs the verified identity in: finds or creates its account, starts a session (cookie) and
 * answers the browser (a redirect to `next`). Implemented by the accounts (server/accounts/service.ts).
 */
export type ExternalSignIn = (identity: ExternalIdentity, req: Request, res: Response, next: string) => Promise<void>;
