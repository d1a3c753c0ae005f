/**
 * The board document and a board connection without a WebSocket: the real
 * document of a live session (real in-memory store), driven through our own
 * small socket interface (`BoardSocket`). What it proves: a writer's change is
 * stored before it is relayed, to everyone but its sender; read-only is decided
 * at the document's gate on every update and told once per phase; the message
 * rate, malformed input and awareness claims are the connection's to refuse.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import * as awarenessProtocol from 'y-protocols/awareness';
import { loadFrameworks } from '../../server/content';
import { SessionRegistry } from '../../server/sessions/registry';
import { SqliteStore } from '../../server/store/sqlite';
import { BoardConnection, type BoardSocket } from '../../server/yjs/board-connection';
import { BoardDocument, type YjsLimits } from '../../server/yjs/board-document';
import { LIMITS } from '../../src/lib/protocol';
import { newActionId, textOf } from '../../src/lib/board/actions';
import { recordingFanout } from '../helpers/recording-fanout';

const frameworks = loadFrameworks(fileURLToPath(new URL('../../content', import.meta.url)));

/** Our own seam: what a connection sent, and how it was closed. */
class FakeSocket implements BoardSocket {
  readonly sent: Uint8Array[] = [];
  closedWith: { code: number; reason: string } | null = null;
  send(message: Uint8Array): void {
    if (!this.closedWith) this.sent.push(message);
  }
  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason };
  }
  /** The document updates this socket was sent (sync messages carrying an update). */
  updates(): Uint8Array[] {
    return this.sent.flatMap((m) => {
      const d = decoding.createDecoder(m);
      if (decoding.readVarUint(d) !== 0) return [];
      const kind = decoding.readVarUint(d);
      return kind === syncProtocol.messageYjsUpdate ? [decoding.readVarUint8Array(d)] : [];
    });
  }
  /** The permission-denied messages (y-protocols auth) it was sent. */
  denials(): number {
    return this.sent.filter((m) => decoding.readVarUint(decoding.createDecoder(m)) === 2).length;
  }
}

const limits = (messagesPerSecond: number = LIMITS.yjsMessagesPerSecond, burst: number = LIMITS.yjsBurst): YjsLimits => ({
  yjsMessagesPerSecond: messagesPerSecond,
  yjsBurst: burst,
  yjsClientsPerPerson: LIMITS.yjsClientsPerPerson,
  yjsClientsPerDocument: LIMITS.yjsClientsPerDocument,
  yjsDocumentBytes: LIMITS.yjsDocumentBytes
});

/** A session in the action phase with one point, its loaded document, and the store. */
async function setup() {
  const store = new SqliteStore({ memory: true });
  const registry = new SessionRegistry({ store, frameworks, fanout: recordingFanout().fanout });
  const live = (await registry.create({ anonymous: false })).room!;
  for (const phase of ['voting', 'revealed', 'actions'] as const) await live.dispatch('phase:set', { phase }, { role: 'facilitator' });
  const id = newActionId();
  await live.dispatch('action:create', { actionId: id, factor: 1, text: 'Plant' }, { role: 'facilitator' });
  const served = await live.doc();
  return { store, live, served, id };
}

function connect(
  served: Awaited<ReturnType<typeof setup>>['served'],
  options: { person?: string; canWrite?: () => boolean; mayPresent?: boolean; limits?: YjsLimits } = {}
) {
  const socket = new FakeSocket();
  const connection = new BoardConnection(served, socket, {
    person: options.person ?? 'facilitator',
    canWrite: options.canWrite ?? (() => true),
    mayPresent: options.mayPresent ?? true,
    limits: options.limits
  }).start();
  return { socket, connection };
}

/** A client's edit of the point's text, as y-websocket would send it (a sync update message). */
function edit(served: { doc: Y.Doc }, id: string, insert: string): Uint8Array {
  const client = new Y.Doc();
  Y.applyUpdate(client, Y.encodeStateAsUpdate(served.doc));
  let update: Uint8Array | null = null;
  client.on('update', (u: Uint8Array) => (update = u));
  textOf(client, id)!.insert(0, insert);
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 0);
  syncProtocol.writeUpdate(encoder, update!);
  return encoding.toUint8Array(encoder);
}

function awarenessMessage(clientId: number, state: unknown): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = clientId;
  const awareness = new awarenessProtocol.Awareness(doc);
  awareness.setLocalState(state as Record<string, unknown>);
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 1);
  encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(awareness, [clientId]));
  return encoding.toUint8Array(encoder);
}

