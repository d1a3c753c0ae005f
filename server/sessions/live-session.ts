import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Framework } from '../../src/lib/domain/framework';
import { CommandError, type BoardTicket, type CommandName, type CommandReply, type ParsedCommand } from '../../src/lib/protocol';
import { BoardDocument, type YjsLimits } from '../yjs/board-document';
import { serveWebSocket } from '../yjs/ws-board-socket';
import { TICKET_TTL_MS, type TicketBook } from '../yjs/tickets';
import type { LoadedSession, ParticipantRecord, SessionRecord, Store } from '../store/types';
import type { RoomFanout } from './fanout';
import { authorize, permits, type Action } from './policy';
import { handle, parseCommand, type CommandContext } from './commands';
import { personKey, type CommunityContext, type Identity } from './projections';
import { SessionRoom } from './room';
import { Presence } from './presence';
import type { CommentBudget } from './ballot-box';

/** What a live session needs from the server around it. */
export interface LiveSessionHost {
  store: Store;
  /** socket.io in this process: how the session reaches its clients (all routed to the instance that owns it). */
  fanout: RoomFanout;
  /** Single-use tickets for the board's WebSocket, issued over socket.io. */
  tickets: TicketBook;
  yjsLimits?: YjsLimits;
  /** The clock that stamps reveals (Date.now by default). */
  clock?: () => number;
  /** Comment code units per round (LIMITS by default; tests set small ones). */
  commentBudget?: CommentBudget;
  /** A connection closed: the registry's one idle-unload policy decides when to drop the session from memory. */
  idle(live: LiveSession): void;
  /** The session was deleted or purged: forget it. */
  gone(live: LiveSession): void;
}

/**
 * One session while it is in memory: the ballot room (SessionRoom), the board
 * document (BoardDocument, loaded on first use), presence over both transports, and
 * the one path for every change. socket.io commands, REST handlers and Yjs
 * connections all come in here; a command off the wire is parsed against the
 * contract in `execute` and run by its handler in the registry (commands.ts),
 * and the authorisation policy is checked once, in `dispatch`/`join`/`allow`
 * (and `may` for each board update). The room emits what happened (a participant
 * removed, the phase changed, the session deleted) and this object follows it
 * up on the board side, so no caller has to remember a side effect.
 */
export class LiveSession {
  readonly room: SessionRoom;
  private board: BoardDocument | null = null;
  private boardLoading: Promise<BoardDocument> | null = null;
  /** Unloaded from memory (idle): a board still loading or an upgrade still in flight must not be served by this copy. */
  private unloaded = false;
  /** Who is connected, over both transports: the one count of connections (and each person's board sockets). */
  readonly presence = new Presence();
  /** Made once, not for each authorised command. */
  private readonly isMember = (participantId: string) => this.room.hasParticipant(participantId);

  constructor(
    record: SessionRecord,
    framework: Framework,
    loaded: Omit<LoadedSession, 'session'>,
    private readonly host: LiveSessionHost,
    community: CommunityContext | null = null
  ) {
    this.room = new SessionRoom(
      record,
      framework,
      host.store,
      host.fanout,
      loaded,
      {
        participantRemoved: (id) => this.closeBoardOf(id),
        // Read-only clients hear about the new phase again when they next try to write.
        phaseChanged: () => this.board?.resetDenials(),
        deleted: () => this.ended()
      },
      this.presence,
      community,
      host.commentBudget,
      host.clock
    );
  }

  /** Starts what loading leaves to write (see SessionRoom.start); called once by the registry, right after construction. */
  start(): this {
    this.room.start();
    return this;
  }

  get id(): string {
    return this.room.id;
  }
  get code(): string {
    return this.room.code;
  }
  get isDeleted(): boolean {
    return this.room.isDeleted;
  }
  /** Open connections over both transports (board connections count with their person's). */
  get connectionCount(): number {
    return this.presence.total;
  }

  authenticate(token: string): Identity | null {
    return this.room.authenticate(token);
  }

  /** Open connections of one person over both transports (limited per person at each handshake). */
  connectionsOf(identity: Identity): number {
    return this.presence.of(identity);
  }

  /** When each co-facilitator's account was last removed from this session (epoch ms). */
  private readonly accountsRevoked = new Map<string, number>();

