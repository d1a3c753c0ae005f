import type { Framework } from '../../src/lib/domain/framework';
import { canTransition, votingOpen, resultsVisible, type Phase } from '../../src/lib/domain/phases';
import { computeProgress, type Answer, type Progress } from '../../src/lib/domain/ballots';
import { computeRoundResults } from '../../src/lib/domain/results';
import {
  CommandError,
  LIMITS,
  PROTOCOL_VERSION,
  type DotState,
  type HiddenComment,
  type Me,
  type OwnAnswer,
  type ParticipantView,
  type PhaseChange,
  type RoundResults,
  type VotingClock,
  type SessionSettings,
  type SessionSnapshot,
  type SessionSummary,
  type VoteResult
} from '../../src/lib/protocol';
import { derivePresenterToken, generateId, generateToken, hashToken } from '../security/tokens';
import { distinctName } from '../../src/lib/domain/names';
import type { LoadedSession, ParticipantRecord, SessionRecord, Store } from '../store/types';
import type { RoomFanout } from './fanout';
import { DotLedger } from './dots';

function commentKey(c: HiddenComment): string {
  return `${c.round} ${c.factor} ${c.text}`;
}

interface LiveParticipant {
  record: ParticipantRecord;
  connections: number;
}

/**
 * Who a connection is, decided once when it authenticates. A presenter (the
 * room's projector, opened with the presenter link) sees what participants see
 * and can change nothing.
 */
export type Identity = { role: 'facilitator' } | { role: 'presenter' } | { role: 'participant'; participantId: string };

/** What the facilitator can do to the voting clock without revealing (`voting:control`). */
export type VotingControl = { action: 'extend'; seconds: number } | { action: 'pause' | 'resume' | 'clear' | 'close' | 'reopen' };

/** The identity that dot votes use for the facilitator. */
export const FACILITATOR_VOTER = 'facilitator';

/** How often participants (not the facilitator) get progress updates under load. */
const PARTICIPANT_PROGRESS_INTERVAL_MS = 1000;

/**
 * One live session: the authoritative state in memory, written through to the
 * store before anything is acknowledged. Every method validates by rule (phase,
 * role, limits) and throws a CommandError that becomes a typed ack.
 */
export class SessionRoom {
  private readonly participants = new Map<string, LiveParticipant>();
  private readonly participantByTokenHash = new Map<string, string>();
  /** round → participant → factor → answer */
  private readonly answers = new Map<number, Map<string, Map<number, OwnAnswer>>>();
  private readonly resultsCache = new Map<number, RoundResults>();
  /** Comments hidden from the room, keyed by `round factor text` (see commentKey). */
  private readonly hiddenComments = new Map<string, HiddenComment>();
  private readonly dots: DotLedger;
  private facilitatorConnections = 0;
  private presenterConnections = 0;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private progressScheduled = false;
  private participantProgressTimer: NodeJS.Timeout | null = null;
  private readonly dirtyParticipants = new Set<string>();
  /**
   * Running counts for the current round (answers per factor, participants who
   * answered everything), kept up to date on every change so progress costs
   * O(factors) per event-loop turn instead of O(participants × factors).
   */
  private counts = { perFactor: [] as number[], voted: 0 };
  private deleted = false;

  constructor(
    private session: SessionRecord,
    readonly framework: Framework,
    private readonly store: Store,
    private readonly fanout: RoomFanout,
    loaded: Omit<LoadedSession, 'session'>
  ) {
    for (const record of loaded.participants) this.addLive(record);
    for (const answer of loaded.answers) {
      if (!this.participants.has(answer.participantId)) continue;
      this.answerMap(answer.round, answer.participantId).set(answer.factor, { answer: answer.answer, comment: answer.comment });
    }
    for (const hidden of loaded.hiddenComments) this.hiddenComments.set(commentKey(hidden), hidden);
    this.dots = new DotLedger(loaded.dots);
    this.recount();
    this.armDeadline();
  }

  get id(): string {
    return this.session.id;
  }
  get code(): string {
    return this.session.code;
  }
  get phase(): Phase {
    return this.session.phase;
  }
  get isDeleted(): boolean {
    return this.deleted;
  }
  get record(): Readonly<SessionRecord> {
    return this.session;
  }
  get factorCount(): number {
    return this.framework.factors.length;
  }
  get connectionCount(): number {
    let total = this.facilitatorConnections + this.presenterConnections;
    for (const p of this.participants.values()) total += p.connections;
    return total;
  }

