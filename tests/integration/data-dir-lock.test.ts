/**
 * One server process per DATA_DIR: a second start on the same directory exits
 * at once, non-zero, naming the directory and the process that holds it; the
 * lock goes with its holder, however that ends (SIGKILL included).
 */
import { describe, expect, it } from 'vitest';
import { DataDirInUseError } from '../../server/store/lock';
import { spawnChildServer, startChildServer } from '../helpers/child-server';
import { api, createSession, makeDataDir, startServer } from '../helpers/server';
import { SQLITE_FILE_TESTS } from '../helpers/pg-test';

describe.runIf(SQLITE_FILE_TESTS)('one server per data directory', () => {
  it('refuses a second server process on the same DATA_DIR, and the first keeps serving', async () => {
    const dataDir = await makeDataDir();
    const first = await startChildServer({ dataDir });
    const { code } = await createSession(first.url, { title: 'Held' });

    const second = await spawnChildServer({ dataDir });
    const exit = await second.exited;
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(second.output()).toContain(`DATA_DIR ${dataDir} is in use by another server process`);
    expect(second.output()).toContain(`pid ${first.process.pid}`);

    // The refused process did not touch the running one.
    expect((await api(first.url, `/api/sessions/${code}`)).status).toBe(200);
    expect((await api(first.url, '/healthz')).status).toBe(200);
  });

  it('starts again at once after the holder was SIGKILLed (no stale lock)', async () => {
    const dataDir = await makeDataDir();
    const first = await startChildServer({ dataDir });
    const { code } = await createSession(first.url, { title: 'Crashed' });
    await first.kill();

    const second = await startChildServer({ dataDir });
    expect((await api<{ title: string }>(second.url, `/api/sessions/${code}`)).body.title).toBe('Crashed');
    // And the new holder is protected in turn.
    const third = await spawnChildServer({ dataDir });
    expect((await third.exited).code).not.toBe(0);
    expect(third.output()).toContain(`pid ${second.process.pid}`);
  });

  it('refuses a second server in the same process, and frees the directory on close', async () => {
    const dataDir = await makeDataDir();
    const first = await startServer({ dataDir });
    const refused = await startServer({ dataDir }).then(
      () => null,
      (error: unknown) => error
    );
    expect(refused).toBeInstanceOf(DataDirInUseError);
    expect((refused as Error).message).toContain(dataDir);
    expect((refused as Error).message).toContain(`pid ${process.pid}`);
    await createSession(first.url);

    await first.close();
    const again = await startServer({ dataDir });
    expect((await api(again.url, '/healthz')).status).toBe(200);
  });
});
