import { io, type Socket } from 'socket.io-client';
import { Backoff } from './backoff';
import {
  PROTOCOL_VERSION,
  RETRY_LATER,
  SOCKET_PATH,
  isProtocolError,
  type Ack,
  type ActionView,
  type Answer,
  type ClientToServerEvents,
  type CommandName,
  type HiddenComment,
  type CommandPayload,
  type OwnAnswer,
  type ParticipantView,
  type ProtocolError,
  type ServerToClientEvents,
  type SessionLinks,
  type SessionSnapshot
} from '../protocol';
import { loadLost, loadPending, saveLost, savePending, type StoredLostChange } from './storage';

/** An answer not yet acknowledged, for the round it was given in. */
export interface PendingAnswer extends OwnAnswer {
  round: number;
}

type AckData<C extends CommandName> = Parameters<Parameters<ClientToServerEvents[C]>[1]>[0] extends Ack<infer R> ? R : never;

/**
 * A score or comment this person gave that never reached the results: the server
 * refused it because voting had closed or a new round had begun before it arrived
 * (a comment typed just before the reveal, an answer queued offline). Kept, with
 * the text, until the person dismisses it.
 */
export type LostChange = StoredLostChange;

/** Refusals that mean "too late for that round", not "wrong input". */
const TOO_LATE = new Set(['wrong_phase', 'wrong_round', 'voting_closed']);

export type ConnectionStatus = 'connecting' | 'online' | 'offline' | 'failed' | 'removed' | 'deleted';

const ACK_TIMEOUT_MS = 15_000;
/** A dot waits less for its answer, and is sent again (safely: `from`) up to DOT_ATTEMPTS times in all. */
const DOT_ACK_TIMEOUT_MS = 5_000;
const DOT_ATTEMPTS = 4;
/** A comment is sent this long after the last keystroke (and at once when the field loses focus). */
export const COMMENT_DEBOUNCE_MS = 600;

/**
 * One live connection to a session, as reactive state. The server sends a
 * fresh snapshot on every (re)connect; events patch it in between.
 */
export class SessionConnection {
  snapshot = $state<SessionSnapshot | null>(null);
  status = $state<ConnectionStatus>('connecting');
  /** Why connecting failed, when it did. */
  error = $state<ProtocolError | null>(null);
  /** Answers sent but not yet acknowledged, by factor; they win over the snapshot until then, in their own round only. */
  pending = $state<Record<number, PendingAnswer>>({});
  /** Factors whose last comment the server refused for the round's comment budget (`comments_full`): the voting form says so there. */
  commentRefused = $state<Record<number, { round: number; by: 'participant' | 'session' }>>({});
  /** Links this connection may show (join; facilitator and presenter for the facilitator), built by the server. */
  links = $state<SessionLinks | null>(null);
  /** Server clock minus this device's clock, in ms (measured on each connect); countdowns use it. */
  clockOffset = $state(0);
  /**
   * Set when a new round started (`dropped`: answers of the old round that were
   * still unsent and are now dropped), or when answers made offline could not
   * be saved because voting had closed meanwhile.
   */
  roundNotice = $state<{ reason: 'round' | 'closed'; round: number; dropped: number } | null>(null);
  /**
   * Changes refused as too late (voting closed, or a new round began), with what
   * was typed; shown on every stage and kept in local storage until dismissed.
   */
  lost = $state<LostChange[]>([]);
  private readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  // Listeners, not state.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly stateListeners = new Set<(snapshot: SessionSnapshot) => void>();