  private addLive(record: ParticipantRecord): void {
    this.participants.set(record.id, { record, connections: 0 });
    this.participantByTokenHash.set(record.tokenHash, record.id);
  }

  private answerMap(round: number, participantId: string): Map<number, OwnAnswer> {
    let byParticipant = this.answers.get(round);
    if (!byParticipant) this.answers.set(round, (byParticipant = new Map()));
    let map = byParticipant.get(participantId);
    if (!map) byParticipant.set(participantId, (map = new Map()));
    return map;
  }

  private answeredCount(participantId: string): number {
    return this.answers.get(this.session.round)?.get(participantId)?.size ?? 0;
  }

  /** Decides who holds `token`, or null. */
  authenticate(token: string): Identity | null {
    const hash = hashToken(token);
    if (hash === this.session.facilitatorTokenHash) {
      this.rememberPresenterCredential(token);
      return { role: 'facilitator' };
    }
    if (this.session.presenterTokenHash !== null && hash === this.session.presenterTokenHash) return { role: 'presenter' };
    const participantId = this.participantByTokenHash.get(hash);
    return participantId ? { role: 'participant', participantId } : null;
  }

  /** Sessions created before presenter links learn their presenter credential the first time the facilitator connects. */
  private rememberPresenterCredential(facilitatorToken: string): void {
    if (this.session.presenterTokenHash !== null) return;
    const presenterTokenHash = hashToken(derivePresenterToken(facilitatorToken));
    this.session = { ...this.session, presenterTokenHash };
    this.store.updateSession(this.id, { presenterTokenHash }).catch((error) => console.error('Storing a presenter credential failed', error));
  }

  /** The voting clock as clients should show it, stamped with the server's time. */
  private clock(): VotingClock {
    const { votingDeadline, votingPausedMs, votingClosed } = this.session;
    return { votingDeadline, votingPausedMs, votingClosed, serverNow: Date.now() };
  }

  private phaseChange(): PhaseChange {
    return { phase: this.session.phase, round: this.session.round, ...this.clock() };
  }

  /** Open connections (socket.io and board) of one identity; all presenter screens of the session count as one. */
  connectionsOf(identity: Identity): number {
    if (identity.role === 'facilitator') return this.facilitatorConnections;
    if (identity.role === 'presenter') return this.presenterConnections;
    return this.participants.get(identity.participantId)?.connections ?? 0;
  }

  /** Whether a facilitator token belongs to this session (for REST exports). */
  isFacilitatorToken(token: string): boolean {
    return hashToken(token) === this.session.facilitatorTokenHash;
  }

  summary(): SessionSummary {
    const { code, title, phase, language, framework, anonymous } = this.session;
    return { code, title, phase, language, framework, anonymous, participants: this.participants.size };
  }

  /** Adds a participant; the token it returns lets them rejoin as the same person. */
  async join(
    input: { name: string; group: string | null; language: ParticipantRecord['language'] },
    maxParticipants: number
  ): Promise<{ participant: ParticipantRecord; token: string }> {
    this.assertAlive();
    if (this.session.phase === 'closed') throw new CommandError('session_closed', 'This session is closed; it can no longer be joined.');
    if (this.participants.size >= maxParticipants) throw new CommandError('session_full', `This session is full (${maxParticipants} participants).`);
    if (input.group !== null && !this.framework.stakeholderGroups.some((g) => g.id === input.group)) {
      throw new CommandError('bad_request', `Unknown group "${input.group}".`, [
        `group: must be one of ${this.framework.stakeholderGroups.map((g) => g.id).join(', ')}`
      ]);
    }
    const token = generateToken();
    const participant: ParticipantRecord = {
      id: generateId(),
      sessionId: this.session.id,
      tokenHash: hashToken(token),
      // Two people who both call themselves "Sam" must stay apart in every list, result and export.
      name: distinctName(
        input.name,
        [...this.participants.values()].map((p) => p.record.name)
      ),
      group: input.group,
      language: input.language,
      joinedAt: Date.now()
    };
    this.addLive(participant);
    await this.store.addParticipant(participant);
    this.fanout.toFacilitators(this.code, 'participant', this.participantView(participant.id)!);
    this.fanout.toAll(this.code, 'participantCount', this.participants.size);
    this.scheduleProgress();
    return { participant, token };
  }

