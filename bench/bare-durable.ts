/**
 * What a bare baseline needs to do the same durability and authentication work
 * as our server, and nothing else: a REST join that issues a random token and
 * keeps only its SHA-256 hash (as server/security/tokens.ts), and writes that
 * commit to SQLite (WAL, synchronous FULL) in one transaction per event-loop
 * turn (group commit, as server/store/sqlite.ts), each caller answered only
 * after its transaction committed. No validation beyond shape, no
 * authorisation rules, no secrecy projections: the gap between ours and a bare
 * server built on this is what those cost (bench/README.md).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';

const dataDir = process.env.DATA_DIR ?? fs.mkdtempSync('/tmp/bare-');
fs.mkdirSync(dataDir, { recursive: true });
const db = new Database(path.join(dataDir, 'bare.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma(`synchronous = ${process.env.SQLITE_SYNCHRONOUS ?? 'FULL'}`);
db.exec(`
  CREATE TABLE IF NOT EXISTS participants (session TEXT NOT NULL, id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, name TEXT NOT NULL, joined_at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS answers (session TEXT NOT NULL, participant TEXT NOT NULL, factor INTEGER NOT NULL, answer TEXT NOT NULL, PRIMARY KEY (participant, factor));
  CREATE TABLE IF NOT EXISTS dots (session TEXT NOT NULL, voter TEXT NOT NULL, action TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (voter, action));
`);
export const statements = {
  participant: db.prepare('INSERT INTO participants (session, id, token_hash, name, joined_at) VALUES (?, ?, ?, ?, ?)'),
  answer: db.prepare('INSERT INTO answers (session, participant, factor, answer) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET answer = excluded.answer'),
  dots: db.prepare('INSERT INTO dots (session, voter, action, count) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET count = excluded.count')
};

let queue: { write: () => void; done: (error?: unknown) => void }[] = [];

/** Queues a write; resolves once the transaction of its event-loop turn committed (fsynced with synchronous FULL). */
export function commit(write: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    if (queue.length === 0) setImmediate(flush);
    queue.push({ write, done: (error) => (error ? reject(error as Error) : resolve()) });
  });
}

function flush(): void {
  const batch = queue;
  queue = [];
  try {
    db.transaction(() => batch.forEach((w) => w.write()))();
    for (const w of batch) w.done();
  } catch (error) {
    for (const w of batch) w.done(error);
  }
}

export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/** token hash → who, per session name. */
const byHash = new Map<string, { session: string; id: string; name: string }>();

/** Who holds `token` (hashed, looked up), or null. */
export function authenticate(token: unknown): { session: string; id: string; name: string } | null {
  return typeof token === 'string' ? (byHash.get(hashToken(token)) ?? null) : null;
}

/**
 * An HTTP server answering `POST /api/sessions/<session>/participants` with
 * `{participantId, participantToken, name}` (201) once the participant is stored.
 * `joined` runs after the commit (e.g. to tell the facilitator).
 */
export function joinServer(joined: (who: { session: string; id: string; name: string }) => void): http.Server {
  return http.createServer((req, res) => {
    const match = req.method === 'POST' ? /^\/api\/sessions\/([^/]+)\/participants$/.exec(req.url ?? '') : null;
    if (!match) return void res.writeHead(404).end();
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > 4096) req.destroy();
    });
    req.on('end', () => {
      let name = '';
      try {
        const parsed = JSON.parse(body || '{}') as { name?: unknown };
        name = typeof parsed.name === 'string' ? parsed.name.slice(0, 40) : '';
      } catch {
        return void res.writeHead(400).end();
      }
      const session = decodeURIComponent(match[1]);
      const token = randomBytes(32).toString('base64url');
      const who = { session, id: randomUUID(), name };
      const tokenHash = hashToken(token);
      commit(() => statements.participant.run(session, who.id, tokenHash, name, Date.now())).then(
        () => {
          byHash.set(tokenHash, who);
          joined(who);
          res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ participantId: who.id, participantToken: token, name }));
        },
        () => res.writeHead(503).end()
      );
    });
  });
}

/** Listens on PORT (0) at HOST and prints the URL as server/index.ts does; SIGTERM closes the database. */
export function listen(server: http.Server, label: string, close: (done: () => void) => void): void {
  server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    console.log(`${label} on http://127.0.0.1:${port}`);
  });
  process.on('SIGTERM', () => {
    close(() => {
      db.close();
      process.exit(0);
    });
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
