import type { OwnAnswer } from '../protocol';

type PendingAnswer = OwnAnswer & { round: number };

/** Tokens live in this browser's local storage so a reload or reconnect rejoins as the same person. */
export interface ParticipantCredentials {
  participantId: string;
  token: string;
}

const participantKey = (code: string) => `seeds:participant:${code}`;
const facilitatorKey = (code: string) => `seeds:facilitator:${code}`;
const presenterKey = (code: string) => `seeds:presenter:${code}`;
const communityKey = (id: string) => `seeds:community:${id}`;

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

export function loadPending(code: string, token: string): Record<number, PendingAnswer> {
  const raw = read(pendingKey(code, token));
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    const result: Record<number, PendingAnswer> = {};
    if (parsed && typeof parsed === 'object') {
      for (const [factor, value] of Object.entries(parsed)) {
        const v = value as Partial<PendingAnswer> | null;
        const answerOk = v && (v.answer === 'unknown' || (typeof v.answer === 'number' && v.answer >= 1 && v.answer <= 5));
        if (answerOk && Number.isInteger(Number(factor)) && Number.isInteger(v.round) && (v.comment === null || typeof v.comment === 'string')) {
          result[Number(factor)] = { answer: v.answer!, comment: v.comment ?? null, round: v.round! };
        }
      }
    }
    return result;
  } catch {
    return {};
  }
}

export function savePending(code: string, token: string, pending: Record<number, PendingAnswer>): void {
  write(pendingKey(code, token), Object.keys(pending).length > 0 ? JSON.stringify(pending) : null);
}

export function loadFacilitatorToken(code: string): string | null {
  return read(facilitatorKey(code));
}

export function saveFacilitatorToken(code: string, token: string | null): void {
  write(facilitatorKey(code), token);
}

/** A credential carried in the URL fragment (`#token=…` or `#key=…`), which browsers never send to a server. */
function fromHash(name: 'token' | 'key'): string | null {
  const match = location.hash.match(new RegExp(`[#&]${name}=([A-Za-z0-9_-]{16,128})`));
  return match ? match[1] : null;
}

/**
 * The facilitator token of this session: from the facilitator link's fragment
 * (kept in local storage from then on), else the one this browser kept.
 * `fromLink` tells the page to take the token out of the address bar once the
 * router is ready (SvelteKit's `replaceState` must not run during the first mount).
 */
export function facilitatorTokenFromLink(code: string): { token: string | null; fromLink: boolean } {
  const linked = fromHash('token');
  if (linked) saveFacilitatorToken(code, linked);
  return { token: linked ?? loadFacilitatorToken(code), fromLink: linked !== null };
}

/**
 * The credential a presenter screen connects with: the presenter link's key,
 * else one kept from an earlier visit, else (on the facilitator's own browser)
 * the facilitator token.
 */
export function presenterCredentialFromLink(code: string): { token: string | null; fromLink: boolean } {
  const linked = fromHash('key');
  if (linked) write(presenterKey(code), linked);
  return { token: linked ?? read(presenterKey(code)) ?? loadFacilitatorToken(code), fromLink: linked !== null };
}

export function saveCommunityToken(id: string, token: string | null): void {
  write(communityKey(id), token);
}

/** The community token: from the community link's fragment (kept from then on), else the one this browser kept. */
export function communityTokenFromLink(id: string): { token: string | null; fromLink: boolean } {
  const linked = fromHash('token');
  if (linked) saveCommunityToken(id, linked);
  return { token: linked ?? read(communityKey(id)), fromLink: linked !== null };
}

/**
 * Every key this browser holds from link-based use (communities by id, sessions by code), for "add the keys this
 * browser holds to your account" on the home page (issue 24). Bounded by what fits in local storage.
 */
export function heldKeys(): { communities: { id: string; token: string }[]; sessions: { code: string; token: string }[] } {
  const held = { communities: [] as { id: string; token: string }[], sessions: [] as { code: string; token: string }[] };
  try {
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      const value = key ? localStorage.getItem(key) : null;
      if (!key || !value || !/^[A-Za-z0-9_-]{16,128}$/.test(value)) continue;
      if (key.startsWith('seeds:community:')) held.communities.push({ id: key.slice('seeds:community:'.length), token: value });
      else if (key.startsWith('seeds:facilitator:')) held.sessions.push({ code: key.slice('seeds:facilitator:'.length), token: value });
    }
  } catch {
    // Storage blocked: nothing to offer.
  }
  return held;
}