  /** Presence: a connection of `identity` opened. */
  connected(identity: Identity): void {
    if (identity.role === 'presenter') {
      this.presenterConnections++;
      return;
    }
    if (identity.role === 'facilitator') {
      this.facilitatorConnections++;
      return;
    }
    const live = this.participants.get(identity.participantId);
    if (!live) return;
    live.connections++;
    if (live.connections === 1) this.fanout.toFacilitators(this.code, 'participant', this.participantView(live.record.id)!);
  }

  /** Presence: a connection of `identity` closed. */
  disconnected(identity: Identity): void {
    if (identity.role === 'presenter') {
      this.presenterConnections = Math.max(0, this.presenterConnections - 1);
      return;
    }
    if (identity.role === 'facilitator') {
      this.facilitatorConnections = Math.max(0, this.facilitatorConnections - 1);
      return;
    }
    const live = this.participants.get(identity.participantId);
    if (!live) return;
    live.connections = Math.max(0, live.connections - 1);
    if (live.connections === 0) this.fanout.toFacilitators(this.code, 'participant', this.participantView(live.record.id)!);
  }

  hasParticipant(participantId: string): boolean {
    return this.participants.has(participantId);
  }

  participantView(participantId: string): ParticipantView | null {
    const live = this.participants.get(participantId);
    if (!live) return null;
    const { id, name, group, joinedAt } = live.record;
    return { id, name, group, joinedAt, connected: live.connections > 0, answered: this.answeredCount(id) };
  }

  progress(): Progress {
    return { voted: this.counts.voted, total: this.participants.size, perFactor: [...this.counts.perFactor] };
  }

  /** Recomputes the running counts from scratch (on load and when the round changes). */
  private recount(): void {
    const current = this.answers.get(this.session.round);
    const { voted, perFactor } = computeProgress(this.participants.keys(), (id) => current?.get(id)?.keys() ?? [], this.factorCount);
    this.counts = { voted, perFactor };
  }

  settings(): SessionSettings {
    return this.session.settings;
  }

  /** Results of every revealed round, oldest first. */
  results(): RoundResults[] {
    return this.session.revealedRounds.map((round) => {
      let cached = this.resultsCache.get(round);
      if (!cached) {
        const byParticipant = this.answers.get(round);
        const comments = [...(byParticipant?.values() ?? [])].flatMap((answers) =>
          [...answers].flatMap(([factor, a]) => (a.comment ? [{ factor, text: a.comment }] : []))
        );
        cached = computeRoundResults({
          comments,
          hidden: (factor, text) => this.hiddenComments.has(commentKey({ round, factor, text })),
          round,
          factorCount: this.factorCount,
          thresholds: this.session.settings,
          anonymous: this.session.anonymous,
          voters: [...this.participants.values()].map(({ record }) => ({
            id: record.id,
            name: record.name,
            group: record.group,
            answers: new Map([...(byParticipant?.get(record.id) ?? new Map<number, OwnAnswer>())].map(([f, a]) => [f, a.answer]))
          }))
        });
        this.resultsCache.set(round, cached);
      }
      return cached;
    });
  }

  /**
   * Ballots of revealed rounds for the CSV export: pseudonyms ordered by random
   * id (not join order) in anonymous sessions, names in named ones.
   */
  revealedBallots(): { voter: string; round: number; answers: (Answer | null)[] }[] {
    const people = [...this.participants.values()].map((p) => p.record).sort((a, b) => a.id.localeCompare(b.id));
    const rows: { voter: string; round: number; answers: (Answer | null)[] }[] = [];
    for (const round of this.session.revealedRounds) {
      const byParticipant = this.answers.get(round);
      people.forEach((person, index) => {
        const answers = byParticipant?.get(person.id);
        if (!answers || answers.size === 0) return;
        rows.push({
          voter: this.session.anonymous ? `V${index + 1}` : person.name,
          round,
          answers: Array.from({ length: this.factorCount }, (_, i) => answers.get(i + 1)?.answer ?? null)
        });
      });
    }
    return rows;
  }

