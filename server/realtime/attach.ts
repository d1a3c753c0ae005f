import type { Server as HttpServer } from 'node:http';
import type { FrameworkCatalog } from '../content';
import { SessionRegistry } from '../sessions/registry';
import { OriginPolicy } from '../security/origin';
import type { Store } from '../store/types';
import { YjsHub } from '../yjs/hub';
import { attachSocketHandlers, createSocketServer, type IO } from './socket-server';
import { socketFanout } from './socket-fanout';
import { SOCKET_PATH } from '../../src/lib/protocol';

export interface Realtime {
  io: IO;
  registry: SessionRegistry;
  yjs: YjsHub;
  close(): Promise<void>;
}

/**
 * Attaches socket.io and the Yjs endpoint to an HTTP server (ours in
 * production, Vite's in dev). Upgrades are routed by path so the two never
 * fight over a socket.
 */
export function attachRealtime(
  httpServer: HttpServer,
  options: { store: Store; frameworks: FrameworkCatalog; allowedOrigins: string[]; maxLiveSessions: number; destroyUnknownUpgrades: boolean }
): Realtime {
  const origins = new OriginPolicy(options.allowedOrigins);
  const io = createSocketServer(httpServer, origins);
  const registry = new SessionRegistry({
    store: options.store,
    frameworks: options.frameworks,
    fanout: socketFanout(io),
    maxLiveSessions: options.maxLiveSessions
  });
  const yjs = new YjsHub(registry, options.store, origins);
  attachSocketHandlers(io, { registry, yjs });

  const onUpgrade = (request: import('node:http').IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
    if (YjsHub.matches(request.url)) yjs.handleUpgrade(request, socket, head);
    else if (options.destroyUnknownUpgrades && !request.url?.startsWith(`${SOCKET_PATH}/`)) socket.destroy();
  };
  httpServer.on('upgrade', onUpgrade);

  return {
    io,
    registry,
    yjs,
    close: async () => {
      httpServer.off('upgrade', onUpgrade);
      yjs.close();
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      registry.close();
    }
  };
}
