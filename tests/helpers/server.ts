/**
 * Test servers and REST helpers. Every factory registers its own teardown with
 * `afterTest` (./file-scope.ts: after the test, or after the file for what a `sharedByFile`
 * set-up makes; teardowns run in reverse order, so clients close before
 * the server they talk to, and the data directory goes last).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type CreateServerOptions, type RunningServer } from '../../server/app';
import { databaseForDataDir } from './pg-test';
import { boundedStep } from './teardown';
import { afterTest } from './file-scope';
import type { CreateSessionRequest, CreateSessionResponse, JoinSessionRequest, JoinSessionResponse, ProtocolError } from '../../src/lib/protocol';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CONTENT_DIR = path.join(REPO_ROOT, 'content');

/** A fresh, empty data directory under the OS temp dir, removed after the test. */
export async function makeDataDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seeds-test-'));
  afterTest(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

export type StartOptions = Partial<CreateServerOptions>;

/**
 * Starts the real server on 127.0.0.1, port 0, with a temp DATA_DIR (unless
 * `dataDir` is given, e.g. to restart on the same data). Closed after the test;
 * calling `close()` earlier is fine (it is idempotent).
 */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const dataDir = options.dataDir ?? (await makeDataDir());
  const databaseUrl = options.databaseUrl ?? (await databaseForDataDir(dataDir));
  const server = await createServer({
    port: 0,
    host: '127.0.0.1',
    contentDir: CONTENT_DIR,
    purgeAfterDays: 0,
    lobbyPurgeHours: 0,
    // Tests start many sessions from 127.0.0.1; the limit itself has tests of its own.
    sessionsPerHour: 0,
    paperSessionsPerHour: 0,
    ...options,
    databaseUrl,
    dataDir
  });
  afterTest(() => boundedStep(`closing the test server ${server.url}`, server.close()));
  return server;
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response is JSON, otherwise the text. */
  body: T;
  text: string;
}

/** A fetch that always reads the whole body (so no connection is left half-read). */
export async function api<T = unknown>(url: string, pathname: string, init: RequestInit = {}): Promise<ApiResponse<T>> {
  const response = await fetch(`${url}${pathname}`, init);
  const text = await response.text();
  const isJson = (response.headers.get('content-type') ?? '').includes('application/json');
  return { status: response.status, headers: response.headers, text, body: (isJson && text ? JSON.parse(text) : text) as T };
}

/** POSTs JSON (any value, so tests can send bad bodies). */
export function postJson<T = unknown>(url: string, pathname: string, body: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
  return api<T>(url, pathname, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

export type ErrorBody = { error: ProtocolError };

/** `POST /api/sessions`; fails the test unless it answers 201. */
export async function createSession(url: string, body: CreateSessionRequest = {}, headers: Record<string, string> = {}): Promise<CreateSessionResponse> {
  const response = await postJson<CreateSessionResponse>(url, '/api/sessions', body, headers);
  if (response.status !== 201) throw new Error(`createSession: expected 201, got ${response.status} ${response.text}`);
  return response.body;
}

/**
 * `createSession` at one instance of several, then the session's first request at that same instance:
 * a new session belongs to the instance that first serves its code (docs/scaling.md), so it is owned at
 * `url` afterwards, as tests about forwarding to an owner need.
 */
export async function createSessionAt(url: string, body: CreateSessionRequest = {}, headers: Record<string, string> = {}): Promise<CreateSessionResponse> {
  const created = await createSession(url, body, headers);
  const first = await api(url, `/api/sessions/${encodeURIComponent(created.code)}`);
  if (first.status !== 200) throw new Error(`createSessionAt: the first request answered ${first.status} ${first.text}`);
  return created;
}

/** `POST /api/sessions/:code/participants`; fails the test unless it answers 201. */
export async function joinSession(url: string, code: string, body: JoinSessionRequest = {}): Promise<JoinSessionResponse> {
  const response = await postJson<JoinSessionResponse>(url, `/api/sessions/${encodeURIComponent(code)}/participants`, body);
  if (response.status !== 201) throw new Error(`joinSession: expected 201, got ${response.status} ${response.text}`);
  return response.body;
}

/** `GET /api/sessions/:code/export.json` with a bearer token (or none). */
export function getExport<T = unknown>(url: string, code: string, token?: string): Promise<ApiResponse<T>> {
  return api<T>(url, `/api/sessions/${encodeURIComponent(code)}/export.json`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
}