  dotState(voterId: string): DotState {
    return this.dots.stateFor(voterId, this.session.settings.dotsPerPerson);
  }

  /** What `identity` may see of the session right now. */
  snapshot(identity: Identity): SessionSnapshot {
    const s = this.session;
    const me: Me =
      identity.role !== 'participant'
        ? { role: identity.role }
        : (() => {
            const record = this.participants.get(identity.participantId)!.record;
            return { role: 'participant', id: record.id, name: record.name, group: record.group };
          })();
    const own = identity.role === 'participant' ? this.answers.get(s.round)?.get(identity.participantId) : undefined;
    return {
      protocolVersion: PROTOCOL_VERSION,
      code: s.code,
      title: s.title,
      language: s.language,
      framework: s.framework,
      anonymous: s.anonymous,
      phase: s.phase,
      round: s.round,
      ...this.clock(),
      settings: s.settings,
      me,
      participantCount: this.participants.size,
      participants: identity.role === 'facilitator' ? [...this.participants.keys()].map((id) => this.participantView(id)!) : null,
      progress: this.progress(),
      myBallot: identity.role === 'participant' ? Object.fromEntries(own ?? []) : null,
      results: resultsVisible(s.phase) ? this.results() : [],
      hiddenComments: identity.role === 'facilitator' ? [...this.hiddenComments.values()] : null,
      dots: this.dotState(identity.role === 'participant' ? identity.participantId : FACILITATOR_VOTER)
    };
  }

  /**
   * A participant answers one factor of `forRound` (the current round when
   * omitted); resolves once the answer is durable, and echoes it to every
   * connection of theirs (a second tab shows it too).
   */
  async vote(identity: Identity, factor: number, answer: Answer, comment: string | null | undefined, forRound?: number): Promise<VoteResult> {
    this.assertAlive();
    if (identity.role !== 'participant') throw new CommandError('forbidden', 'Only participants vote.');
    if (!votingOpen(this.session.phase)) throw new CommandError('wrong_phase', `Voting is not open (the session is in "${this.session.phase}").`);
    if (forRound !== undefined && forRound !== this.session.round) {
      throw new CommandError('wrong_round', `That answer was for round ${forRound}; voting is now in round ${this.session.round}.`);
    }
    if (this.session.votingClosed) throw new CommandError('voting_closed', 'The facilitator has closed voting for now.');
    if (factor < 1 || factor > this.factorCount) throw new CommandError('not_found', `There is no factor ${factor}.`);
    if (!this.participants.has(identity.participantId)) throw new CommandError('forbidden', 'You are no longer in this session.');
    const round = this.session.round;
    const map = this.answerMap(round, identity.participantId);
    const previous = map.get(factor);
    const nextComment = comment === undefined ? (previous?.comment ?? null) : comment === null || comment.trim() === '' ? null : comment.trim();
    map.set(factor, { answer, comment: nextComment });
    if (!previous) {
      this.counts.perFactor[factor - 1]++;
      if (map.size === this.factorCount) this.counts.voted++;
    }
    const write = this.store.saveAnswer({ sessionId: this.id, round, participantId: identity.participantId, factor, answer, comment: nextComment });
    this.dirtyParticipants.add(identity.participantId);
    this.scheduleProgress();
    await write;
    this.fanout.toParticipant(this.code, identity.participantId, 'ballot', { round, factor, answer, comment: nextComment });
    return { factor, answered: map.size };
  }

