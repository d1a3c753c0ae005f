/**
 * What the PostgreSQL store does beyond the store contract (which runs on it
 * in store-contract.test.ts): migrations when two servers start at once, a
 * failed write that leaves nothing half-written, health while the database
 * server is down, acknowledged writes across a crash of PostgreSQL itself,
 * the one-server-per-database lock, and fencing across a network cut.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { PostgresStore } from '../../server/store/postgres';
import { MIGRATIONS, POSTGRES_BASELINE_STEPS } from '../../server/store/migrations';
import { DatabaseInUseError } from '../../server/store/pg-lock';
import { StoreUnusableError } from '../../server/store/sqlite-check';
import { StoreHealth } from '../../server/store/health';
import type { ActionRecord } from '../../src/lib/domain/action-points';
import { adminQuery, createDatabase, startCluster } from '../helpers/postgres';
import { makeDatabase, openPostgresStore, pgAdminUrl } from '../helpers/pg-test';
import { answerRecord, participantRecord, sessionRecord } from '../helpers/store-contract';
import { api, createSession, makeDataDir, startServer } from '../helpers/server';
import { freePort, spawnChildServer, startChildServer } from '../helpers/child-server';
import { startRelay } from '../helpers/relay';
import { PgSessionLeases, TAKE_EPOCH_SQL } from '../../server/cluster/leases';
import { waitFor } from '../helpers/clients';
import { History } from '../helpers/history';
import pg from 'pg';
import { scaled } from '../helpers/patience';
import { boundedStep } from '../helpers/teardown';

const point: ActionRecord = {
  id: 'point-1',
  factor: 3,
  position: 1,
  owner: '',
  due: null,
  status: 'open',
  createdBy: 'p1',
  createdAt: 5,
  mergedInto: null,
  removed: false,
  origin: null
};

describe.skipIf(pgAdminUrl() === null)('PostgreSQL store', () => {
  it('migrates once when two stores open the same new database at the same moment', async () => {
    const url = await makeDatabase();
    const opened = await Promise.all([0, 1, 2].map(() => PostgresStore.open({ connectionString: url })));
    for (const store of opened) onTestFinished(() => store.close());
    const { rows } = await adminQuery(url, 'SELECT version FROM store_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    // The baseline took every step of the list kept before the one list, once.
    const legacy = await adminQuery(url, 'SELECT version FROM schema_migrations ORDER BY version');
    expect(legacy.rows.map((r) => r.version)).toEqual(POSTGRES_BASELINE_STEPS.map((_, i) => i + 1));
    // All three work on the one schema.
    await opened[0].createSession(sessionRecord('s1'));
    expect(await opened[2].findSessionIdByCode('C-s1')).toBe('s1');
  });

  it('refuses a database migrated by a newer version of the board, and leaves it as it was', async () => {
    const { store, url } = await openPostgresStore();
    await store.createSession(sessionRecord('s1'));
    await store.close();
    await adminQuery(url, `INSERT INTO store_migrations (version, name, applied_at) VALUES (${MIGRATIONS.length + 1}, 'from the future', 0)`);
    const refused = await PostgresStore.open({ connectionString: url }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StoreUnusableError);
    expect((refused as Error).message).toContain(`schema version ${MIGRATIONS.length + 1}`);
    expect((await adminQuery(url, 'SELECT count(*)::int AS n FROM sessions')).rows[0].n).toBe(1);
  });

  it('rejects a write that fails half-way and keeps none of it, while the writes called with it apply', async () => {
    const { store } = await openPostgresStore();
    await store.createSession(sessionRecord('s1'));
    await store.addParticipant(participantRecord('a', 's1'));
    // The second record breaks a NOT NULL column after the first was inserted in the same write.
    const broken = { ...point, id: 'point-2', status: null } as unknown as ActionRecord;
    const results = await Promise.allSettled([
      store.saveAnswer(answerRecord('s1', 'a', 1, 4)),
      store.saveActionPoints('s1', [point, broken]),
      store.setDots('s1', 'a', 'x', 1)
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const loaded = (await store.loadSession('s1'))!;
    expect(loaded.actions).toEqual([]);
    expect(loaded.answers).toEqual([answerRecord('s1', 'a', 1, 4)]);
    expect(loaded.dots).toEqual([{ voterId: 'a', actionId: 'x', count: 1 }]);
  });

  it('fails the probe, writes and reads while the server is down, keeps what was acknowledged through a crash, and recovers', async () => {
    // A cluster of its own: this test kills it.
    const cluster = await startCluster();
    onTestFinished(() => boundedStep('stopping the cluster this test kills', cluster.stop(), 30_000));
    const url = await createDatabase(cluster.adminUrl);
    const store = await PostgresStore.open({ connectionString: url });
    onTestFinished(() => store.close());
    const health = new StoreHealth(store, 0, 5000);
    expect(await health.check()).toEqual({ ok: true });
    await store.createSession(sessionRecord('s1', { phase: 'voting' }));
    await store.addParticipant(participantRecord('a', 's1'));
    const acknowledged = Array.from({ length: 12 }, (_, f) => answerRecord('s1', 'a', f + 1, ((f % 5) + 1) as 1));
    await Promise.all(acknowledged.map((a) => store.saveAnswer(a)));

    // SIGKILL: no shutdown checkpoint; only what was flushed at each commit survives.
    await cluster.kill();
    const down = await health.check();
    expect(down.ok).toBe(false);
    await expect(store.updateSession('s1', { phase: 'closed' })).rejects.toThrow();
    await expect(store.loadSession('s1')).rejects.toThrow();

    await cluster.restart();
    expect(await health.check()).toEqual({ ok: true });
    const loaded = (await store.loadSession('s1'))!;
    expect(loaded.session.phase).toBe('voting');
    expect(loaded.answers.sort((x, y) => x.factor - y.factor)).toEqual(acknowledged);
  });

  it('lets one server use a database at a time, and frees it when that server closes', async () => {
    const databaseUrl = await makeDatabase();
    const first = await startServer({ databaseUrl });
    expect(first.storeLocation).toContain('PostgreSQL');
    const refused = await startServer({ databaseUrl }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DatabaseInUseError);
    expect((refused as Error).message).toContain(`pid ${process.pid}`);
    const { code } = await createSession(first.url, { title: 'Op PostgreSQL' });
    await first.close();
    // Another data directory, the same database: the data is in PostgreSQL, not in DATA_DIR.
    const again = await startServer({ databaseUrl, dataDir: await makeDataDir() });
    expect((await api<{ title: string }>(again.url, `/api/sessions/${code}`)).body.title).toBe('Op PostgreSQL');
    expect((await api(again.url, '/healthz')).status).toBe(200);
  });

  it(
    'refuses a second server process on the database, and starts again at once after the holder was SIGKILLed',
    async () => {
      const databaseUrl = await makeDatabase();
      const env = { DATABASE_URL: databaseUrl };
      const first = await startChildServer({ dataDir: await makeDataDir(), env });
      const { code } = await createSession(first.url, { title: 'Crashed' });

      const second = await spawnChildServer({ dataDir: await makeDataDir(), env });
      expect((await second.exited).code).not.toBe(0);
      expect(second.output()).toContain('is in use by another server process');
      expect(second.output()).toContain(`pid ${first.process.pid}`);

      await first.kill();
      const third = await startChildServer({ dataDir: await makeDataDir(), env });
      expect((await api<{ title: string }>(third.url, `/api/sessions/${code}`)).body.title).toBe('Crashed');
    },
    scaled(90_000)
  ); // three server starts one after another: the 30 s default, grown with the load when the run began, was met at load 13
});

describe.skipIf(pgAdminUrl() === null)('fencing the writes of a session by its owner epoch', () => {
  /** A store as one instance of several has it: fenced by the epochs it took (server/cluster/leases.ts takes them the same way). */
  async function instance(connectionString: string, databaseUrl: string, instanceUrl: string) {
    const store = await PostgresStore.open({ connectionString });
    onTestFinished(() => store.close());
    const held = new Map<string, number>();
    store.fenceWith({ epochOf: (id) => held.get(id) ?? null });
    const take = async (sessionId: string) => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        held.set(sessionId, Number((await client.query(TAKE_EPOCH_SQL, [sessionId, instanceUrl])).rows[0].epoch));
      } finally {
        await client.end();
      }
    };
    return { store, take };
  }

  it('a write stuck on a cut link while another instance took the session over fails when the link heals, and changes nothing the new owner acknowledged', async () => {
    const url = await makeDatabase();
    const relay = await startRelay(Number(new URL(url).port));
    const throughRelay = new URL(url);
    throughRelay.port = String(relay.port);
    const old = await instance(throughRelay.toString(), url, 'http://old');
    const next = await instance(url, url, 'http://next');
    const history = new History();
    const bytes = (...values: number[]) => new Uint8Array(values);
    const storedState = async () => {
      const answers = (await next.store.loadSession('s1'))!.answers;
      return new Map<string, unknown>([
        ['vote', answers.find((a) => a.participantId === 'a' && a.factor === 1)?.answer],
        ['board', (await next.store.loadYjsUpdates('s1')).map((u) => [...u])]
      ]);
    };

    await old.take('s1');
    await old.store.createSession(sessionRecord('s1'));
    await old.store.addParticipant(participantRecord('a', 's1'));
    await history.run(
      'vote',
      3,
      () => old.store.saveAnswer(answerRecord('s1', 'a', 1, 3)),
      () => true
    );
    await history.run(
      'board',
      [[1]],
      () => old.store.appendYjsUpdate('s1', bytes(1)),
      () => true
    );

    relay.cut();
    // Queued by the old owner, on their way to PostgreSQL when the link stopped: a vote, and a compaction
    // that would replace every stored update of the board by the old owner's state.
    const stale = [history.attempt('vote', 5), history.attempt('board', [[9]])];
    const outcomes = Promise.allSettled([old.store.saveAnswer(answerRecord('s1', 'a', 1, 5)), old.store.compactYjs('s1', bytes(9))]);

    // Another instance takes the session over (its lease, a new epoch) and acknowledges writes.
    await next.take('s1');
    await history.run(
      'vote',
      2,
      () => next.store.saveAnswer(answerRecord('s1', 'a', 1, 2)),
      () => true
    );
    await history.run(
      'board',
      [[1], [2]],
      () => next.store.appendYjsUpdate('s1', bytes(2)),
      () => true
    );
    history.observed('board', [[1], [2]]);

    relay.heal();
    const settled = await outcomes;
    settled.forEach((outcome, i) => outcome.status === 'fulfilled' && stale[i].acknowledged());
    expect(settled.map((o) => (o.status === 'rejected' ? (o.reason as Error).name : 'committed'))).toEqual(['FencedError', 'FencedError']);
    expect(history.check(await storedState())).toEqual([]);
  });

  it(
    'a transaction cut off between its epoch check and its COMMIT holds the takeover back until PostgreSQL ends it; then nothing of it lands',
    async () => {
      const url = await makeDatabase();
      const relay = await startRelay(Number(new URL(url).port));
      const throughRelay = new URL(url);
      throughRelay.port = String(relay.port);
      const old = await instance(throughRelay.toString(), url, 'http://old');
      const history = new History();
      await old.take('s1');
      await old.store.createSession(sessionRecord('s1'));
      await old.store.addParticipant(participantRecord('a', 's1'));
      await history.run(
        'vote',
        3,
        () => old.store.saveAnswer(answerRecord('s1', 'a', 1, 3)),
        () => true
      );

      // The link stops just before the COMMIT: the transaction has checked its epoch and holds the owner row, idle on the server.
      relay.cutBefore((chunk) => chunk.includes('COMMIT'));
      const staleVote = history.attempt('vote', 5);
      const stuck = old.store.saveAnswer(answerRecord('s1', 'a', 1, 5)).then(
        () => 'committed',
        (error: Error) => error.message
      );
      await waitFor(() => relay.isCut(), { message: 'the link cut before the COMMIT' });

      // A real lease on the other side: taking the session over waits for the row, gives up after its lock timeout
      // ("try again"), and succeeds once PostgreSQL ended the idle transaction (idle_in_transaction_session_timeout).
      const leases = await PgSessionLeases.connect(url, 'http://next');
      onTestFinished(() => leases.close());
      const next = await PostgresStore.open({ connectionString: url });
      onTestFinished(() => next.close());
      next.fenceWith(leases);
      await waitFor(async () => (await leases.acquire('s1')).here, { timeout: 30_000, interval: 200, message: 'the session taken over' });
      const loaded = (await next.loadSession('s1'))!;
      history.observed('vote', loaded.answers.find((a) => a.factor === 1)?.answer);
      await history.run(
        'vote',
        2,
        () => next.saveAnswer(answerRecord('s1', 'a', 1, 2)),
        () => true
      );

      relay.heal();
      const outcome = await stuck;
      if (outcome === 'committed') staleVote.acknowledged();
      expect(outcome).not.toBe('committed');
      const stored = (await next.loadSession('s1'))!.answers.find((a) => a.factor === 1)?.answer;
      expect(history.check(new Map([['vote', stored]]))).toEqual([]);
    },
    scaled(60_000)
  );
});

describe('PostgreSQL unreachable at start', () => {
  it('makes the real server exit non-zero, saying which database it could not reach (without the password)', async () => {
    // A port nothing listens on: the connection is refused at once.
    const port = await freePort();
    const server = await spawnChildServer({ dataDir: await makeDataDir(), env: { DATABASE_URL: `postgres://board:s3cret@127.0.0.1:${port}/board` } });
    expect((await server.exited).code).toBe(1);
    expect(server.output()).toContain(`Cannot connect to the PostgreSQL database at postgres://board:***@127.0.0.1:${port}/board`);
    expect(server.output()).not.toContain('s3cret');
  });
});
