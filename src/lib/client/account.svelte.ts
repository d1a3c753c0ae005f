/**
 * The facilitator's account in the browser (issue 24): who is signed in (from `GET /api/me`; the cookie itself is
 * HttpOnly and never readable here), and the passkey ceremonies through @simplewebauthn/browser.
 */
import {
  startAuthentication,
  startRegistration,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON
} from '@simplewebauthn/browser';
import type { AuthConfig, MeResponse, ProtocolError, RegisterResponse } from '../protocol';
import { isProtocolError } from '../protocol';

export type AccountResult<T> = { ok: true; data: T } | { ok: false; status: number; error: ProtocolError | null; cancelled?: boolean };

/** The signed-in account as the header and /home show it; `known` once asked. */
export const account = $state<{ known: boolean; me: MeResponse | null }>({ known: false, me: null });

async function call<T>(path: string, init: RequestInit = {}): Promise<AccountResult<T>> {
  let response: Response;
  try {
    response = await fetch(path, { credentials: 'same-origin', ...init, headers: { 'content-type': 'application/json', ...init.headers } });
  } catch {
    return { ok: false, status: 0, error: null };
  }
  const text = await response.text();
  const body = text ? (JSON.parse(text) as unknown) : null;
  if (response.ok) return { ok: true, data: body as T };
  const error = body && typeof body === 'object' && isProtocolError((body as { error?: unknown }).error) ? (body as { error: ProtocolError }).error : null;
  return { ok: false, status: response.status, error };
}

/** Asks who is signed in (null when nobody). */
export async function refreshAccount(): Promise<MeResponse | null> {
  const result = await call<MeResponse>('/api/me');
  account.me = result.ok ? result.data : null;
  account.known = true;
  return account.me;
}

export function authConfig(): Promise<AccountResult<AuthConfig>> {
  return call<AuthConfig>('/api/auth/config');
}

/** The passkey step in the browser; a person cancelling is not an error to show as one. */
async function ceremony<T>(run: () => Promise<T>): Promise<AccountResult<T>> {
  try {
    return { ok: true, data: await run() };
  } catch (error) {
    const name = (error as { name?: string }).name;
    return { ok: false, status: 0, error: null, cancelled: name === 'NotAllowedError' || name === 'AbortError' };
  }
}

type Options<O> = { ceremony: string; options: O };

/** Sign up: a new account with a passkey; answers the recovery codes to show once. */
export async function signUpWithPasskey(name: string): Promise<AccountResult<RegisterResponse>> {
  const start = await call<Options<PublicKeyCredentialCreationOptionsJSON>>('/api/auth/passkey/register/options', {
    method: 'POST',
    body: JSON.stringify({ name })
  });
  if (!start.ok) return start;
  const credential = await ceremony(() => startRegistration({ optionsJSON: start.data.options }));
  if (!credential.ok) return credential;
  const done = await call<RegisterResponse>('/api/auth/passkey/register/finish', {
    method: 'POST',
    body: JSON.stringify({ ceremony: start.data.ceremony, response: credential.data })
  });
  if (done.ok) await refreshAccount();
  return done;
}

/** Sign in with a passkey this device (or password manager) holds for the board: no name asked. */
export async function signInWithPasskey(): Promise<AccountResult<{ id: string; name: string }>> {
  const start = await call<Options<PublicKeyCredentialRequestOptionsJSON>>('/api/auth/passkey/sign-in/options', { method: 'POST' });
  if (!start.ok) return start;
  const credential = await ceremony(() => startAuthentication({ optionsJSON: start.data.options }));
  if (!credential.ok) return credential;
  const done = await call<{ id: string; name: string }>('/api/auth/passkey/sign-in/finish', {
    method: 'POST',
    body: JSON.stringify({ ceremony: start.data.ceremony, response: credential.data })
  });
  if (done.ok) await refreshAccount();
  return done;
}

/** Adds a passkey of another authenticator to the signed-in account. */
export async function addPasskey(): Promise<AccountResult<{ passkeys: number }>> {
  const start = await call<Options<PublicKeyCredentialCreationOptionsJSON>>('/api/auth/passkey/add/options', { method: 'POST' });
  if (!start.ok) return start;
  const credential = await ceremony(() => startRegistration({ optionsJSON: start.data.options }));
  if (!credential.ok) return credential;
  return call<{ passkeys: number }>('/api/auth/passkey/add/finish', {
    method: 'POST',
    body: JSON.stringify({ ceremony: start.data.ceremony, response: credential.data })
  });
}

export async function signInWithRecoveryCode(code: string): Promise<AccountResult<{ id: string; name: string; recoveryCodesLeft: number }>> {
  const done = await call<{ id: string; name: string; recoveryCodesLeft: number }>('/api/auth/recovery', { method: 'POST', body: JSON.stringify({ code }) });
  if (done.ok) await refreshAccount();
  return done;
}

export async function signOut(everywhere = false): Promise<AccountResult<null>> {
  const done = await call<null>(everywhere ? '/api/auth/sign-out-everywhere' : '/api/auth/sign-out', { method: 'POST' });
  account.me = null;
  return done;
}

export async function deleteAccount(handOver: boolean): Promise<AccountResult<null>> {
  const done = await call<null>('/api/me', { method: 'DELETE', body: JSON.stringify({ handOver }) });
  if (done.ok) account.me = null;
  return done;
}