  /**
   * The facilitator hides a revealed comment from the room, or shows it again.
   * Resolves with the comments hidden now, once that is durable.
   */
  async hideComment(identity: Identity, comment: HiddenComment, hidden: boolean): Promise<HiddenComment[]> {
    this.assertAlive();
    if (identity.role !== 'facilitator') throw new CommandError('forbidden', 'Only the facilitator hides comments.');
    if (this.session.phase === 'closed') throw new CommandError('session_closed', 'This session is closed.');
    if (!resultsVisible(this.session.phase) || !this.session.revealedRounds.includes(comment.round)) {
      throw new CommandError('wrong_phase', 'Comments can be hidden only after their round was revealed.');
    }
    const exists = [...(this.answers.get(comment.round)?.values() ?? [])].some((answers) => answers.get(comment.factor)?.comment === comment.text);
    if (!exists) throw new CommandError('not_found', 'There is no such comment in that round.');
    const key = commentKey(comment);
    const clean = { round: comment.round, factor: comment.factor, text: comment.text };
    if (hidden) this.hiddenComments.set(key, clean);
    else this.hiddenComments.delete(key);
    this.resultsCache.delete(comment.round);
    const write = this.store.setCommentHidden(this.id, clean, hidden);
    const list = [...this.hiddenComments.values()];
    this.fanout.toAll(this.code, 'results', this.results());
    this.fanout.toFacilitators(this.code, 'comments:hidden', list);
    await write;
    return list;
  }

  /** The facilitator moves the session on; resolves once the new phase is durable. */
  async setPhase(identity: Identity, to: Phase, countdownSeconds: number | null | undefined): Promise<PhaseChange> {
    this.assertAlive();
    if (identity.role !== 'facilitator') throw new CommandError('forbidden', 'Only the facilitator changes the phase.');
    const from = this.session.phase;
    if (!canTransition(from, to)) throw new CommandError('invalid_transition', `The session cannot go from "${from}" to "${to}".`);
    if (countdownSeconds && to !== 'voting') throw new CommandError('bad_request', 'A countdown only applies when opening voting.');
    const next = { ...this.session, phase: to, votingClosed: false, votingPausedMs: null };
    if (to === 'voting') {
      next.round = from === 'lobby' ? Math.max(1, this.session.round) : this.session.round + 1;
      next.votingDeadline = countdownSeconds ? Date.now() + countdownSeconds * 1000 : null;
    } else {
      next.votingDeadline = null;
    }
    if (to === 'revealed' && !next.revealedRounds.includes(next.round)) next.revealedRounds = [...next.revealedRounds, next.round];
    const roundChanged = next.round !== this.session.round;
    this.session = next;
    if (roundChanged) this.recount();
    const write = this.store.updateSession(this.id, {
      phase: next.phase,
      round: next.round,
      votingDeadline: next.votingDeadline,
      votingClosed: false,
      votingPausedMs: null,
      revealedRounds: next.revealedRounds
    });
    this.armDeadline();
    const change = this.phaseChange();
    this.fanout.toAll(this.code, 'phase', change);
    if (to === 'revealed') this.fanout.toAll(this.code, 'results', this.results());
    if (to === 'voting') this.scheduleProgress();
    // Per-person counts belong to a round: the facilitator's list starts again from what the new round holds.
    if (roundChanged)
      this.fanout.toFacilitators(
        this.code,
        'participants',
        [...this.participants.keys()].map((id) => this.participantView(id)!)
      );
    await write;
    return change;
  }

  /**
   * The facilitator steers the voting clock without revealing. The countdown
   * ends by closing the ballot box, as its label says; revealing stays a
   * separate, deliberate step.
   */
  async controlVoting(identity: Identity, control: VotingControl): Promise<PhaseChange> {
    this.assertAlive();
    if (identity.role !== 'facilitator') throw new CommandError('forbidden', 'Only the facilitator steers voting.');
    if (this.session.phase !== 'voting') throw new CommandError('wrong_phase', 'Voting is not open.');
    const now = Date.now();
    const s = this.session;
    const remaining = s.votingPausedMs ?? (s.votingDeadline !== null ? Math.max(0, s.votingDeadline - now) : null);
    let patch: Pick<SessionRecord, 'votingDeadline' | 'votingPausedMs' | 'votingClosed'>;
    switch (control.action) {
      case 'extend': {
        const base = s.votingClosed || remaining === null ? 0 : remaining;
        const total = Math.min(base + control.seconds * 1000, LIMITS.countdownMax * 1000);
        patch =
          s.votingPausedMs !== null
            ? { votingDeadline: null, votingPausedMs: total, votingClosed: false }
            : { votingDeadline: now + total, votingPausedMs: null, votingClosed: false };
        break;
      }
      case 'pause':
        if (s.votingDeadline === null) throw new CommandError('bad_request', 'There is no running countdown to pause.');
        patch = { votingDeadline: null, votingPausedMs: remaining, votingClosed: s.votingClosed };
        break;
      case 'resume':
        if (s.votingPausedMs === null) throw new CommandError('bad_request', 'The countdown is not paused.');
        patch = { votingDeadline: now + s.votingPausedMs, votingPausedMs: null, votingClosed: s.votingClosed };
        break;
      case 'clear':
        patch = { votingDeadline: null, votingPausedMs: null, votingClosed: s.votingClosed };
        break;
      case 'close':
        patch = { votingDeadline: null, votingPausedMs: null, votingClosed: true };
        break;
      case 'reopen':
        patch = { votingDeadline: null, votingPausedMs: null, votingClosed: false };
        break;
      default: {
        const unreachable: never = control;
        throw new CommandError('bad_request', `Unknown voting control ${String(unreachable)}`);
      }
    }
    return this.applyClock(patch);
  }