  /**
   * Whether this identity still belongs to the session: a removed participant does not, nor a co-facilitator
   * admitted by a membership read at or before their removal (a handshake in flight while the owner removed them
   * would otherwise join after the removal ended their other connections).
   */
  isCurrent(identity: Identity): boolean {
    if (identity.role === 'facilitator' && identity.accountId !== undefined) {
      const revoked = this.accountsRevoked.get(identity.accountId);
      return revoked === undefined || (identity.admittedAt ?? 0) > revoked;
    }
    return identity.role !== 'participant' || this.room.hasParticipant(identity.participantId);
  }

  /** What `identity` may see of the session right now (sent on connect). */
  snapshot(identity: Identity) {
    return this.room.snapshot(identity);
  }

  /** Refuses `action` for `identity` (null: no token) with the policy's typed error. */
  allow(action: Action, identity: Identity | null): void {
    if (this.room.isDeleted) throw new CommandError('not_found', 'This session was deleted.');
    authorize(action, identity, this.room.phase, this.isMember);
  }

  /** Whether the policy lets `action` through for `identity` now (no error built: asked on every board update). */
  may(action: Action, identity: Identity): boolean {
    return !this.room.isDeleted && permits(action, identity, this.room.phase, this.isMember);
  }

  /** The facilitator deletes the session (REST); the socket.io command takes the same path through `dispatch`. */
  async deleteSession(identity: Identity | null): Promise<void> {
    this.allow('session:delete', identity);
    await this.room.end.delete();
  }

  /** The facilitator removes several participants over REST; the socket.io command takes the same path through `dispatch`. */
  removeParticipants(identity: Identity | null, participantIds: readonly string[]) {
    this.allow('participants:remove', identity);
    return this.room.door.removeParticipants(participantIds);
  }

  /** Someone joins over REST (no token). */
  join(input: { name: string; group: string | null; language: ParticipantRecord['language'] }, maxParticipants: number) {
    this.allow('session:join', null);
    return this.room.door.join(input, maxParticipants);
  }

