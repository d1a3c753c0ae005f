/**
 * Signed-in facilitators for integration tests (issue 24): a real account and a real cookie session in the
 * server's own store, and socket.io / Yjs clients that send the cookie as a browser does (no mocked auth).
 */
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { onTestFinished } from 'vitest';
import type { RunningServer } from '../../server/app';
import { generateId, generateToken, hashToken } from '../../server/security/tokens';
import { PROTOCOL_VERSION } from '../../src/lib/protocol';
import { BoardClient, PATIENCE_MS, waitFor, yjsBase, type BoardSocket } from './clients';
import { api, postJson, type ApiResponse } from './server';
import type { CreateCommunityResponse, InviteCreated, ProtocolError } from '../../src/lib/protocol';
import { scaled } from './patience';

export interface SignedIn {
  accountId: string;
  /** The Cookie header a signed-in browser sends. */
  cookie: string;
  name: string;
}

/** A new account with one signed-in browser, stored through the server's own store as the sign-in routes store them. */
export async function signIn(server: RunningServer, name: string): Promise<SignedIn> {
  const now = Date.now();
  const accountId = generateId();
  await server.store.createAccount({ id: accountId, name, createdAt: now });
  const sessionId = generateToken();
  await server.store.createAccountSession({ idHash: hashToken(sessionId), accountId, createdAt: now, lastSeenAt: now, expiresAt: now + 86_400_000 });
  return { accountId, cookie: `seeds_session=${sessionId}`, name };
}

/** Headers of a same-origin browser request with the account's cookie. */
export const asBrowser = (server: RunningServer, who: SignedIn, extra: Record<string, string> = {}) => ({
  cookie: who.cookie,
  origin: server.url,
  'sec-fetch-site': 'same-origin',
  ...extra
});

export function getAs<T = unknown>(server: RunningServer, who: SignedIn, path: string, extra: Record<string, string> = {}): Promise<ApiResponse<T>> {
  return api<T>(server.url, path, { headers: asBrowser(server, who, extra) });
}

export function postAs<T = unknown>(
  server: RunningServer,
  who: SignedIn,
  path: string,
  body: unknown = {},
  extra: Record<string, string> = {}
): Promise<ApiResponse<T>> {
  return postJson<T>(server.url, path, body, asBrowser(server, who, extra));
}

export function deleteAs<T = unknown>(server: RunningServer, who: SignedIn, path: string): Promise<ApiResponse<T>> {
  return api<T>(server.url, path, { method: 'DELETE', headers: asBrowser(server, who) });
}

function cookieSocket(server: RunningServer, code: string, headers: Record<string, string>): BoardSocket {
  const socket: BoardSocket = io(server.url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: { code, protocolVersion: PROTOCOL_VERSION },
    query: { code },
    extraHeaders: headers
  });
  onTestFinished(() => void socket.disconnect());
  return socket;
}

/** A facilitator page opened without the session's key: socket.io with the account cookie only. */
export function connectWithCookie(server: RunningServer, code: string, who: SignedIn, extra: Record<string, string> = {}): Promise<BoardClient> {
  const client = new BoardClient(cookieSocket(server, code, { cookie: who.cookie, origin: server.url, ...extra }));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('connectWithCookie: no snapshot in time')), scaled(PATIENCE_MS));
    client.socket.once('state', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.socket.once('connect_error', (error) => {
      clearTimeout(timer);
      reject(Object.assign(error, { data: (error as Error & { data?: ProtocolError }).data }));
    });
  });
}

/** The same, expecting a refusal: the connect error's data (or the transport error's message). */
export async function cookieRefused(server: RunningServer, code: string, who: SignedIn, extra: Record<string, string> = {}): Promise<string> {
  try {
    await connectWithCookie(server, code, who, extra);
  } catch (error) {
    const data = (error as Error & { data?: ProtocolError }).data;
    return data?.code ?? (error as Error).message;
  }
  throw new Error('cookieRefused: the connection was accepted');
}

/** A raw board (Yjs) WebSocket opened with a ticket from `client`; resolves once open, and records how it closed. */
export async function openBoard(server: RunningServer, code: string, client: BoardClient): Promise<{ ws: WebSocket; closed: () => number | null }> {
  const ack = await client.send('board:ticket', {});
  if (!ack.ok) throw new Error(`board:ticket refused: ${ack.error.code}`);
  const ws = new WebSocket(`${yjsBase(server.url)}/${encodeURIComponent(code)}?ticket=${encodeURIComponent(ack.data.ticket)}`, {
    headers: { origin: server.url }
  });
  let closedWith: number | null = null;
  ws.on('close', (status) => (closedWith = status));
  ws.on('error', () => undefined);
  onTestFinished(() => ws.terminate());
  await waitFor(() => ws.readyState === WebSocket.OPEN || closedWith !== null, { message: 'board socket open' });
  if (closedWith !== null) throw new Error(`board socket closed at once: ${closedWith}`);
  return { ws, closed: () => closedWith };
}

/**
 * The people of the authorization matrix with accounts (docs/authorization.md), around one community the owner
 * owns: a co-facilitator, a removed co-facilitator (and a second co-facilitator to remove), another account.
 */
export interface AccountWorld {
  community: string;
  owner: SignedIn;
  people: Record<'owner' | 'coFacilitator' | 'removedCoFacilitator' | 'otherAccount', SignedIn>;
  /** A second co-facilitator, for the removal cell. */
  second: SignedIn;
  /** An earlier session's open action point (`review:set` cells only). */
  reviewKey?: string;
}

export async function invited(server: RunningServer, owner: SignedIn, community: string, name: string): Promise<SignedIn> {
  const who = await signIn(server, name);
  const invite = await postAs<InviteCreated>(server, owner, `/api/communities/${community}/invites`);
  const token = new URL(invite.body.inviteUrl).hash.replace('#token=', '');
  const accepted = await postAs(server, who, '/api/invites/accept', { token });
  if (accepted.status !== 200) throw new Error(`invite: ${accepted.status} ${accepted.text}`);
  return who;
}

export async function accountWorld(server: RunningServer): Promise<AccountWorld> {
  const owner = await signIn(server, 'Owner');
  const created = await postAs<CreateCommunityResponse>(server, owner, '/api/communities', { name: 'Account matrix' });
  const community = created.body.id;
  const coFacilitator = await invited(server, owner, community, 'Co');
  const removed = await invited(server, owner, community, 'Removed');
  const second = await invited(server, owner, community, 'Second');
  const removal = await deleteAs(server, owner, `/api/communities/${community}/facilitators/${removed.accountId}`);
  if (removal.status !== 204) throw new Error(`removal: ${removal.status}`);
  return {
    community,
    owner,
    second,
    people: { owner, coFacilitator, removedCoFacilitator: removed, otherAccount: await signIn(server, 'Other') }
  };
}
