/**
 * Store health: a corrupt database file is refused at start-up with a message
 * that says so (in-process and as a real child process), and `/healthz`
 * answers 503 with the reason while the store cannot write, 200 again after.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreUnusableError } from '../../server/store/sqlite-check';
import { SqliteStore } from '../../server/store/sqlite';
import { spawnChildServer } from '../helpers/child-server';
import { waitFor } from '../helpers/clients';
import { FaultyStore } from '../helpers/faulty-store';
import { api, createSession, joinSession, makeDataDir, startServer } from '../helpers/server';
import { SQLITE_FILE_TESTS } from '../helpers/pg-test';
import { sharedByFile } from '../helpers/file-scope';

/** A data directory holding a real, cleanly closed database with a few sessions and participants (made by a server). */
async function populate(): Promise<string> {
  const dataDir = await makeDataDir();
  const server = await startServer({ dataDir });
  for (let i = 0; i < 5; i++) {
    const { code } = await createSession(server.url, { title: `Session ${i}` });
    for (let j = 0; j < 10; j++) await joinSession(server.url, code, { name: `Person ${i}.${j}` });
  }
  await server.close();
  return dataDir;
}

async function refusal(dataDir: string): Promise<unknown> {
  return startServer({ dataDir }).then(
    () => null,
    (error: unknown) => error
  );
}

describe.runIf(SQLITE_FILE_TESTS)('a corrupt database is refused at start-up', () => {
  // Populated once for the file; each test damages (or opens) a copy of its own.
  const populated = sharedByFile('a populated data directory', populate);

  /** A fresh copy of the populated data directory. */
  async function populatedDataDir(): Promise<{ dataDir: string; file: string }> {
    const dataDir = await makeDataDir();
    await fs.cp(populated(), dataDir, { recursive: true });
    return { dataDir, file: path.join(dataDir, 'board.sqlite') };
  }

  it('refuses a file that is not a SQLite database, and frees the directory for a fixed start', async () => {
    const dataDir = await makeDataDir();
    const file = path.join(dataDir, 'board.sqlite');
    await fs.writeFile(file, 'these are meeting notes, not a database\n'.repeat(200));
    const error = await refusal(dataDir);
    expect(error).toBeInstanceOf(StoreUnusableError);
    expect((error as Error).message).toContain(`The database file ${file} is corrupt (it does not start with a SQLite header)`);
    // The file is left as it was for the operator to inspect.
    expect((await fs.readFile(file, 'utf8')).startsWith('these are meeting notes')).toBe(true);

    await fs.rename(file, `${file}.broken`);
    const server = await startServer({ dataDir });
    expect((await api(server.url, '/healthz')).status).toBe(200);
  });

  it('refuses a truncated database', async () => {
    const { dataDir, file } = await populatedDataDir();
    const { size } = await fs.stat(file);
    expect(size).toBeGreaterThan(4 * 4096);
    await fs.truncate(file, 3 * 4096);
    const error = await refusal(dataDir);
    expect(error).toBeInstanceOf(StoreUnusableError);
    expect((error as Error).message).toMatch(/is corrupt \(it is truncated/);
  });

  it('refuses a database with a damaged page', async () => {
    const { dataDir, file } = await populatedDataDir();
    const reader = new Database(file, { readonly: true });
    const { rootpage } = reader.prepare<[], { rootpage: number }>("SELECT rootpage FROM sqlite_master WHERE name = 'participants'").get()!;
    const pageSize = reader.pragma('page_size', { simple: true }) as number;
    reader.close();
    // Garbage over the participants table's root page, as a bad sector or a stray write would leave it.
    const handle = await fs.open(file, 'r+');
    await handle.write(Buffer.alloc(pageSize, 0xa5), 0, pageSize, (rootpage - 1) * pageSize);
    await handle.close();

    const error = await refusal(dataDir);
    expect(error).toBeInstanceOf(StoreUnusableError);
    expect((error as Error).message).toContain(`The database file ${file} is corrupt`);
    expect((error as Error).message).toContain('restore a backup');
  });

  it('makes the real server exit non-zero with the reason', async () => {
    const dataDir = await makeDataDir();
    await fs.writeFile(path.join(dataDir, 'board.sqlite'), Buffer.alloc(8192, 7));
    const child = await spawnChildServer({ dataDir });
    const exit = await child.exited;
    expect(exit.code).toBe(1);
    expect(child.output()).toContain('is corrupt (it does not start with a SQLite header)');
  });

  it('refuses a database from a newer version of the board', async () => {
    const { dataDir, file } = await populatedDataDir();
    const db = new Database(file);
    db.pragma('user_version = 999');
    db.close();
    const error = await refusal(dataDir);
    expect(error).toBeInstanceOf(StoreUnusableError);
    expect((error as Error).message).toContain('schema version 999, newer than this server knows');
  });

  it('opens a healthy database unchanged', async () => {
    const { dataDir } = await populatedDataDir();
    const store = new SqliteStore({ dataDir });
    try {
      expect(await store.countLiveSessions()).toBe(5);
      await store.probe();
    } finally {
      await store.close();
    }
  });
});

describe('/healthz follows the store', () => {
  it('answers 503 with the reason while the store cannot write, and 200 again once it can', async () => {
    let faulty: FaultyStore | null = null;
    const server = await startServer({ wrapStore: (store) => (faulty = new FaultyStore(store)) });
    const healthy = await api<{ ok: boolean }>(server.url, '/healthz');
    expect(healthy.status).toBe(200);
    expect(healthy.body).toEqual({ ok: true });

    faulty!.failWrites(Infinity);
    const sick = await waitFor(
      async () => {
        const response = await api<{ ok: boolean; reason: string }>(server.url, '/healthz');
        return response.status === 503 ? response : null;
      },
      { timeout: 10_000, interval: 100, message: '/healthz to answer 503' }
    );
    expect(sick.body.ok).toBe(false);
    expect(sick.body.reason).toContain('store: injected fault: probe failed');
    expect(sick.headers.get('cache-control')).toBe('no-store');

    faulty!.heal();
    await waitFor(async () => (await api(server.url, '/healthz')).status === 200, { timeout: 10_000, interval: 100, message: '/healthz to answer 200 again' });
  });

  it('probes the real store at most once a second, however often it is asked', async () => {
    let faulty: FaultyStore | null = null;
    const server = await startServer({ wrapStore: (store) => (faulty = new FaultyStore(store)) });
    let probes = 0;
    const probe = faulty!.probe.bind(faulty!);
    faulty!.probe = () => {
      probes++;
      return probe();
    };
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 50 }, () => api(server.url, '/healthz')));
    const elapsedSeconds = (Date.now() - started) / 1000;
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(probes).toBeLessThanOrEqual(Math.ceil(elapsedSeconds) + 1);
  });
});
