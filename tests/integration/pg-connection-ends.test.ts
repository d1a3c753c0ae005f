/**
 * A PostgreSQL connection that ends while our code holds it must fail what was under way, not the process.
 * pg emits 'error' on a client whose connection ends unexpectedly even while it rejects the client's query with
 * the same error, and pg-pool listens for it only while a client is idle in the pool. A connection that ended
 * during a snapshot read (checked out), or while the lease connection was being set up (its LISTENs), was an
 * uncaught exception: it ended the instance, and the integration run of stop 36 (vitest runs these servers in
 * its own process). Here the link is held before the query under way and then closed by the database's side.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { PostgresStore } from '../../server/store/postgres';
import { PgSessionLeases } from '../../server/cluster/leases';
import { makeMigratedDatabase, pgAdminUrl } from '../helpers/pg-test';
import { startRelay, type Relay } from '../helpers/relay';
import { waitFor } from '../helpers/clients';
import { boundedStep } from '../helpers/teardown';
import { sessionRecord } from '../helpers/store-contract';

/** Errors nobody handled while the test ran (vitest reports them too, but only at the end of the run). */
function recordUncaught(): Error[] {
  const uncaught: Error[] = [];
  const record = (error: Error) => void uncaught.push(error);
  process.on('uncaughtException', record);
  onTestFinished(() => void process.off('uncaughtException', record));
  return uncaught;
}

/** A migrated database reached through a relay, and that relay. */
async function throughRelay(): Promise<{ url: string; direct: string; relay: Relay }> {
  const direct = await makeMigratedDatabase();
  const relay = await startRelay(Number(new URL(direct).port));
  const url = new URL(direct);
  url.port = String(relay.port);
  return { url: url.toString(), direct, relay };
}

/** Holds the link before the first chunk towards PostgreSQL that contains `text`. */
function holdBefore(relay: Relay, text: string): void {
  relay.cutBefore((chunk) => chunk.includes(text));
}

/** Once the link is held: PostgreSQL's side of it closes, and the client is told (a FIN, as when a backend ends). */
async function closeFromTheDatabase(relay: Relay): Promise<void> {
  await waitFor(() => relay.isCut(), { message: 'the link held before the query' });
  for (const socket of relay.upstreamSockets()) socket.destroy();
  relay.heal();
}

describe.skipIf(pgAdminUrl() === null)('a PostgreSQL connection that ends under way', () => {
  it('fails a snapshot read that held it (checked out of the pool), and the store reads again on a new connection', async () => {
    const uncaught = recordUncaught();
    const { url, direct, relay } = await throughRelay();
    const store = await PostgresStore.open({ connectionString: url });
    onTestFinished(() => boundedStep('closing the store', store.close()));
    const writer = await PostgresStore.open({ connectionString: direct });
    onTestFinished(() => boundedStep('closing the writer', writer.close()));
    await writer.createSession(sessionRecord('s1'));

    holdBefore(relay, 'REPEATABLE READ');
    const read = store.loadSession('s1').then(
      () => 'read',
      (error: Error) => error.message
    );
    await closeFromTheDatabase(relay);
    expect(await read).toMatch(/could not read its database/);
    expect((await store.loadSession('s1'))?.session.id).toBe('s1');
    expect(uncaught).toEqual([]);
  });

  it('fails setting up a lease connection whose link ends during its LISTEN, and a later one connects', async () => {
    const uncaught = recordUncaught();
    const { url, relay } = await throughRelay();
    holdBefore(relay, 'LISTEN');
    const opening = PgSessionLeases.connect(url, 'http://ends').then(
      async (leases) => {
        await leases.close();
        return 'connected';
      },
      (error: Error) => error.message
    );
    await closeFromTheDatabase(relay);
    expect(await opening).toMatch(/Connection terminated/);
    const leases = await PgSessionLeases.connect(url, 'http://ends');
    onTestFinished(() => boundedStep('closing the leases', leases.close()));
    expect(await leases.acquire('s1')).toEqual({ here: true });
    expect(uncaught).toEqual([]);
  });
});
