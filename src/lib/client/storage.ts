import { resolve } from '$app/paths';
import { replaceState } from '$app/navigation';
import type { OwnAnswer } from '../protocol';

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

/**
 * Answers and comments not yet acknowledged, kept per session and person so a
 * reload (a phone that drops the page) sends them again instead of losing them.
 */
const pendingKey = (code: string, token: string) => `seeds:pending:${code}:${token.slice(0, 12)}`;

export function loadPending(code: string, token: string): Record<number, OwnAnswer> {
  const raw = read(pendingKey(code, token));
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    const result: Record<number, OwnAnswer> = {};
    if (parsed && typeof parsed === 'object') {
      for (const [factor, value] of Object.entries(parsed)) {
        const v = value as Partial<OwnAnswer> | null;
        const answerOk = v && (v.answer === 'unknown' || (typeof v.answer === 'number' && v.answer >= 1 && v.answer <= 5));
        if (answerOk && Number.isInteger(Number(factor)) && (v.comment === null || typeof v.comment === 'string')) {
          result[Number(factor)] = { answer: v.answer!, comment: v.comment ?? null };
        }
      }
    }
    return result;
  } catch {
    return {};
  }
}

export function savePending(code: string, token: string, pending: Record<number, OwnAnswer>): void {
  write(pendingKey(code, token), Object.keys(pending).length > 0 ? JSON.stringify(pending) : null);
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
