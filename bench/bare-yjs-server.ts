/**
 * The baseline for `bench/actions.ts`: the stock `@y/websocket-server` 0.1.1
 * relay (`setupWSConnection`, in-memory, no persistence, no auth) on any path.
 * Prints its URL like server/index.ts does.
 */
import http from 'node:http';
import { WebSocketServer } from 'ws';
import { setupWSConnection } from '@y/websocket-server/utils';

const httpServer = http.createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ noServer: true });
httpServer.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => setupWSConnection(ws, request));
});

httpServer.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(`bare @y/websocket-server relay on http://127.0.0.1:${port}`);
});

process.on('SIGTERM', () => {
  for (const ws of wss.clients) ws.terminate();
  httpServer.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
