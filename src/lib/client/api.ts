import type { Framework, Language } from '../domain/framework';
import { isTimeZone } from '../domain/dates';
import type {
  CommunityShares,
  AccountHomeView,
  ClaimResult,
  FacilitatorList,
  InviteAccepted,
  InviteCreated,
  CommunitySummary,
  CommunityTrends,
  CreateCommunityResponse,
  CreateOrganisationResponse,
  CreatePaperSessionResponse,
  CreateSessionResponse,
  JoinSessionResponse,
  OrganisationShares,
  PortfolioView,
  ProtocolError,
  SessionSummary
} from '../protocol';
import { isProtocolError } from '../protocol';
import type { CsvTable, ExportJson } from '../domain/export';
import { dispositionFileName } from '../domain/file-names';

/** A REST result: data, or a typed error to show. */
export type ApiResult<T> = { ok: true; data: T } | { ok: false; error: ProtocolError; status: number };

async function request<T>(path: string, init?: RequestInit): Promise<ApiResult<T>> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: { 'content-type': 'application/json', ...init?.headers } });
  } catch {
    return { ok: false, status: 0, error: { code: 'internal', message: 'network' } };
  }
  const body = await response.json().catch(() => null);
  if (response.ok) return { ok: true, data: body as T };
  const error = body && isProtocolError(body.error) ? body.error : { code: 'internal' as const, message: response.statusText };
  return { ok: false, status: response.status, error };
}

/**
 * The browser's IANA time zone: a new session or community is dated where the person creating it is (the
 * server checks it and falls back to Europe/Amsterdam when the browser names none it knows).
 */
function browserTimeZone(): string | undefined {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return isTimeZone(zone) ? zone : undefined;
}

export function createSession(body: { title?: string; language: Language; anonymous: boolean }): Promise<ApiResult<CreateSessionResponse>> {
  return request('/api/sessions', { method: 'POST', body: JSON.stringify({ ...body, timeZone: browserTimeZone() }) });
}

export function createCommunity(body: { name: string; language: Language }): Promise<ApiResult<CreateCommunityResponse>> {
  return request('/api/communities', { method: 'POST', body: JSON.stringify({ ...body, timeZone: browserTimeZone() }) });
}

/** A programme (an organisation) whose quarters are counted in this browser's time zone; a signed-in creator is its admin. */
export function createOrganisation(body: { name: string }): Promise<ApiResult<CreateOrganisationResponse>> {
  return request('/api/organisations', { method: 'POST', body: JSON.stringify({ ...body, timeZone: browserTimeZone() }) });
}

/**
 * The key as a bearer token; an empty key sends none, so a signed-in facilitator's account cookie (sent with
 * every same-origin request) authenticates instead (issue 24).
 */
const bearerOf = (token: string): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
const communityAuth = bearerOf;

export function getCommunity(id: string, token: string): Promise<ApiResult<CommunitySummary>> {
  return request(`/api/communities/${encodeURIComponent(id)}`, { headers: communityAuth(token) });
}

export function getCommunityTrends(id: string, token: string): Promise<ApiResult<CommunityTrends>> {
  return request(`/api/communities/${encodeURIComponent(id)}/trends.json`, { headers: communityAuth(token) });
}

/** Starts the next session of a community (it takes the community's language and framework). */
export function createCommunitySession(
  id: string,
  token: string,
  body: { title?: string; anonymous: boolean; mode?: 'checkin'; deadline?: string; revealAt?: 'deadline' | 'manual' }
): Promise<ApiResult<CreateSessionResponse>> {
  return request('/api/sessions', { method: 'POST', headers: communityAuth(token), body: JSON.stringify({ ...body, community: id }) });
}

export function addPaperSession(
  id: string,
  token: string,
  body: { title?: string; date: string; factors: { number: number; distribution: Record<'1' | '2' | '3' | '4' | '5', number>; unknown: number }[] }
): Promise<ApiResult<CreatePaperSessionResponse>> {
  return request(`/api/communities/${encodeURIComponent(id)}/paper-sessions`, { method: 'POST', headers: communityAuth(token), body: JSON.stringify(body) });
}

/** Imports a session's export.json (as downloaded, parsed) into the community's trend. */
export function importSessionExport(id: string, token: string, exported: unknown): Promise<ApiResult<CreatePaperSessionResponse>> {
  return request(`/api/communities/${encodeURIComponent(id)}/imports`, { method: 'POST', headers: communityAuth(token), body: JSON.stringify(exported) });
}

