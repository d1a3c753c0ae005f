/**
 * Hostile HTTP: oversized and compressed bodies, wrong content types, broken
 * JSON, unknown codes, path tricks and odd methods. Every answer is a clear
 * 4xx with a JSON `{error: {code, message}}` body, nothing is created, and the
 * server stays healthy. Raw `node:http` requests, so paths reach the server
 * exactly as written (fetch would normalise `..`).
 */
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../src/lib/protocol';
import { createSession, startServer } from '../helpers/server';

interface RawResponse {
  status: number;
  contentType: string;
  text: string;
}

/** Sends one request as written; `body` may be chunked (no length) by passing an array. */
function rawRequest(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer | string | (Buffer | string)[]
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: hostname, port, method, path, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, contentType: String(response.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString() })
      );
    });
    // The server may answer (413) and close before it read everything; that is fine.
    request.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    request.setTimeout(5000, () => {
      request.destroy();
      resolve({ status: 0, contentType: '', text: 'no answer within 5 s' });
    });
    for (const part of Array.isArray(body) ? body : body === undefined ? [] : [body]) request.write(part);
    request.end();
  });
}

const json = { 'content-type': 'application/json' };
const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

type Case = [
  label: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | string | (Buffer | string)[] | undefined,
  status: number,
  code: ErrorCode
];

