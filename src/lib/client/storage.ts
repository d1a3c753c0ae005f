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
const organisationKey = (id: string) => `seeds:organisation:${id}`;

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
export function communityTokenFromLink(id: string): { token: string | null; fromLink: boolean; newHere: boolean } {
  const linked = fromHash('token');
  const kept = read(communityKey(id));
  if (linked) saveCommunityToken(id, linked);
  // `newHere`: a link this browser did not hold yet (just created, or opened on another device), not a bookmark revisited.
  return { token: linked ?? kept, fromLink: linked !== null, newHere: linked !== null && kept !== linked };
}

/**
 * A change this person made that the server refused because the round or the
 * voting had moved on (`LostChange` in session.svelte.ts). Kept per session and
 * person until they dismiss it, so a reload does not lose the text they typed.
 */
export interface StoredLostChange extends PendingAnswer {
  factor: number;
  /** What was lost: the score, the comment, or both (compared with what the server had). */
  kind: 'score' | 'comment' | 'both';
  /** `closed`: voting had closed; `round`: a new round had begun. */
  reason: 'closed' | 'round';
}

const lostKey = (code: string, token: string) => `seeds:lost:${code}:${token.slice(0, 12)}`;

export function loadLost(code: string, token: string): StoredLostChange[] {
  const raw = read(lostKey(code, token));
  if (!raw) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (v: Partial<StoredLostChange> | null): v is StoredLostChange =>
        !!v &&
        Number.isInteger(v.factor) &&
        Number.isInteger(v.round) &&
        (v.answer === 'unknown' || (typeof v.answer === 'number' && v.answer >= 1 && v.answer <= 5)) &&
        (v.comment === null || typeof v.comment === 'string') &&
        (v.kind === 'score' || v.kind === 'comment' || v.kind === 'both') &&
        (v.reason === 'closed' || v.reason === 'round')
    );
  } catch {
    return [];
  }
}

export function saveLost(code: string, token: string, lost: StoredLostChange[]): void {
  write(lostKey(code, token), lost.length > 0 ? JSON.stringify(lost) : null);
}

/** Action-point texts the server did not store (BoardClient `unsaved`), kept per session until their author dismisses them. */
const unsavedKey = (code: string) => `seeds:unsaved:${code}`;

export function loadUnsavedTexts(code: string): Record<string, string> {
  const raw = read(unsavedKey(code));
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

export function saveUnsavedTexts(code: string, texts: Record<string, string>): void {
  write(unsavedKey(code), Object.keys(texts).length > 0 ? JSON.stringify(texts) : null);
}

/** The organisation key: from the programme link's fragment (kept from then on), else the one this browser kept. */
export function organisationTokenFromLink(id: string): { token: string | null; fromLink: boolean } {
  const linked = fromHash('token');
  if (linked) write(organisationKey(id), linked);
  return { token: linked ?? read(organisationKey(id)), fromLink: linked !== null };
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
