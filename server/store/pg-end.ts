import type pg from 'pg';

/** How long PostgreSQL may take to answer a goodbye before the connections are cut. */
export const END_GRACE_MS = 3_000;

/** Cuts a pg client's connection at once (its socket destroyed; pg then reports the client ended). */
export function cutConnection(client: pg.Client | pg.PoolClient): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/**
 * Waits for `ending` (a pg client's or pool's end()), and cuts the connections with `cut` when it has not ended
 * within `graceMs`. end() waits for PostgreSQL to close its side; on a link that went silent (no FIN, no RST: a
 * cut network) that never comes, and a server's shutdown waited for it for minutes. Nothing is lost by cutting:
 * what was acknowledged is committed, and PostgreSQL rolls back what was not.
 */
export async function endWithin(ending: Promise<void>, cut: () => void, graceMs = END_GRACE_MS): Promise<void> {
  const timer = setTimeout(cut, graceMs);
  try {
    await ending;
  } finally {
    clearTimeout(timer);
  }
}

/** The connections a pool has open now (pg keeps them private): recorded from its connect and remove events. */
export function trackConnections(pool: pg.Pool): Set<pg.PoolClient> {
  const connections = new Set<pg.PoolClient>();
  pool.on('connect', (client) => {
    connections.add(client);
    keepErrorsHandled(client);
  });
  pool.on('remove', (client) => connections.delete(client));
  return connections;
}

/**
 * Gives a pg client an 'error' listener for its whole life. pg emits 'error' on a client whose connection ends
 * unexpectedly even while it fails the client's query with the same error, and pg-pool listens only while a
 * client is idle in the pool: a connection that ended while checked out (in a transaction, a snapshot, a
 * migration) or while a client was still being set up ended the process. Whoever uses the client learns of
 * the failure from its query; the pool drops the client when it is released.
 */
export function keepErrorsHandled(client: pg.Client | pg.PoolClient): void {
  client.on('error', ignoreClientError);
}

function ignoreClientError(): void {
  // Reported to the query that was running, or to the next one.
}
