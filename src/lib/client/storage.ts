import { resolve } from '$app/paths';
import { replaceState } from '$app/navigation';

/** Tokens live in this browser's local storage so a reload or reconnect rejoins as the same person. */
export interface ParticipantCredentials {
  participantId: string;
  token: string;
}

const participantKey = (code: string) => `seeds:participant:${code}`;
const facilitatorKey = (code: string) => `seeds:facilitator:${code}`;

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // Storage blocked (private mode): the session still works until a reload.
  }
}

export function loadParticipant(code: string): ParticipantCredentials | null {
  const raw = read(participantKey(code));
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw);
    return typeof parsed?.token === 'string' && typeof parsed?.participantId === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

export function saveParticipant(code: string, credentials: ParticipantCredentials | null): void {
  write(participantKey(code), credentials ? JSON.stringify(credentials) : null);
}

export function loadFacilitatorToken(code: string): string | null {
  return read(facilitatorKey(code));
}

export function saveFacilitatorToken(code: string, token: string | null): void {
  write(facilitatorKey(code), token);
}

/**
 * Takes a facilitator token out of the URL fragment (`#token=…`), keeps it in
 * local storage and removes it from the address bar and history.
 */
export function takeFacilitatorTokenFromUrl(code: string): string | null {
  const match = location.hash.match(/token=([A-Za-z0-9_-]{16,128})/);
  if (match) {
    saveFacilitatorToken(code, match[1]);
    replaceState(resolve('/s/[code]/facilitate', { code }), {});
  }
  return loadFacilitatorToken(code);
}