  private async applyClock(patch: Pick<SessionRecord, 'votingDeadline' | 'votingPausedMs' | 'votingClosed'>): Promise<PhaseChange> {
    this.session = { ...this.session, ...patch };
    const write = this.store.updateSession(this.id, patch);
    this.armDeadline();
    const change = this.phaseChange();
    this.fanout.toAll(this.code, 'phase', change);
    await write;
    return change;
  }

  private armDeadline(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    const deadline = this.session.votingDeadline;
    if (this.session.phase !== 'voting' || deadline === null) return;
    // setTimeout's limit is ~24.8 days; countdowns are at most an hour.
    this.deadlineTimer = setTimeout(
      () => {
        if (this.session.phase === 'voting' && this.session.votingDeadline === deadline) {
          this.applyClock({ votingDeadline: null, votingPausedMs: null, votingClosed: true }).catch((error) =>
            console.error('Closing voting at its deadline failed', error)
          );
        }
      },
      Math.max(0, deadline - Date.now())
    );
    this.deadlineTimer.unref();
  }

  async updateSettings(identity: Identity, patch: Partial<SessionSettings>): Promise<SessionSettings> {
    this.assertAlive();
    if (identity.role !== 'facilitator') throw new CommandError('forbidden', 'Only the facilitator changes settings.');
    if (this.session.phase === 'closed') throw new CommandError('session_closed', 'This session is closed.');
    const settings = { ...this.session.settings, ...patch };
    if (settings.dotsPerPerson < this.dots.maxSpentByAnyone()) {
      throw new CommandError('bad_request', 'Someone has already spent more dots than that; ask them to take some back first.');
    }
    this.session = { ...this.session, settings };
    this.resultsCache.clear();
    const write = this.store.updateSession(this.id, { settings });
    this.fanout.toAll(this.code, 'settings', settings);
    if (resultsVisible(this.session.phase)) this.fanout.toAll(this.code, 'results', this.results());
    this.broadcastDots();
    await write;
    return settings;
  }

  /** The facilitator removes a participant; their answers go with them. */
  async removeParticipant(identity: Identity, participantId: string): Promise<void> {
    this.assertAlive();
    if (identity.role !== 'facilitator') throw new CommandError('forbidden', 'Only the facilitator removes participants.');
    const live = this.participants.get(participantId);
    if (!live) throw new CommandError('not_found', 'No such participant in this session.');
    const current = this.answers.get(this.session.round)?.get(participantId);
    for (const factor of current?.keys() ?? []) this.counts.perFactor[factor - 1]--;
    if (current?.size === this.factorCount) this.counts.voted--;
    this.participants.delete(participantId);
    this.participantByTokenHash.delete(live.record.tokenHash);
    for (const byParticipant of this.answers.values()) byParticipant.delete(participantId);
    this.resultsCache.clear();
    this.dots.removeVoter(participantId);
    const write = this.store.removeParticipant(this.id, participantId);
    this.fanout.toParticipant(this.code, participantId, 'removed');
    this.fanout.disconnectParticipant(this.code, participantId);
    this.fanout.toFacilitators(this.code, 'participant:removed', { id: participantId });
    this.fanout.toAll(this.code, 'participantCount', this.participants.size);
    if (resultsVisible(this.session.phase)) this.fanout.toAll(this.code, 'results', this.results());
    this.broadcastDots();
    this.scheduleProgress();
    await write;
  }