  /** Called with every fresh snapshot (each (re)connect): the board resends its pending commands then. */
  onState(listener: (snapshot: SessionSnapshot) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  get connected(): boolean {
    return this.socket.connected;
  }
  // Timers, not state: nothing is drawn from them.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly commentTimers = new Map<number, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly code: string,
    /** Null: a signed-in facilitator without the session's key, authenticated by the account cookie (issue 24). */
    private readonly token: string | null
  ) {
    // What this person typed before a reload and the server never acknowledged.
    this.pending = loadPending(code, token ?? 'account');
    this.lost = loadLost(code, token ?? 'account');
    this.socket = io({
      path: SOCKET_PATH,
      transports: ['websocket', 'polling'],
      auth: token ? { code, token, protocolVersion: PROTOCOL_VERSION } : { code, protocolVersion: PROTOCOL_VERSION },
      // The code in the URL too (not the token): with several instances, the request goes to the one holding the session.
      query: { code },
      reconnectionDelayMax: 5000
    });
    const s = this.socket;
    s.on('connect', () => {
      this.reconnects.succeeded();
      this.status = 'online';
      this.error = null;
      void this.syncClock();
    });
    s.on('disconnect', (reason) => {
      if (this.status === 'removed' || this.status === 'deleted') return;
      this.status = 'offline';
      // The server closed us on purpose (e.g. removed); socket.io would not retry by itself.
      if (reason === 'io server disconnect') s.connect();
    });
    s.on('connect_error', (error) => {
      const data = (error as Error & { data?: unknown }).data;
      if (isProtocolError(data) && data.code === 'store_unavailable') {
        // "Try again in a moment": the database is briefly away, or (several instances) the session is moving between
        // them. socket.io does not retry a refused handshake itself; a new connection is routed afresh.
        this.status = this.snapshot ? 'offline' : 'connecting';
        s.disconnect();
        this.retryLater();
      } else if (isProtocolError(data)) {
        this.error = data;
        // A refused token or unknown session will not get better by retrying.
        this.status = 'failed';
        s.disconnect();
      } else if (this.status !== 'failed') {
        this.status = this.snapshot ? 'offline' : 'connecting';
      }
    });
    s.on('links', (links) => (this.links = links));
    s.on('state', (snapshot) => {
      if (!this.clockSynced) this.clockOffset = snapshot.serverNow - Date.now();
      if (this.snapshot && snapshot.round !== this.snapshot.round) this.roundChanged(snapshot.round);
      this.snapshot = snapshot;
      this.resendPending();
      for (const listener of this.stateListeners) listener(snapshot);
    });
    s.on('phase', (change) => {
      // A comment still waiting for a pause in typing goes now: if voting just closed, its author learns it at once.
      if (change.phase !== 'voting') for (const factor of [...this.commentTimers.keys()]) this.flushComment(factor);
      this.patch((snap) => {
        if (change.round !== snap.round) {
          this.roundChanged(change.round);
          // The server holds an empty ballot for the new round: so must every screen of this person.
          if (snap.myBallot) snap.myBallot = {};
        }
        Object.assign(snap, change);
        // The server forgets the factor on screen with every phase change.
        snap.presentedFactor = null;
      });
    });
    s.on('presented', ({ factor }) => this.patch((snap) => (snap.presentedFactor = factor)));
    s.on('arrivals', (names) => this.patch((snap) => (snap.arrivals = names)));
    s.on('ballot', (echo) =>
      this.patch((snap) => {
        // An answer given on another tab or device of this person; only for the round on screen.
        if (echo.round === snap.round && snap.myBallot) snap.myBallot[echo.factor] = { answer: echo.answer, comment: echo.comment };
      })
    );
    s.on('progress', (progress) => this.patch((snap) => (snap.progress = progress)));
    s.on('participantCount', (count) => this.patch((snap) => (snap.participantCount = count)));
    s.on('participant', (view) => this.patch((snap) => upsertParticipants(snap, [view])));
    s.on('participants', (views) => this.patch((snap) => upsertParticipants(snap, views)));
    s.on('participant:removed', ({ id }) => this.patch((snap) => snap.participants && (snap.participants = snap.participants.filter((p) => p.id !== id))));
    s.on('results', (results) => this.patch((snap) => (snap.results = results)));
    s.on('settings', (settings) => this.patch((snap) => (snap.settings = settings)));
    s.on('dots', (own) => this.patch((snap) => (snap.dots = { ...snap.dots, ...own })));
    s.on('dotTotals', (totals) => this.patch((snap) => (snap.dots = { ...snap.dots, totals })));
    s.on('actions', (changed) => this.patch((snap) => upsertActions(snap, changed)));
    s.on('review', (items) =>
      this.patch((snap) => {
        if (!snap.review) return;
        snap.review = snap.review.map((i) => items.find((changed) => changed.key === i.key) ?? i);
      })
    );
    s.on('comments:hidden', (hidden) => this.patch((snap) => (snap.hiddenComments = hidden)));
    s.on('removed', () => {
      this.status = 'removed';
      s.disconnect();
    });
    s.on('session:deleted', () => {
      this.status = 'deleted';
      s.disconnect();
    });
  }