function cases(code: string, token: string): Case[] {
  const join = `/api/sessions/${code}/participants`;
  return [
    // Oversized bodies (the limit is 16 kB), also chunked and compressed.
    ['create over 16 kB', 'POST', '/api/sessions', json, JSON.stringify({ title: 'x'.repeat(17_000) }), 413, 'too_large'],
    ['join of 1 MB', 'POST', join, json, JSON.stringify({ name: 'x'.repeat(1_000_000) }), 413, 'too_large'],
    ['chunked, no length', 'POST', '/api/sessions', json, Array.from({ length: 40 }, () => 'x'.repeat(1000)), 413, 'too_large'],
    ['gzip bomb', 'POST', '/api/sessions', { ...json, 'content-encoding': 'gzip' }, gzipSync(`{"title":"${' '.repeat(5_000_000)}"}`), 413, 'too_large'],
    ['2 MB with a length', 'POST', '/api/sessions', { ...json, 'content-length': '2000000' }, `"${'x'.repeat(1_999_998)}"`, 413, 'too_large'],
    ['broken gzip', 'POST', '/api/sessions', { ...json, 'content-encoding': 'gzip' }, 'not gzip at all', 400, 'bad_request'],
    ['unknown encoding', 'POST', '/api/sessions', { ...json, 'content-encoding': 'br2' }, '{}', 400, 'bad_request'],
    // Wrong content types and broken JSON.
    ['text/plain', 'POST', '/api/sessions', { 'content-type': 'text/plain' }, '{"title":"T"}', 400, 'bad_request'],
    ['form', 'POST', join, { 'content-type': 'application/x-www-form-urlencoded' }, 'name=Eve', 400, 'bad_request'],
    ['multipart', 'POST', '/api/sessions', { 'content-type': 'multipart/form-data; boundary=x' }, '--x\r\n\r\n{}\r\n--x--', 400, 'bad_request'],
    ['xml', 'POST', '/api/sessions', { 'content-type': 'application/xml' }, '<title>T</title>', 400, 'bad_request'],
    ['no content type', 'POST', join, {}, '{"name":"Eve"}', 400, 'bad_request'],
    ['utf-16 charset', 'POST', '/api/sessions', { 'content-type': 'application/json; charset=utf-16' }, '{}', 400, 'bad_request'],
    ['truncated JSON', 'POST', '/api/sessions', json, '{"title":', 400, 'bad_request'],
    ['JSON string', 'POST', '/api/sessions', json, '"title"', 400, 'bad_request'],
    ['JSON number', 'POST', join, json, '42', 400, 'bad_request'],
    ['deeply nested', 'POST', '/api/sessions', json, deep(7000), 400, 'bad_request'],
    ['__proto__ key', 'POST', '/api/sessions', json, '{"__proto__":{"polluted":"yes"},"title":"T"}', 400, 'bad_request'],
    ['constructor key', 'POST', join, json, '{"constructor":{"prototype":{"polluted":"yes"}}}', 400, 'bad_request'],
    ['unknown group', 'POST', join, json, '{"name":"Eve","group":"__proto__"}', 400, 'bad_request'],
    // Unknown codes.
    ['unknown code', 'GET', '/api/sessions/ZZZZZZ', {}, undefined, 404, 'not_found'],
    ['NUL code', 'GET', '/api/sessions/%00', {}, undefined, 404, 'not_found'],
    ['SQL-ish code', 'GET', `/api/sessions/${encodeURIComponent("' OR 1=1 --")}`, {}, undefined, 404, 'not_found'],
    ['long code', 'GET', `/api/sessions/${'A'.repeat(4000)}`, {}, undefined, 404, 'not_found'],
    ['emoji code', 'GET', `/api/sessions/${encodeURIComponent('🌱🌱🌱')}`, {}, undefined, 404, 'not_found'],
    ['join unknown', 'POST', '/api/sessions/ZZZZZZ/participants', json, '{"name":"Eve"}', 404, 'not_found'],
    ['export unknown', 'GET', '/api/sessions/ZZZZZZ/export.json', { authorization: `Bearer ${token}` }, undefined, 404, 'not_found'],
    ['qr unknown', 'GET', '/api/sessions/ZZZZZZ/qr.svg', {}, undefined, 404, 'not_found'],
    ['__proto__ code', 'GET', '/api/sessions/__proto__', {}, undefined, 404, 'not_found'],
    ['framework __proto__', 'GET', '/api/frameworks/__proto__', {}, undefined, 404, 'not_found'],
    ['framework constructor', 'GET', '/api/frameworks/constructor', {}, undefined, 404, 'not_found'],
    // Path tricks.
    ['dot-dot raw', 'GET', '/api/sessions/../../../etc/passwd', {}, undefined, 404, 'not_found'],
    ['dot-dot encoded', 'GET', '/api/sessions/..%2F..%2F..%2Fetc%2Fpasswd', {}, undefined, 404, 'not_found'],
    ['dot-dot framework', 'GET', '/api/frameworks/..%2F..%2Fpackage.json', {}, undefined, 404, 'not_found'],
    ['dot-dot root', 'GET', '/../../etc/passwd', {}, undefined, 404, 'not_found'],
    ['encoded dots root', 'GET', '/%2e%2e/%2e%2e/etc/passwd', {}, undefined, 404, 'not_found'],
    ['backslashes', 'GET', '/api\\sessions\\..\\..\\data', {}, undefined, 404, 'not_found'],
    ['bad percent', 'GET', '/api/sessions/%ZZ', {}, undefined, 400, 'bad_request'],
    ['bad UTF-8', 'GET', '/api/sessions/%C0%AF', {}, undefined, 400, 'bad_request'],
    ['export via dot-dot', 'GET', `/api/sessions/${code}/qr.svg/../export.json`, {}, undefined, 404, 'not_found'],
    ['double slash', 'GET', '//api//sessions//ZZZZZZ', {}, undefined, 404, 'not_found'],
    ['unknown api', 'GET', '/api/admin', {}, undefined, 404, 'not_found'],
    // Methods and tokens.
    ['PUT sessions', 'PUT', '/api/sessions', json, '{}', 404, 'not_found'],
    ['PATCH session', 'PATCH', `/api/sessions/${code}`, json, '{"phase":"closed"}', 404, 'not_found'],
    ['DELETE without token', 'DELETE', `/api/sessions/${code}`, {}, undefined, 401, 'unauthorized'],
    ['DELETE with a forged token', 'DELETE', `/api/sessions/${code}`, { authorization: `Bearer ${'A'.repeat(43)}` }, undefined, 403, 'forbidden'],
    [
      'export, Basic auth',
      'GET',
      `/api/sessions/${code}/export.json`,
      { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
      undefined,
      401,
      'unauthorized'
    ],
    ['export, empty bearer', 'GET', `/api/sessions/${code}/export.csv`, { authorization: 'Bearer ' }, undefined, 401, 'unauthorized'],
    ['export, huge bearer', 'GET', `/api/sessions/${code}/export.md`, { authorization: `Bearer ${'A'.repeat(5000)}` }, undefined, 401, 'unauthorized'],
    ['export, token in query', 'GET', `/api/sessions/${code}/export.json?token=${token}`, {}, undefined, 401, 'unauthorized']
  ];
}

describe('hostile HTTP', () => {
  it('answers every hostile request with a clear 4xx JSON error and creates nothing', async () => {
    const server = await startServer({ codeGuessesPerMinute: 0 });
    const mine = await createSession(server.url);
    const table = cases(mine.code, mine.facilitatorToken);
    const failures: string[] = [];
    for (const [label, method, path, headers, body, status, code] of table) {
      const response = await rawRequest(server.url, method, path, headers, body);
      let parsed: { error?: { code?: string; message?: unknown } } | null = null;
      try {
        parsed = JSON.parse(response.text);
      } catch {
        parsed = null;
      }
      const got = `${response.status} ${response.contentType.split(';')[0]} ${parsed?.error?.code ?? response.text.slice(0, 80)}`;
      const ok =
        response.status === status &&
        response.contentType.startsWith('application/json') &&
        parsed?.error?.code === code &&
        (ERROR_CODES as readonly string[]).includes(code) &&
        typeof parsed.error.message === 'string' &&
        parsed.error.message.length > 0;
      if (!ok) failures.push(`${label} (${method} ${path.slice(0, 60)}): expected ${status} ${code}, got ${got}`);
    }
    expect(failures).toEqual([]);

    // Nothing was created or joined, nothing was polluted, and the server still serves.
    await expect(server.store.countLiveSessions()).resolves.toBe(1);
    const summary = await rawRequest(server.url, 'GET', `/api/sessions/${mine.code}?__proto__[polluted]=yes&constructor[prototype][polluted]=yes`);
    expect(summary.status).toBe(200);
    expect(JSON.parse(summary.text)).toMatchObject({ code: mine.code, participants: 0 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await rawRequest(server.url, 'GET', '/healthz')).status).toBe(200);
  });
});
