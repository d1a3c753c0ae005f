import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import helmet from 'helmet';
import { describe, expect, it, onTestFinished } from 'vitest';
import { api, createSession, postJson, startServer } from '../helpers/server';

/** The security headers of a response: everything helmet may set, by lower-case name. */
function securityHeaders(headers: Headers): Record<string, string | null> {
  const names = [
    'content-security-policy',
    'cross-origin-opener-policy',
    'cross-origin-resource-policy',
    'cross-origin-embedder-policy',
    'origin-agent-cluster',
    'referrer-policy',
    'strict-transport-security',
    'x-content-type-options',
    'x-dns-prefetch-control',
    'x-download-options',
    'x-frame-options',
    'x-permitted-cross-domain-policies',
    'x-powered-by',
    'x-xss-protection'
  ];
  return Object.fromEntries(names.map((name) => [name, headers.get(name)]));
}

/** Helmet itself, with the options server/app.ts gives it, per request: what our precomputed headers must equal. */
async function helmetReference(): Promise<string> {
  const app = express();
  app.use(helmet({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false }));
  app.use('/api', helmet.contentSecurityPolicy({ directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } }));
  app.use((_req, res) => void res.status(204).end());
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('security headers', () => {
  it('are the ones helmet sets, on the API (with its CSP), on a join, on errors and outside the API', async () => {
    const server = await startServer();
    const reference = await helmetReference();
    const { code } = await createSession(server.url);
    const cases: { path: string; response: Awaited<ReturnType<typeof api>> }[] = [
      { path: '/api/frameworks', response: await api(server.url, '/api/frameworks') },
      { path: '/api/sessions/x/participants', response: await postJson(server.url, `/api/sessions/${code}/participants`, { name: 'Ada' }) },
      { path: '/api/sessions/x/participants', response: await postJson(server.url, `/api/sessions/${code}/participants`, { name: 7 }) },
      { path: '/api/nowhere', response: await api(server.url, '/api/nowhere') },
      { path: '/healthz', response: await api(server.url, '/healthz') }
    ];
    expect(cases.map((c) => c.response.status)).toEqual([200, 201, 400, 404, 200]);
    for (const { path, response } of cases) {
      const expected = securityHeaders((await fetch(`${reference}${path}`, { method: 'POST' })).headers);
      expect({ path, headers: securityHeaders(response.headers) }).toEqual({ path, headers: expected });
    }
    // The API's own policy is there, and nothing else's: a page (outside /api) gets SvelteKit's CSP, not this one.
    expect(cases[0].response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(cases[4].response.headers.get('content-security-policy')).toBeNull();
  });
});
