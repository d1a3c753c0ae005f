/**
 * Session leases on a real PostgreSQL (server/cluster/leases.ts): one holder at
 * a time, the holder's address for forwarding, release, takeover when the
 * holder's connection ends, loss noticed, a new epoch with each takeover (fencing),
 * and deletions announced to all.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { PgSessionLeases } from '../../server/cluster/leases';
import { sessionCodeOf } from '../../server/cluster/forward';
import { PostgresStore } from '../../server/store/postgres';
import { waitFor } from '../helpers/clients';
import { makeDatabase, pgAdminUrl } from '../helpers/pg-test';
import { adminQuery } from '../helpers/postgres';

const suite = pgAdminUrl() ? describe : describe.skip;

async function leasesOn(url: string, instance: string): Promise<PgSessionLeases> {
  const leases = await PgSessionLeases.connect(url, instance);
  onTestFinished(() => leases.close());
  return leases;
}

suite('session leases on PostgreSQL', () => {
  it('one holder at a time; the others learn its address; a release or the end of its connection frees the lease', async () => {
    const url = await makeDatabase();
    // The store migrates the database (session_owners is migration 3).
    const store = await PostgresStore.open({ connectionString: url });
    onTestFinished(() => store.close());
    const a = await leasesOn(url, 'http://a.internal:3000');
    const b = await leasesOn(url, 'http://b.internal:3000');

    expect(await a.acquire('s1')).toEqual({ here: true });
    const firstEpoch = a.epochOf('s1')!;
    expect(await a.acquire('s1')).toEqual({ here: true });
    // Holding on is not a takeover: the epoch stays.
    expect(a.epochOf('s1')).toBe(firstEpoch);
    expect(await b.acquire('s1')).toEqual({ here: false, ownerUrl: 'http://a.internal:3000' });
    expect(b.epochOf('s1')).toBeNull();
    expect(await b.acquire('s2')).toEqual({ here: true });
    expect([a.holds('s1'), b.holds('s1'), b.holds('s2')]).toEqual([true, false, true]);

    await a.release('s1');
    expect(a.epochOf('s1')).toBeNull();
    expect(await b.acquire('s1')).toEqual({ here: true });
    // Each takeover a new, larger epoch (fencing), even though the owner row went with the release.
    expect(b.epochOf('s1')).toBeGreaterThan(firstEpoch);
    const { rows } = await adminQuery(url, "SELECT epoch FROM session_owners WHERE session_id = 's1'");
    expect(Number(rows[0].epoch)).toBe(b.epochOf('s1'));
    expect(await a.acquire('s1')).toEqual({ here: false, ownerUrl: 'http://b.internal:3000' });

    // b's connection ends (as when its process is killed): everything it held is free at once, and b knows it lost them.
    let lost = false;
    b.onLost(() => (lost = true));
    await adminQuery(
      url,
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'seeds-leases http://b.internal:3000' AND datname = current_database()"
    );
    await waitFor(() => lost, { message: 'b noticed its leases were lost' });
    expect([b.holds('s1'), b.holds('s2')]).toEqual([false, false]);
    expect([b.epochOf('s1'), b.epochOf('s2')]).toEqual([null, null]);
    const bEpoch = Number(rows[0].epoch);
    expect(await a.acquire('s1')).toEqual({ here: true });
    expect(a.epochOf('s1')).toBeGreaterThan(bEpoch);
    expect(await a.acquire('s2')).toEqual({ here: true });
  });

  it('announces deleted sessions to every instance', async () => {
    const url = await makeDatabase();
    const store = await PostgresStore.open({ connectionString: url });
    onTestFinished(() => store.close());
    const a = await leasesOn(url, 'http://a.internal:3000');
    const b = await leasesOn(url, 'http://b.internal:3000');
    const heard: string[] = [];
    b.onGone((id) => heard.push(id));
    await a.announceGone(['gone-1', 'gone-2']);
    await waitFor(() => heard.length === 2, { message: 'b heard both' });
    expect(heard).toEqual(['gone-1', 'gone-2']);
  });
});

describe('which session a request is about', () => {
  it('reads the code from REST paths, the Yjs path and the socket.io query, and nothing else', () => {
    expect(sessionCodeOf('/api/sessions/abc-def/participants')).toBe('ABCDEF');
    expect(sessionCodeOf('/yjs/ABCDEF?ticket=x')).toBe('ABCDEF');
    expect(sessionCodeOf('/socket.io/?EIO=4&transport=websocket&code=abcdef')).toBe('ABCDEF');
    expect(sessionCodeOf('/api/sessions')).toBeNull();
    expect(sessionCodeOf('/api/communities/x')).toBeNull();
    expect(sessionCodeOf('/socket.io/?EIO=4&transport=polling')).toBeNull();
    expect(sessionCodeOf('/s/ABCDEF')).toBeNull();
    expect(sessionCodeOf('/api/sessions/%E0%A4%A')).toBeNull();
    // As the handlers read them: Express in any letter case and absolute-form; socket.io and Yjs by a literal prefix.
    expect(sessionCodeOf('/API/Sessions/abcdef')).toBe('ABCDEF');
    expect(sessionCodeOf('http://elsewhere/api/sessions/ABCDEF')).toBe('ABCDEF');
    expect(sessionCodeOf('http://[/api/sessions/ABCDEF')).toBeNull();
    expect(sessionCodeOf('/SOCKET.IO/?code=ABCDEF')).toBeNull();
    expect(sessionCodeOf('/yjs/ABCDEF/..?code=GHJKLM')).toBe('ABCDEF');
  });
});