  private readonly reconnects = new Backoff(500, 5000);

  /** Connects again after a pause. */
  private retryLater(): void {
    this.reconnects.schedule(() => {
      if (this.status === 'offline' || this.status === 'connecting') this.socket.connect();
    });
  }

  private readonly resends = new Backoff(1000, 10_000);

  /** Sends the pending answers again after a pause. */
  private resendLater(): void {
    this.resends.schedule(() => {
      // Offline, the next snapshot (on reconnect) resends them instead.
      if (this.socket.connected) this.resendPending();
    });
  }

  private patch(change: (snapshot: SessionSnapshot) => void): void {
    if (this.snapshot) change(this.snapshot);
  }

  private clockSynced = false;

  /**
   * Estimates the offset to the server's clock like NTP: of three round trips,
   * the one with the shortest delay, assuming the server answered halfway.
   */
  private async syncClock(): Promise<void> {
    let best: { rtt: number; offset: number } | null = null;
    for (let i = 0; i < 3; i++) {
      const sent = Date.now();
      const result = await this.send('clock:sync', {});
      const received = Date.now();
      if (!result.ok) return;
      const rtt = received - sent;
      if (!best || rtt < best.rtt) best = { rtt, offset: result.data.serverNow - (sent + received) / 2 };
    }
    if (best) {
      this.clockOffset = Math.round(best.offset);
      this.clockSynced = true;
    }
  }

  /** The server's clock now, as well as this device can tell (epoch ms). */
  serverNow(): number {
    return Date.now() + this.clockOffset;
  }

  /** A new round opened: answers of the old round are neither shown nor sent. */
  private roundChanged(round: number): void {
    let dropped = 0;
    for (const [factor, answer] of Object.entries(this.pending)) {
      if (answer.round !== round) {
        this.setPending(Number(factor), null);
        this.lose(Number(factor), answer, 'round');
        dropped++;
      }
    }
    this.roundNotice = { reason: 'round', round, dropped };
  }

  /** Sends a command and waits for its acknowledgement (or a timeout, reported as a network error). */
  async send<C extends CommandName>(name: C, payload: CommandPayload<C>, timeoutMs = ACK_TIMEOUT_MS): Promise<Ack<AckData<C>>> {
    try {
      const withTimeout = this.socket.timeout(timeoutMs);
      const emit = withTimeout.emitWithAck as unknown as (event: C, payload: CommandPayload<C>) => Promise<Ack<AckData<C>>>;
      return await emit.call(withTimeout, name, payload);
    } catch {
      return { ok: false, error: { code: 'internal', message: 'network' } };
    }
  }

  /** Which comment budget refused a factor's last comment (`comments_full`, its detail), or null. */
  commentRefusedBy(factor: number): 'participant' | 'session' | null {
    const refused = this.commentRefused[factor];
    // A new round has a budget of its own: an earlier round's refusal no longer applies.
    return refused && refused.round === this.snapshot?.round ? refused.by : null;
  }

  /** The participant's answer to a factor in the round on screen: pending first, then what the server has. */
  answerOf(factor: number): OwnAnswer | null {
    const round = this.snapshot?.round;
    const pending = this.pending[factor];
    if (pending && pending.round === round) return { answer: pending.answer, comment: pending.comment };
    return this.snapshot?.myBallot?.[factor] ?? null;
  }

