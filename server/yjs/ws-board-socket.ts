import type { WebSocket } from 'ws';
import { BoardConnection, type BoardConnectionOptions, type BoardSocket } from './board-connection';
import type { BoardDocument } from './board-document';

/** A board connection over a real WebSocket (the Yjs endpoint's): binary messages in, the close out. */
export function serveWebSocket(ws: WebSocket, doc: BoardDocument, options: BoardConnectionOptions): BoardConnection {
  // One callback for all of this socket's sends, not a new one per message: every keystroke goes out to every editor.
  const sent = (error?: Error) => {
    if (error) ws.terminate();
  };
  const socket: BoardSocket = {
    send: (message) => {
      if (ws.readyState !== ws.OPEN) return;
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
