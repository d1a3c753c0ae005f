import { Duplex } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { corkForThisTurn } from '../../server/yjs/ws-board-socket';

/** A socket that records each write that reaches it: one entry per system call a TCP socket would make. */
function recordingSocket() {
  const writes: string[][] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      writes.push([chunk.toString()]);
      done();
    },
    writev(chunks, done) {
      writes.push(chunks.map(({ chunk }) => String(chunk)));
      done();
    }
  });
  return { socket, writes };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('board sends are written once per socket and turn', () => {
  test('the updates one group commit settles reach each editor in one write, in order, before the next turn', async () => {
    const a = recordingSocket();
    const b = recordingSocket();
    const send = (to: typeof a, message: string) => {
      corkForThisTurn(to.socket);
      to.socket.write(message);
    };
    // As the relay sends: each update's broadcast is a reaction to its write's commit, all settled in one turn.
    const committed = Promise.resolve();
    const relayed = Promise.all(
      ['u1', 'u2', 'u3'].map((update) =>
        committed.then(() => {
          send(a, update);
          send(b, update);
        })
      )
    );
    await relayed;
    expect(a.writes).toEqual([]);
    await nextTurn();
    expect(a.writes).toEqual([['u1', 'u2', 'u3']]);
    expect(b.writes).toEqual([['u1', 'u2', 'u3']]);
    // A later turn is a write of its own; nothing stays held.
    send(a, 'u4');
    await nextTurn();
    expect(a.writes).toEqual([['u1', 'u2', 'u3'], ['u4']]);
    expect(a.socket.writableCorked).toBe(0);
    expect(b.socket.writableCorked).toBe(0);
  });

  test('a socket corked by someone else, or destroyed, is left as it is', async () => {
    const a = recordingSocket();
    a.socket.cork();
    corkForThisTurn(a.socket);
    a.socket.write('held');
    await nextTurn();
    expect(a.writes).toEqual([]);
    expect(a.socket.writableCorked).toBe(1);
    a.socket.uncork();
    expect(a.writes).toEqual([['held']]);

    const gone = recordingSocket();
    gone.socket.destroy();
    corkForThisTurn(gone.socket);
    expect(gone.socket.writableCorked).toBe(0);
  });
});