describe('BoardDocument and BoardConnection, without sockets', () => {
  it("stores a writer's change before relaying it, to everyone but its sender", async () => {
    const { store, live, served, id } = await setup();
    const writer = connect(served, { person: 'facilitator' });
    const reader = connect(served, { person: 'p1' });
    const storedBefore = (await store.loadYjsUpdates(live.id)).length;
    writer.connection.receive(edit(served, id, 'Seeds: '));
    expect(textOf(served.doc, id)!.toString()).toBe('Seeds: Plant');
    await vi.waitFor(() => expect(reader.socket.updates()).toHaveLength(1));
    // Relayed only once stored: the store holds it by the time the other connection hears it.
    expect((await store.loadYjsUpdates(live.id)).length).toBe(storedBefore + 1);
    expect(writer.socket.updates()).toHaveLength(0);
    expect(writer.socket.closedWith).toBeNull();
  });

  it('answers a sync with the document only once all of it is stored (an update may wait for its commit)', async () => {
    const { store, served, id } = await setup();
    const sqlite = (store as unknown as { sqlite: { prepare(sql: string): { get(): { n: number } } } }).sqlite;
    const storedUpdates = () => sqlite.prepare('SELECT count(*) AS n FROM yjs_updates').get().n;
    await served.stored();
    const before = storedUpdates();
    const writer = connect(served, { person: 'facilitator' });
    writer.connection.receive(edit(served, id, 'Seeds: '));
    // A joiner's sync step 1 (an empty state vector), as y-websocket sends it when it connects.
    const joiner = connect(served, { person: 'p1' });
    const step1 = encoding.createEncoder();
    encoding.writeVarUint(step1, 0);
    syncProtocol.writeSyncStep1(step1, new Y.Doc());
    joiner.connection.receive(encoding.toUint8Array(step1));
    const answers = () =>
      joiner.socket.sent.flatMap((m) => {
        const d = decoding.createDecoder(m);
        return decoding.readVarUint(d) === 0 && decoding.readVarUint(d) === syncProtocol.messageYjsSyncStep2 ? [decoding.readVarUint8Array(d)] : [];
      });
    // The edit is in the document but not yet committed: nothing of it is sent.
    expect(storedUpdates()).toBe(before);
    expect(answers()).toEqual([]);
    await served.stored();
    expect(storedUpdates()).toBe(before + 1);
    await vi.waitFor(() => expect(answers()).toHaveLength(1));
    const replica = new Y.Doc();
    Y.applyUpdate(replica, answers()[0]);
    expect(textOf(replica, id)!.toString()).toBe('Seeds: Plant');
  });

  it('refuses an update at the gate while the board is read-only for its sender, tells it once per phase, and changes nothing', async () => {
    const { served, id } = await setup();
    let open = false;
    const viewer = connect(served, { canWrite: () => open });
    const before = Y.encodeStateVector(served.doc);
    viewer.connection.receive(edit(served, id, 'x'));
    viewer.connection.receive(edit(served, id, 'y'));
    expect(Y.encodeStateVector(served.doc)).toEqual(before);
    expect(viewer.socket.denials()).toBe(1);
    served.resetDenials();
    viewer.connection.receive(edit(served, id, 'z'));
    expect(viewer.socket.denials()).toBe(2);
    open = true;
    viewer.connection.receive(edit(served, id, 'Now '));
    expect(textOf(served.doc, id)!.toString()).toBe('Now Plant');
    expect(viewer.socket.closedWith).toBeNull();
  });

  it('closes a connection over its message rate with 1013 (reconnect later) and applies nothing it sends after', async () => {
    const { served, id } = await setup();
    const fast = connect(served, { limits: limits(1, 2) });
    fast.connection.receive(edit(served, id, 'a'));
    fast.connection.receive(edit(served, id, 'b'));
    fast.connection.receive(edit(served, id, 'c'));
    expect(fast.socket.closedWith?.code).toBe(1013);
    expect(textOf(served.doc, id)!.toString()).toBe('baPlant');
  });

  it('closes a connection sending a malformed message with 1003, the document unchanged', async () => {
    const { served } = await setup();
    const bad = connect(served);
    const before = Y.encodeStateAsUpdate(served.doc);
    bad.connection.receive(new Uint8Array([0, 2, 200, 1, 7]));
    expect(bad.socket.closedWith?.code).toBe(1003);
    expect(Y.encodeStateAsUpdate(served.doc)).toEqual(before);
  });

  it("speaks for one awareness client id per connection, keeps a presenter's presence out, and drops its state when it closes", async () => {
    const { served } = await setup();
    const ann = connect(served, { person: 'p1' });
    const screen = connect(served, { person: 'presenter', mayPresent: false });
    ann.connection.receive(awarenessMessage(4001, { name: 'Ann', colour: 1 }));
    expect(served.awareness.getStates().get(4001)).toMatchObject({ name: 'Ann' });
    // Another id from the same connection is not its own: dropped.
    ann.connection.receive(awarenessMessage(4002, { name: 'Bob', colour: 2 }));
    screen.connection.receive(awarenessMessage(4003, { name: 'Screen', colour: 3 }));
    expect([...served.awareness.getStates().keys()]).toEqual([4001]);
    ann.connection.closed();
    expect(served.awareness.getStates().size).toBe(0);
    expect(served.awareness.meta.has(4001)).toBe(false);
  });

  it("closes one person's connections (a removal) and nobody else's", async () => {
    const { served } = await setup();
    const ann1 = connect(served, { person: 'participant:ann' });
    const ann2 = connect(served, { person: 'participant:ann' });
    const bob = connect(served, { person: 'participant:bob' });
    served.closePerson('participant:ann', 4403, 'removed from the session');
    expect([ann1.socket.closedWith, ann2.socket.closedWith]).toEqual([
      { code: 4403, reason: 'removed from the session' },
      { code: 4403, reason: 'removed from the session' }
    ]);
    expect(bob.socket.closedWith).toBeNull();
  });
});

describe('loading a board', () => {
  it('leaves no timer running when its stored updates cannot be read', async () => {
    const store = new SqliteStore({ memory: true });
    await store.close();
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    await expect(BoardDocument.load('s1', store)).rejects.toThrow();
    // The document's awareness (presence) check is an interval: nobody would ever destroy a document that failed to load.
    expect(timers()).toBe(before);
  });
});