  /**
   * Runs one parsed command for `identity`: its policy row, then its handler in the registry, with the contract's reply type.
   * `origin` names the sending connection: it learns the outcome from the ack, so echoes skip it.
   */
  dispatch<C extends CommandName>(name: C, payload: ParsedCommand<C>, identity: Identity, origin?: string): Promise<CommandReply<C>> {
    try {
      this.allow(name, identity);
      // Not an async function: the handler's own promise is returned as it is (an async one would wrap it in another).
      return Promise.resolve(handle(name, payload, new DispatchContext(this, identity, origin)));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** A single-use ticket for `identity`'s board connection. */
  ticketFor(identity: Identity): BoardTicket {
    return { ticket: this.host.tickets.issue(this.id, identity), expiresInMs: TICKET_TTL_MS };
  }

  /**
   * A command as it came off the wire (socket.io): an unknown name or a payload its schema refuses is answered
   * `bad_request` and changes nothing; otherwise it is dispatched.
   */
  execute(name: unknown, payload: unknown, identity: Identity, origin?: string): Promise<unknown> {
    try {
      const command = parseCommand(name, payload);
      return this.dispatch(command.name, command.payload as never, identity, origin);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // ------------------------------------------------------------------ presence (both transports)

  /** A connection of `identity` opened, over either transport (a participant no longer in the session is not counted). */
  connected(identity: Identity): void {
    if (identity.role === 'participant' && !this.room.hasParticipant(identity.participantId)) return;
    if (this.presence.opened(identity) && identity.role === 'participant') this.room.broadcasts.presenceChanged(identity.participantId);
  }

  disconnected(identity: Identity): void {
    if (this.presence.closed(identity) && identity.role === 'participant') this.room.broadcasts.presenceChanged(identity.participantId);
    this.host.idle(this);
  }

  // ------------------------------------------------------------------ the board

  /** The board document, loaded from the store once (many connections may ask at the same time). */
  doc(): Promise<BoardDocument> {
    if (this.board) return Promise.resolve(this.board);
    if (!this.boardLoading) {
      const loading = BoardDocument.load(this.id, this.host.store, this.host.yjsLimits).then((doc) => {
        // Deleted or unloaded while loading: serve nothing from a document nobody owns any more.
        if (this.isDeleted || this.unloaded) {
          doc.destroy(this.isDeleted ? 4404 : 1013, this.isDeleted ? 'session deleted' : 'reloading');
          throw new CommandError('not_found', 'This session is no longer loaded.');
        }
        this.board = doc;
        return doc;
      });
      this.boardLoading = loading;
      loading.finally(() => (this.boardLoading = null)).catch(() => undefined);
    }
    return this.boardLoading;
  }

  /** Serves an upgraded board WebSocket of `identity` (authenticated by its ticket), upgraded on the TCP socket `raw`. */
  attachBoard(ws: WebSocket, raw: Duplex, identity: Identity, doc: BoardDocument): void {
    if (this.isDeleted) {
      ws.close(4404, 'session deleted');
      return;
    }
    // Unloaded while the upgrade was authorised: "try again later" makes y-websocket reconnect to the reloaded session.
    if (this.unloaded || doc !== this.board) {
      ws.close(1013, 'reloading; reconnect');
      return;
    }
    // Removed while the upgrade was being authorised.
    if (!this.isCurrent(identity)) {
      ws.close(4403, 'removed from the session');
      return;
    }
    this.connected(identity);
    ws.on('close', () => this.disconnected(identity));
    const person = personKey(identity);
    // Every update is checked against the policy's `board:edit` row (members, the action phase); a presenter screen
    // only reads the board and publishes no presence.
    serveWebSocket(ws, raw, doc, {
      person,
      canWrite: () => this.may('board:edit', identity),
      mayPresent: identity.role !== 'presenter',
      limits: this.host.yjsLimits
    });
  }

  /** A removed participant's board connections close (4403: y-websocket does not reconnect) and their tickets are void. */
  private closeBoardOf(participantId: string): void {
    this.host.tickets.revoke(this.id, participantId);
    const identity: Identity = { role: 'participant', participantId };
    this.presence.forget(identity);
    this.board?.closePerson(personKey(identity), 4403, 'removed from the session');
  }

  /**
   * A co-facilitator lost their membership: their board connections close (4403: y-websocket does not reconnect),
   * their tickets are void and their socket.io connections end, so their page loses the controls at once.
   */
  revokeAccount(accountId: string, now = Date.now()): void {
    this.accountsRevoked.set(accountId, now);
    this.host.tickets.revokeAccount(this.id, accountId);
    const identity: Identity = { role: 'facilitator', accountId };
    this.presence.forget(identity);
    this.board?.closePerson(personKey(identity), 4403, 'no longer a facilitator of this session');
    this.host.fanout.disconnectAccount(this.code, accountId);
  }

  /** The community this session belongs to, or null. */
  get communityId(): string | null {
    return this.room.record.communityId;
  }

  // ------------------------------------------------------------------ the end of a live session

  /** The store purged this session: its clients hear it was deleted; `ended` follows from the room's event. */
  evicted(): void {
    if (!this.room.isDeleted) this.room.end.evicted();
  }

  /** Deleted or purged: the board closes for everyone, tickets go, the registry forgets this session. */
  private ended(): void {
    this.host.tickets.revoke(this.id);
    this.board?.destroy(4404, 'session deleted');
    this.board = null;
    this.host.gone(this);
  }

  /**
   * This instance no longer holds the session's lease (its connection to the
   * database broke): every connection closes without a word of deletion, so
   * clients reconnect and reach whichever instance owns the session now.
   */
  handOver(): void {
    this.unloaded = true;
    this.room.dispose();
    // 1013 "try again later": y-websocket reconnects.
    this.board?.destroy(1013, 'session moved');
    this.board = null;
    this.host.fanout.disconnectAll(this.code);
  }

  /** Dropped from memory while idle (nobody connected); everything reloads from the store. */
  unload(): void {
    this.unloaded = true;
    this.room.dispose();
    this.board?.destroy();
    this.board = null;
  }
}

/** A command's context, with methods instead of closures made for every command (a vote is the hot path). */
class DispatchContext implements CommandContext {
  readonly room: SessionRoom;

  constructor(
    private readonly live: LiveSession,
    readonly identity: Identity,
    readonly origin: string | undefined
  ) {
    this.room = live.room;
  }

  board(): Promise<BoardDocument> {
    return this.live.doc();
  }

  ticket(): BoardTicket {
    return this.live.ticketFor(this.identity);
  }
}
