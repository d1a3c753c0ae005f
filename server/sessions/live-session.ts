import type { WebSocket } from 'ws';
import { createText, removeText } from '../../src/lib/board/actions';
import type { Framework } from '../../src/lib/domain/framework';
import { actionsEditable } from '../../src/lib/domain/phases';
import { CommandError, type CommandName, type ParsedCommand } from '../../src/lib/protocol';
import { DocRoom, type YjsLimits } from '../yjs/doc-room';
import { TICKET_TTL_MS, type TicketBook } from '../yjs/tickets';
import type { LoadedSession, ParticipantRecord, SessionRecord, Store } from '../store/types';
import type { RoomFanout } from './fanout';
import { authorize, type Action } from './policy';
import type { CommunityContext, Identity } from './projections';
import { SessionRoom } from './room';
import type { CommentBudget } from './ballot-box';

/** What a live session needs from the server around it. */
export interface LiveSessionHost {
  store: Store;
  /** socket.io (or, later, a cross-instance adapter): how the room reaches its clients. */
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
 * document (DocRoom, loaded on first use), presence over both transports, and
 * the one path for every change. socket.io commands, REST handlers and Yjs
 * connections all come in here; the authorisation policy is checked once, in
 * `dispatch`/`join`/`allow`. The room emits what happened (a participant
 * removed, the phase changed, the session deleted) and this object follows it
 * up on the board side, so no caller has to remember a side effect.
 */
export class LiveSession {
  readonly room: SessionRoom;
  private board: DocRoom | null = null;
  private boardLoading: Promise<DocRoom> | null = null;
  /** Unloaded from memory (idle): a board still loading or an upgrade still in flight must not be served by this copy. */
  private unloaded = false;
  /** Open board sockets of each participant, to cut them off on removal. */
  private readonly boardSockets = new Map<string, Set<WebSocket>>();

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
      community,
      host.commentBudget,
      host.clock
    );
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
    return this.room.connectionCount;
  }

  authenticate(token: string): Identity | null {
    return this.room.authenticate(token);
  }

  /** Open connections of one person over both transports (limited per person at each handshake). */
  connectionsOf(identity: Identity): number {
    return this.room.connectionsOf(identity);
  }

  /** Whether this identity still belongs to the session (a removed participant does not). */
  isCurrent(identity: Identity): boolean {
    return identity.role !== 'participant' || this.room.hasParticipant(identity.participantId);
  }

  /** What `identity` may see of the session right now (sent on connect). */
  snapshot(identity: Identity) {
    return this.room.snapshot(identity);
  }

  /** Refuses `action` for `identity` (null: no token) with the policy's typed error. */
  allow(action: Action, identity: Identity | null): void {
    if (this.room.isDeleted) throw new CommandError('not_found', 'This session was deleted.');
    authorize(action, identity, this.room.phase, (id) => this.room.hasParticipant(id));
  }

  /** The facilitator deletes the session (REST); the socket.io command takes the same path through `dispatch`. */
  async deleteSession(identity: Identity | null): Promise<void> {
    this.allow('session:delete', identity);
    await this.room.delete();
  }

  /** The facilitator removes several participants over REST; the socket.io command takes the same path through `dispatch`. */
  removeParticipants(identity: Identity | null, participantIds: readonly string[]) {
    this.allow('participants:remove', identity);
    return this.room.removeParticipants(participantIds);
  }

  /** Someone joins over REST (no token). */
  join(input: { name: string; group: string | null; language: ParticipantRecord['language'] }, maxParticipants: number) {
    this.allow('session:join', null);
    return this.room.join(input, maxParticipants);
  }

  /**
   * Runs one validated command for `identity`. Exhaustive: a new command fails to compile until it is handled here.
   * `origin` names the sending connection: it learns the outcome from the ack, so echoes skip it.
   */
  async dispatch<C extends CommandName>(name: C, payload: ParsedCommand<C>, identity: Identity, origin?: string): Promise<unknown> {
    this.allow(name, identity);
    const room = this.room;
    const command = { name, payload } as { [K in CommandName]: { name: K; payload: ParsedCommand<K> } }[CommandName];
    // The policy let only these roles through; the board's rules name the actor (who owns a point, whose dots).
    const actor = () => {
      if (identity.role === 'presenter') throw new CommandError('forbidden', 'The presenter screen changes nothing.');
      return identity;
    };
    const participantId = () => {
      if (identity.role !== 'participant') throw new CommandError('forbidden', 'Only participants vote.');
      return identity.participantId;
    };
    switch (command.name) {
      case 'vote':
        return room.vote(participantId(), command.payload.factor, command.payload.answer, command.payload.comment, command.payload.round, origin);
      case 'phase:set':
        return room.setPhase(command.payload.phase, command.payload.countdownSeconds);
      case 'participant:remove':
        await room.removeParticipant(command.payload.participantId);
        return null;
      case 'participants:remove':
        return room.removeParticipants(command.payload.participantIds);
      case 'settings:update':
        return room.updateSettings(command.payload);
      case 'dot:cast':
        return room.actionBoard.castDot(actor(), command.payload.actionId, command.payload.delta, origin);
      case 'action:create': {
        const { actionId, factor, text } = command.payload;
        // Loaded before the change, so the point and its Y.Text are written in the same turn (one commit).
        const doc = await this.doc();
        const { record } = await room.actionBoard.createAction(actor(), { id: actionId, factor }, () => createText(doc.doc, actionId, text ?? ''));
        return room.actionViews().find((a) => a.id === record.id) ?? null;
      }
      case 'action:update': {
        const { actionId, factor, owner, due, status } = command.payload;
        return room.actionBoard.updateAction(actor(), actionId, { factor, owner, due: due === '' ? null : due, status });
      }
      case 'action:remove':
        await room.actionBoard.removeAction(actor(), command.payload.actionId);
        return null;
      case 'action:restore':
        await room.actionBoard.restoreAction(actor(), command.payload.actionId);
        return null;
      case 'action:merge':
        await room.actionBoard.mergeAction(actor(), command.payload.sourceId, command.payload.targetId);
        return null;
      case 'action:unmerge':
        await room.actionBoard.unmergeAction(actor(), command.payload.actionId);
        return null;
      case 'action:move':
        await room.actionBoard.moveAction(actor(), command.payload.actionId, command.payload.toIndex);
        return null;
      case 'review:set': {
        // Loaded before the change, so a carried-over point and its Y.Text commit together.
        const doc = await this.doc();
        return room.actionBoard.setReview(actor(), command.payload.key, command.payload.status, {
          create: (actionId, text) => createText(doc.doc, actionId, text),
          remove: (actionId) => removeText(doc.doc, actionId)
        });
      }
      case 'present:focus':
        room.presentFactor(command.payload.factor);
        return null;
      case 'comment:hide': {
        const { round, factor, text, hidden } = command.payload;
        return room.hideComment({ round, factor, text }, hidden);
      }
      case 'voting:control':
        return room.controlVoting(command.payload);
      case 'clock:sync':
        return { serverNow: Date.now() };
      case 'board:ticket':
        return { ticket: this.host.tickets.issue(this.id, identity), expiresInMs: TICKET_TTL_MS };
      case 'state:request':
        return room.snapshot(identity);
      case 'session:delete':
        // The room emits `deleted`; ended() closes the board and forgets this session.
        await room.delete();
        return null;
      default: {
        const unreachable: never = command;
        throw new CommandError('bad_request', `Unknown command ${String(unreachable)}`);
      }
    }
  }

  // ------------------------------------------------------------------ presence (both transports)

  connected(identity: Identity): void {
    this.room.connected(identity);
  }

  disconnected(identity: Identity): void {
    this.room.disconnected(identity);
    this.host.idle(this);
  }

  // ------------------------------------------------------------------ the board

  /** The board document, loaded from the store once (many connections may ask at the same time). */
  doc(): Promise<DocRoom> {
    if (this.board) return Promise.resolve(this.board);
    if (!this.boardLoading) {
      const loading = DocRoom.load(this.id, this.host.store, this.host.yjsLimits).then((doc) => {
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

  /** Serves an upgraded board WebSocket of `identity` (authenticated by its ticket). */
  attachBoard(ws: WebSocket, identity: Identity, doc: DocRoom): void {
    if (this.isDeleted) {
      ws.close(4404, 'session deleted');
      return;
    }
    // Unloaded while the upgrade was authorised: "try again later" makes y-websocket reconnect to the reloaded session.
    if (this.unloaded || doc !== this.board) {
      ws.close(1013, 'reloading; reconnect');
      return;
    }
    let sockets: Set<WebSocket> | null = null;
    if (identity.role === 'participant') {
      // Removed while the upgrade was being authorised.
      if (!this.room.hasParticipant(identity.participantId)) {
        ws.close(4403, 'removed from the session');
        return;
      }
      sockets = this.boardSockets.get(identity.participantId) ?? new Set<WebSocket>();
      this.boardSockets.set(identity.participantId, sockets.add(ws));
    }
    this.connected(identity);
    ws.on('close', () => {
      if (sockets && identity.role === 'participant') {
        sockets.delete(ws);
        if (sockets.size === 0 && this.boardSockets.get(identity.participantId) === sockets) this.boardSockets.delete(identity.participantId);
      }
      this.disconnected(identity);
    });
    // A presenter screen only reads the board and publishes no presence.
    const stillMember = () => identity.role === 'facilitator' || (identity.role === 'participant' && this.room.hasParticipant(identity.participantId));
    const person = identity.role === 'participant' ? `participant:${identity.participantId}` : identity.role;
    doc.addConnection(ws, () => !this.isDeleted && actionsEditable(this.room.phase) && stillMember(), person, identity.role !== 'presenter');
  }

  /** A removed participant's board connections close (4403: y-websocket does not reconnect) and their tickets are void. */
  private closeBoardOf(participantId: string): void {
    this.host.tickets.revoke(this.id, participantId);
    for (const ws of this.boardSockets.get(participantId) ?? []) ws.close(4403, 'removed from the session');
    this.boardSockets.delete(participantId);
  }

  // ------------------------------------------------------------------ the end of a live session

  /** The store purged this session: its clients hear it was deleted; `ended` follows from the room's event. */
  evicted(): void {
    if (!this.room.isDeleted) this.room.evicted();
  }

  /** Deleted or purged: the board closes for everyone, tickets go, the registry forgets this session. */
  private ended(): void {
    this.host.tickets.revoke(this.id);
    this.board?.destroy(4404, 'session deleted');
    this.board = null;
    this.boardSockets.clear();
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
    this.boardSockets.clear();
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
