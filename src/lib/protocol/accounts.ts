/** Facilitator accounts on the wire (issue 24; docs/protocol.md, "Accounts"). */
import type { Phase } from '../domain/phases';

/** `GET /api/me` with the session cookie: who is signed in and what they own or co-facilitate. */
export interface MeResponse {
  id: string;
  name: string;
  communities: { id: string; name: string }[];
  sessions: { code: string; title: string; phase: Phase }[];
}

/** `GET /api/auth/config`: which ways of signing in this server offers. */
export interface AuthConfig {
  passkeys: boolean;
  oidc: boolean;
}

/** `POST /api/auth/passkey/register/finish`: the new account and its recovery codes, shown once. */
export interface RegisterResponse {
  id: string;
  name: string;
  recoveryCodes: string[];
}
