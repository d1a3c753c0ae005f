import type { ProtocolError } from '$lib/protocol';
import { errorMessage, m } from '$lib/i18n/index.svelte';

/** Why a session page cannot show the session: a malformed code, or what the API answered (status 0: no network). */
export type SessionLoadError = { kind: 'bad_code' } | { kind: 'api'; status: number; error: ProtocolError };

/** What a session page says when its session could not be loaded (see `src/routes/s/[code]/+layout.ts`). */
export function loadErrorMessage(error: SessionLoadError): string {
  if (error.kind === 'bad_code') return m().landing.badCode;
  if (error.status === 404) return m().landing.unknownCode;
  if (error.status === 0) return m().errors.network;
  return errorMessage(error.error);
}
