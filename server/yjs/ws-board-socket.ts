import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { BoardConnection, type BoardConnectionOptions, type BoardSocket } from './board-connection';
import type { BoardDocument } from './board-document';

/**
 * The TCP sockets board messages were written to in this turn of the event loop, held corked until the turn's
 * callbacks and promise reactions are done. The relay's sends are most of what a keystroke costs the server (one
 * system call per message and editor: bench/README.md); a group commit settles several editors' updates in one
 * turn, and each editor then gets them in one write. Released in the same turn: nothing waits for a timer.
 */
const corked: Duplex[] = [];

function uncorkAll(): void {
  for (const socket of corked.splice(0)) {
    // One socket's failure must not leave the others corked for good (Node reports write errors later, but still).
    try {
      socket.uncork();
    } catch (error) {
      console.error('board: a socket could not be uncorked', error);
    }
  }
}

/**
 * Holds `socket`'s writes until this turn's callbacks and promise reactions are done (corked once per socket and
 * turn; writes stay in their order).
 */
export function corkForThisTurn(socket: Duplex): void {
  // ws corks and uncorks around each frame it writes, so outside its send a socket is corked only by us.
  if (socket.writableCorked > 0 || socket.destroyed) return;
  socket.cork();
  if (corked.push(socket) === 1) process.nextTick(uncorkAll);
}

/**
 * A board connection over a real WebSocket (the Yjs endpoint's): binary messages in, the close out. `raw` is
 * the TCP socket the WebSocket was upgraded on (the one ws writes its frames to).
 */
export function serveWebSocket(ws: WebSocket, raw: Duplex, doc: BoardDocument, options: BoardConnectionOptions): BoardConnection {
  // One callback for all of this socket's sends, not a new one per message: every keystroke goes out to every editor.
  const sent = (error?: Error) => {
    if (error) ws.terminate();
  };
  const socket: BoardSocket = {
    send: (message) => {
      if (ws.readyState !== ws.OPEN) return;
      corkForThisTurn(raw);
      ws.send(message, sent);
    },
    close: (code, reason) => ws.close(code, reason)
  };
  const connection = new BoardConnection(doc, socket, options);
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) connection.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  });
  ws.on('close', () => connection.closed());
  return connection.start();
}