  /**
   * Records an answer optimistically and sends it for the round on screen;
   * kept pending until acknowledged, even across reconnects, but never sent
   * into another round (the server refuses that with `wrong_round`).
   */
  async vote(factor: number, answer: Answer, comment?: string | null, round = this.snapshot?.round ?? 1): Promise<Ack<AckData<'vote'>>> {
    const current = this.answerOf(factor);
    const next: PendingAnswer = { answer, comment: comment === undefined ? (current?.comment ?? null) : comment, round };
    this.setPending(factor, next);
    this.cancelCommentTimer(factor);
    const result = await this.send('vote', { factor, answer, comment: next.comment, round });
    const waiting = this.pending[factor];
    // Only if no newer answer to this factor is waiting (state proxies the object, so compare values).
    const stillLatest = waiting?.answer === next.answer && waiting.comment === next.comment && waiting.round === next.round;
    if (result.ok) delete this.commentRefused[factor];
    else if (result.error.code === 'comments_full')
      this.commentRefused[factor] = { round, by: result.error.details?.[0] === 'session' ? 'session' : 'participant' };
    if (result.ok) {
      this.resends.succeeded();
      // The server stores the comment trimmed; show what it stored.
      if (this.snapshot?.myBallot && this.snapshot.round === round) this.snapshot.myBallot[factor] = { answer, comment: next.comment?.trim() || null };
      if (stillLatest) this.setPending(factor, null);
    } else if (RETRY_LATER.has(result.error.code)) {
      // "Try again in a moment" (the database briefly away, the session moving): nothing was stored, so the answer
      // stays pending and goes again shortly, as after a lost connection. Dropping it lost what was typed.
      if (stillLatest) this.resendLater();
    } else if (result.error.message !== 'network') {
      // Refused by the server (e.g. voting closed, or a new round began): drop the optimistic answer,
      // but never silently: a late one is kept, with its text, for the person to see and copy.
      if (stillLatest) {
        this.setPending(factor, null);
        if (TOO_LATE.has(result.error.code)) this.lose(factor, next, result.error.code === 'wrong_round' ? 'round' : 'closed');
      }
    }
    return result;
  }

  /**
   * A comment as it is being typed: kept pending (and in local storage) at once,
   * sent after a pause in typing. Needs an answer to the factor first.
   */
  draftComment(factor: number, text: string): void {
    const current = this.answerOf(factor);
    if (!current) return;
    const comment = text.trim() === '' ? null : text;
    if (comment === current.comment) return;
    this.setPending(factor, { answer: current.answer, comment, round: this.snapshot?.round ?? 1 });
    this.cancelCommentTimer(factor);
    this.commentTimers.set(
      factor,
      setTimeout(() => this.flushComment(factor), COMMENT_DEBOUNCE_MS)
    );
  }

  /** Sends a drafted comment now (e.g. when its field loses focus). */
  flushComment(factor: number): void {
    const timer = this.commentTimers.get(factor);
    if (!timer) return;
    this.cancelCommentTimer(factor);
    const waiting = this.pending[factor];
    if (waiting) void this.vote(factor, waiting.answer, waiting.comment, waiting.round);
  }

  /**
   * Spends (1) or takes back (-1) a dot. The server sends this connection no `dots` echo: the ack holds
   * the voter's own dots and the new total of that point (the other totals follow in `dotTotals`).
   */
  async castDot(actionId: string, delta: 1 | -1): Promise<Ack<AckData<'dot:cast'>>> {
    // Sent with the dots this page shows on the point (`from`), so it can be sent again when its answer does not come
    // (a connection that dropped before the page noticed): the server casts it once however often it arrives.
    const from = this.snapshot?.dots.mine[actionId] ?? 0;
    let result = await this.send('dot:cast', { actionId, delta, from }, DOT_ACK_TIMEOUT_MS);
    for (let attempt = 2; attempt <= DOT_ATTEMPTS && !result.ok && result.error.message === 'network'; attempt++) {
      result = await this.send('dot:cast', { actionId, delta, from }, DOT_ACK_TIMEOUT_MS);
    }
    if (result.ok)
      this.patch((snap) => {
        const totals = { ...snap.dots.totals };
        // Absent from the ack: no dots left on it, or totals hidden from this person (their map is empty anyway).
        if (actionId in result.data.totals) totals[actionId] = result.data.totals[actionId];
        else delete totals[actionId];
        snap.dots = { totals, mine: result.data.mine, remaining: result.data.remaining };
      });
    return result;
  }

  /** The facilitator hides a revealed comment from the room, or shows it again. */
  async hideComment(comment: HiddenComment, hidden: boolean): Promise<Ack<AckData<'comment:hide'>>> {
    const result = await this.send('comment:hide', { ...comment, hidden });
    if (result.ok) this.patch((snap) => (snap.hiddenComments = result.data));
    return result;
  }

  private cancelCommentTimer(factor: number): void {
    const timer = this.commentTimers.get(factor);
    if (timer) clearTimeout(timer);
    this.commentTimers.delete(factor);
  }

  private setPending(factor: number, answer: PendingAnswer | null): void {
    if (answer) this.pending[factor] = answer;
    else delete this.pending[factor];
    savePending(this.code, this.token ?? 'account', $state.snapshot(this.pending));
  }