/** Deletes the community with all its sessions. */
export function deleteCommunity(id: string, token: string): Promise<ApiResult<null>> {
  return request(`/api/communities/${encodeURIComponent(id)}`, { method: 'DELETE', headers: communityAuth(token) });
}

export function getPortfolio(id: string, token: string): Promise<ApiResult<PortfolioView>> {
  return request(`/api/organisations/${encodeURIComponent(id)}/portfolio.json`, { headers: communityAuth(token) });
}

export function downloadPortfolio(id: string, token: string): Promise<ApiResult<null>> {
  return downloadFile(`/api/organisations/${encodeURIComponent(id)}/portfolio.xlsx`, token, 'programme.xlsx');
}

export function getCommunityShares(id: string, token: string): Promise<ApiResult<CommunityShares>> {
  return request(`/api/communities/${encodeURIComponent(id)}/shares`, { headers: communityAuth(token) });
}

/** Shares the community with the organisation by taking its share invitation (the organisation's consent). */
export function shareCommunity(id: string, token: string, organisationId: string, invite: string): Promise<ApiResult<CommunityShares>> {
  return request(`/api/communities/${encodeURIComponent(id)}/shares/${encodeURIComponent(organisationId)}`, {
    method: 'PUT',
    headers: communityAuth(token),
    body: JSON.stringify({ invite })
  });
}

/** A single-use share invitation of the organisation: its admin's cookie, or its key (`token`) while it has no admin. */
export function createShareInvite(organisationId: string, token: string): Promise<ApiResult<InviteCreated>> {
  return request(`/api/organisations/${encodeURIComponent(organisationId)}/share-invites`, { method: 'POST', headers: communityAuth(token), body: '{}' });
}

export function withdrawShare(id: string, token: string, organisationId: string): Promise<ApiResult<null>> {
  return request(`/api/communities/${encodeURIComponent(id)}/shares/${encodeURIComponent(organisationId)}`, {
    method: 'DELETE',
    headers: communityAuth(token)
  });
}

/** The owner dismisses the notice that an organisation removed the community from its programme. */
export function dismissShareRemoval(id: string, token: string, organisationId: string): Promise<ApiResult<null>> {
  return request(`/api/communities/${encodeURIComponent(id)}/share-removals/${encodeURIComponent(organisationId)}`, {
    method: 'DELETE',
    headers: communityAuth(token)
  });
}

/** The communities sharing with an organisation, for its admin (cookie; or its key while it has no admin). */
export function getOrganisationShares(organisationId: string, token: string): Promise<ApiResult<OrganisationShares>> {
  return request(`/api/organisations/${encodeURIComponent(organisationId)}/shares`, { headers: communityAuth(token) });
}

/** The organisation's admin removes a community from the programme. */
export function removeOrganisationShare(organisationId: string, token: string, communityId: string): Promise<ApiResult<null>> {
  return request(`/api/organisations/${encodeURIComponent(organisationId)}/shares/${encodeURIComponent(communityId)}`, {
    method: 'DELETE',
    headers: communityAuth(token)
  });
}

export function getSession(code: string): Promise<ApiResult<SessionSummary>> {
  return request(`/api/sessions/${encodeURIComponent(code)}`);
}

export function joinSession(code: string, body: { name?: string; group?: string | null; language?: Language }): Promise<ApiResult<JoinSessionResponse>> {
  return request(`/api/sessions/${encodeURIComponent(code)}/participants`, { method: 'POST', body: JSON.stringify(body) });
}

const frameworks = new Map<string, Promise<ApiResult<Framework>>>();

/** The framework a session uses; fetched once per page. */
export function getFramework(id: string): Promise<ApiResult<Framework>> {
  let pending = frameworks.get(id);
  if (!pending) {
    pending = request<Framework>(`/api/frameworks/${encodeURIComponent(id)}`);
    frameworks.set(id, pending);
    void pending.then((r) => !r.ok && frameworks.delete(id));
  }
  return pending;
}

/** The export JSON (for the print view), with the facilitator token in a header. */
export function getExportJson(code: string, token: string): Promise<ApiResult<ExportJson>> {
  return request(`/api/sessions/${encodeURIComponent(code)}/export.json`, { headers: bearerOf(token) });
}

