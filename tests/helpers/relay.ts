/**
 * A TCP relay on 127.0.0.1 to a local port (PostgreSQL), as a network link that can fail the way
 * real links do: `cut()` stops every byte in both directions without closing anything (no FIN, no
 * RST: a switch failing, a firewall change); what was sent meanwhile waits, as in the senders' TCP
 * buffers, and `heal()` delivers it in order, then any close that happened on either side during
 * the cut. New connections made during the cut reach the other side only at `heal()` (and not at
 * all when their client gave up meanwhile). `delayMs` adds latency each way, in order.
 */
import net from 'node:net';
import { onTestFinished } from 'vitest';

export interface Relay {
  port: number;
  /** Stops every byte both ways; connections stay open. */
  cut(): void;
  /** Cuts the link just before the first chunk towards the target that `matches` (which then waits like any other). */
  cutBefore(matches: (chunk: Buffer) => boolean): void;
  /** Whether the link is cut now. */
  isCut(): boolean;
  /** Delivers what waited (in order, closes last) and passes bytes again. */
  heal(): void;
  /** The relay's sockets towards the target, one per connection (to end some as the target's keepalive would). */
  upstreamSockets(): net.Socket[];
}

/** One direction of one connection: passes chunks on, or keeps them (and a close) while the link is cut. */
class Direction {
  private held: Buffer[] = [];
  private ended = false;
  private last = 0;

  constructor(
    private readonly relay: { isCut(): boolean; delayMs: number; trigger?: (chunk: Buffer) => boolean },
    private to: net.Socket | null,
    private readonly towardsTarget = false
  ) {}

  attach(to: net.Socket): void {
    this.to = to;
  }

  data(chunk: Buffer): void {
    if (this.towardsTarget && this.relay.trigger?.(chunk)) this.relay.trigger = undefined;
    if (this.relay.isCut() || !this.to) return void this.held.push(chunk);
    this.write(chunk);
  }

  end(): void {
    if (this.relay.isCut() || !this.to) return void (this.ended = true);
    this.close();
  }

  flush(): void {
    if (!this.to) return;
    for (const chunk of this.held) this.write(chunk);
    this.held = [];
    if (this.ended) this.close();
  }

  private write(chunk: Buffer): void {
    const to = this.to!;
    if (this.relay.delayMs === 0) return void (to.destroyed || to.write(chunk));
    // Never before an earlier chunk: timers due at the same time run in the order they were set.
    this.last = Math.max(Date.now() + this.relay.delayMs, this.last);
    setTimeout(() => void (to.destroyed || to.write(chunk)), this.last - Date.now());
  }

  private close(): void {
    const to = this.to!;
    if (this.relay.delayMs === 0) return void to.end();
    setTimeout(() => void to.end(), Math.max(0, this.last - Date.now()));
  }
}

/**
 * `silentClose`: the relay does not answer a side's FIN with its own while the link is cut (a real cut: the goodbye
 * never arrives, so the closing side waits); by default Node ends the relay's half at once, which the closing side
 * takes as the other end's goodbye.
 */
export async function startRelay(targetPort: number, delayMs = 0, { silentClose = false } = {}): Promise<Relay> {
  let cut = false;
  const state: { isCut(): boolean; delayMs: number; trigger?: (chunk: Buffer) => boolean } = { isCut: () => cut, delayMs };
  const upstreams: net.Socket[] = [];
  const links: { up: Direction; down: Direction; connect(): void; downstream: net.Socket }[] = [];
  const server = net.createServer({ allowHalfOpen: silentClose }, (downstream) => {
    downstream.on('error', () => undefined);
    const up = new Direction(state, null, true);
    const down = new Direction(state, downstream);
    let upstream: net.Socket | null = null;
    const connect = () => {
      if (upstream || downstream.destroyed) return;
      upstream = net.connect(targetPort, '127.0.0.1');
      upstreams.push(upstream);
      upstream.on('error', () => undefined);
      upstream.on('data', (chunk: Buffer) => down.data(chunk));
      upstream.on('end', () => down.end());
      upstream.on('close', () => down.end());
      up.attach(upstream);
      up.flush();
    };
    downstream.on('data', (chunk: Buffer) => up.data(chunk));
    downstream.on('end', () => up.end());
    downstream.on('close', () => up.end());
    const link = { up, down, connect, downstream };
    links.push(link);
    if (!cut) connect();
  });
  // Half-open connections are what a cut link leaves: each side ends its half by itself.
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => {
    for (const s of upstreams) s.destroy();
    for (const l of links) l.downstream.destroy();
    server.close();
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    cut: () => void (cut = true),
    cutBefore: (matches) => {
      state.trigger = (chunk) => {
        if (!matches(chunk)) return false;
        cut = true;
        return true;
      };
    },
    isCut: () => cut,
    heal: () => {
      cut = false;
      for (const link of links) {
        link.connect();
        link.up.flush();
        link.down.flush();
      }
    },
    upstreamSockets: () => upstreams
  };
}
