import fs from 'node:fs';
import net from 'node:net';

/**
 * The kernel's range of ephemeral ports (the local ports of outgoing connections). A port from it can be taken by
 * any outgoing connection (Chromium's, a pool's) while a server that was killed on it is down, and the server's
 * restart on its port then fails with EADDRINUSE: so the ports tests listen on come from below it.
 */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low, high];
  } catch {
    // Not Linux: the IANA range, the default of most other systems.
  }
  return [49152, 65535];
}

const [EPHEMERAL_LOW] = ephemeralRange();
/** Ports below the ephemeral range, above the well-known and the usual services' (PostgreSQL's 5432, dev servers' 3000–9999). */
const LOW = 10_000;
const HIGH = Math.max(LOW + 1_000, EPHEMERAL_LOW - 1);

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * A port that was free a moment ago and that no outgoing connection will be given: random below the ephemeral
 * range (two test files at once rarely draw the same one), checked by listening on it. After 50 busy draws, one
 * the kernel picks (which may be ephemeral: better than failing).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await canListen(port)) return port;
  }
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