/**
 * Downloads an export with the facilitator token (it must not travel in a URL), under the file name
 * the server offers (the session's title and day; see server/http/attachment.ts). CSV: one `table`.
 */
export async function downloadExport(
  code: string,
  token: string,
  format: 'md' | 'csv' | 'json' | 'xlsx' | 'ics',
  table: CsvTable = 'factors'
): Promise<ApiResult<null>> {
  const file = format === 'ics' ? 'actions.ics' : format === 'csv' ? `export.csv?table=${table}` : `export.${format}`;
  const fallback = format === 'ics' ? `session-${code}-actions.ics` : format === 'csv' ? `session-${code}-${table}.csv` : `session-${code}.${format}`;
  return downloadFile(`/api/sessions/${encodeURIComponent(code)}/${file}`, token, fallback);
}

/** Downloads a community export (`trends.json` for JSON) with the community token in a header, under the name the server offers. */
export async function downloadCommunityExport(id: string, token: string, format: 'md' | 'csv' | 'json' | 'xlsx' | 'ics'): Promise<ApiResult<null>> {
  const file = format === 'json' ? 'trends.json' : format === 'ics' ? 'actions.ics' : `export.${format}`;
  const fallback = format === 'json' ? 'community-trends.json' : format === 'ics' ? 'community-actions.ics' : `community.${format}`;
  return downloadFile(`/api/communities/${encodeURIComponent(id)}/${file}`, token, fallback);
}

/** Fetches a file with a bearer token and offers it under its Content-Disposition name (`fallback` when it has none). */
async function downloadFile(path: string, token: string, fallback: string): Promise<ApiResult<null>> {
  let response: Response;
  try {
    response = await fetch(path, { headers: bearerOf(token) });
  } catch {
    return { ok: false, status: 0, error: { code: 'internal', message: 'network' } };
  }
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    return { ok: false, status: response.status, error: body?.error ?? { code: 'internal', message: response.statusText } };
  }
  const blob = await response.blob();
  saveBlob(blob, dispositionFileName(response.headers.get('content-disposition')) ?? fallback);
  return { ok: true, data: null };
}

/** Offers a blob as a file download. */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---- a facilitator's home and co-facilitators (issue 24): the account cookie goes with every same-origin request

/** The signed-in account and its home; 401 when signed out. */
export function getHome(): Promise<ApiResult<AccountHomeView>> {
  return request('/api/me', { cache: 'no-store' });
}

/** Adds keys this browser holds to the account (at most 50 of each per call). */
export function claimKeys(body: {
  communities: { id: string; token: string }[];
  sessions: { code: string; token: string }[];
  organisations?: { id: string; token: string }[];
}): Promise<ApiResult<ClaimResult>> {
  return request('/api/me/claims', { method: 'POST', body: JSON.stringify(body) });
}

/** Hides a community or session from the home (or shows it again). */
export function setArchived(kind: 'community' | 'session', id: string, archived: boolean): Promise<ApiResult<null>> {
  return request('/api/me/archive', { method: 'POST', body: JSON.stringify({ kind, id, archived }) });
}

/** What co-facilitators (and an organisation's programme leads) belong to. */
export type MemberTarget = 'community' | 'session' | 'organisation';

const targetPath = (kind: MemberTarget, id: string) =>
  `/api/${kind === 'community' ? 'communities' : kind === 'session' ? 'sessions' : 'organisations'}/${encodeURIComponent(id)}`;
/** Co-facilitators of a community or session; an organisation's programme leads. */
const membersPath = (kind: MemberTarget) => (kind === 'organisation' ? 'leads' : 'facilitators');

export function createInvite(kind: MemberTarget, id: string): Promise<ApiResult<InviteCreated>> {
  return request(`${targetPath(kind, id)}/invites`, { method: 'POST', body: '{}' });
}

export function acceptInvite(token: string): Promise<ApiResult<InviteAccepted>> {
  return request('/api/invites/accept', { method: 'POST', body: JSON.stringify({ token }) });
}

export function listFacilitators(kind: MemberTarget, id: string): Promise<ApiResult<FacilitatorList>> {
  return request(`${targetPath(kind, id)}/${membersPath(kind)}`, { cache: 'no-store' });
}

export function removeFacilitator(kind: MemberTarget, id: string, accountId: string): Promise<ApiResult<null>> {
  return request(`${targetPath(kind, id)}/${membersPath(kind)}/${encodeURIComponent(accountId)}`, { method: 'DELETE' });
}