  /** Spends or takes back a dot; nobody exceeds their dots. */
  async castDot(identity: Identity, actionId: string, delta: 1 | -1, actionExists: boolean): Promise<DotState> {
    this.assertAlive();
    if (identity.role === 'presenter') throw new CommandError('forbidden', 'The presenter screen cannot spend dots.');
    if (this.session.phase !== 'actions') throw new CommandError('wrong_phase', 'Dots can be spent only while drafting actions.');
    if (!actionExists && delta > 0) throw new CommandError('not_found', 'That action point does not exist (any more).');
    const voter = identity.role === 'facilitator' ? FACILITATOR_VOTER : identity.participantId;
    const count = this.dots.apply(voter, actionId, delta, this.session.settings.dotsPerPerson);
    const write = this.store.setDots(this.id, voter, actionId, count);
    this.broadcastDots();
    await write;
    return this.dotState(voter);
  }

  /** Moves all dots from one action to another (merging duplicates) or drops them (removal). */
  async moveDots(fromActionId: string, toActionId: string | null): Promise<void> {
    const writes = this.dots.moveAction(fromActionId, toActionId).map((c) => this.store.setDots(this.id, c.voterId, c.actionId, c.count));
    this.broadcastDots();
    await Promise.all(writes);
  }

  /** Dot totals within the session, for exports. */
  dotTotals(): Record<string, number> {
    return this.dots.totals();
  }

  private broadcastDots(): void {
    const limit = this.session.settings.dotsPerPerson;
    this.fanout.toFacilitators(this.code, 'dots', this.dots.stateFor(FACILITATOR_VOTER, limit));
    this.fanout.toEachParticipant(this.code, 'dots', (participantId) => [this.dots.stateFor(participantId, limit)]);
  }

  /**
   * Coalesces progress: the facilitator hears once per event-loop turn (one
   * `progress` and one batched `participants` message, however many votes came
   * in); participants, who only show a count, at most once a second, since a
   * broadcast to a thousand sockets holds the server up for milliseconds.
   */
  private scheduleProgress(): void {
    if (!this.progressScheduled) {
      this.progressScheduled = true;
      setImmediate(() => {
        this.progressScheduled = false;
        if (this.deleted) return;
        const progress = this.progress();
        this.fanout.toFacilitators(this.code, 'progress', progress);
        const views = [...this.dirtyParticipants].map((id) => this.participantView(id)).filter((v): v is ParticipantView => v !== null);
        this.dirtyParticipants.clear();
        if (views.length > 0) this.fanout.toFacilitators(this.code, 'participants', views);
      });
    }
    if (!this.participantProgressTimer) {
      this.participantProgressTimer = setTimeout(() => {
        this.participantProgressTimer = null;
        if (!this.deleted) this.fanout.toParticipants(this.code, 'progress', this.progress());
      }, PARTICIPANT_PROGRESS_INTERVAL_MS);
      this.participantProgressTimer.unref();
    }
  }

  /** The facilitator deletes the session with all its data. */
  async delete(identity: Identity): Promise<void> {
    this.assertAlive();
    if (identity.role !== 'facilitator') throw new CommandError('forbidden', 'Only the facilitator deletes the session.');
    this.deleted = true;
    this.dispose();
    await this.store.deleteSession(this.id);
    this.fanout.toAll(this.code, 'session:deleted');
    // Let the facilitator's acknowledgement leave before the sockets close.
    setImmediate(() => this.fanout.disconnectAll(this.code));
  }

  /** The store purged this session: clients hear it was deleted, and the room refuses everything from now on. */
  evicted(): void {
    this.deleted = true;
    this.dispose();
    this.fanout.toAll(this.code, 'session:deleted');
    setImmediate(() => this.fanout.disconnectAll(this.code));
  }

  private assertAlive(): void {
    if (this.deleted) throw new CommandError('not_found', 'This session was deleted.');
  }

  /** Stops timers; the room can be dropped from memory. */
  dispose(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    if (this.participantProgressTimer) clearTimeout(this.participantProgressTimer);
    this.deadlineTimer = null;
    this.participantProgressTimer = null;
  }
}