  private resendPending(): void {
    const snapshot = this.snapshot;
    let dropped = 0;
    for (const [factor, answer] of Object.entries(this.pending)) {
      if (snapshot?.phase === 'voting' && answer.round === snapshot.round) void this.vote(Number(factor), answer.answer, answer.comment, answer.round);
      else {
        this.setPending(Number(factor), null);
        // Replayed into a closed phase or another round (offline, or a reload, meanwhile): kept to show, not dropped.
        if (!this.serverHas(Number(factor), answer)) {
          this.lose(Number(factor), answer, snapshot && snapshot.round !== answer.round && snapshot.phase === 'voting' ? 'round' : 'closed');
          dropped++;
        }
      }
    }
    if (dropped > 0 && snapshot) this.roundNotice = { reason: 'closed', round: snapshot.round, dropped };
  }

  /** Whether the server already holds this answer (its ack was lost on the way): then nothing is lost. */
  private serverHas(factor: number, answer: PendingAnswer): boolean {
    const stored = this.snapshot?.round === answer.round ? this.snapshot.myBallot?.[factor] : undefined;
    return !!stored && stored.answer === answer.answer && (stored.comment ?? null) === (answer.comment?.trim() || null);
  }

  /** Keeps a change the server refused as too late (one per factor and round: the newest wins). */
  private lose(factor: number, answer: PendingAnswer, reason: LostChange['reason']): void {
    const stored = this.snapshot?.round === answer.round ? this.snapshot.myBallot?.[factor] : undefined;
    const comment = answer.comment?.trim() || null;
    const scoreLost = !stored || stored.answer !== answer.answer;
    const commentLost = stored ? (stored.comment ?? null) !== comment : comment !== null;
    // The server holds exactly this already: nothing was lost.
    if (!scoreLost && !commentLost) return;
    const kind: LostChange['kind'] = scoreLost && commentLost ? 'both' : commentLost ? 'comment' : 'score';
    const entry: LostChange = { factor, answer: answer.answer, comment, round: answer.round, kind, reason };
    this.lost = [...this.lost.filter((l) => !(l.factor === factor && l.round === answer.round)), entry];
    saveLost(this.code, this.token ?? 'account', $state.snapshot(this.lost));
  }

  /** The person has seen (and perhaps copied) a lost change: forget it here and in local storage. */
  dismissLost(entry: LostChange): void {
    this.lost = this.lost.filter((l) => !(l.factor === entry.factor && l.round === entry.round));
    saveLost(this.code, this.token ?? 'account', $state.snapshot(this.lost));
  }

  /** Carries a lost change into the round now open (the form shows it as this round's answer), then forgets it. */
  async reuseLost(entry: LostChange): Promise<void> {
    const snapshot = this.snapshot;
    if (snapshot?.phase !== 'voting' || snapshot.votingClosed) return;
    this.dismissLost(entry);
    const current = this.answerOf(entry.factor);
    // The score of this round, if one was given already, stays; the lost comment joins it.
    await this.vote(
      entry.factor,
      entry.kind === 'comment' && current ? current.answer : entry.answer,
      entry.comment ?? current?.comment ?? null,
      snapshot.round
    );
  }

  close(): void {
    this.reconnects.cancel();
    this.resends.cancel();
    for (const factor of [...this.commentTimers.keys()]) this.flushComment(factor);
    this.socket.removeAllListeners();
    this.socket.disconnect();
  }
}

/** Applies changed action points (by id; new ones are appended). */
function upsertActions(snapshot: SessionSnapshot, changed: ActionView[]): void {
  for (const view of changed) {
    const at = snapshot.actions.findIndex((a) => a.id === view.id);
    if (at < 0) snapshot.actions.push(view);
    else snapshot.actions[at] = view;
  }
}

/** Applies participant changes to the facilitator's list (by id; new ones are appended). */
function upsertParticipants(snapshot: SessionSnapshot, views: ParticipantView[]): void {
  if (!snapshot.participants) return;
  // A throwaway lookup for this call, not state: no reactivity needed.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  const index = new Map(snapshot.participants.map((p, i) => [p.id, i]));
  for (const view of views) {
    const at = index.get(view.id);
    if (at === undefined) {
      index.set(view.id, snapshot.participants.length);
      snapshot.participants.push(view);
    } else snapshot.participants[at] = view;
  }
}
