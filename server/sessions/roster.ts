import { NameIndex } from '../../src/lib/domain/names';
import type { ParticipantRecord } from '../store/types';
import { generateId, generateToken, hashToken } from '../security/tokens';
import type { Member } from './projections';

/**
 * Who is in one session: its participants in join order, their names (kept
 * distinct) and the token each rejoins with. Memory only, and pure of I/O:
 * the room writes to the store first and then tells the roster. A join in
 * flight is reserved here (it counts against the limit and takes its name at
 * once) until the room settles it.
 */
export class Roster {
  readonly members = new Map<string, Member>();
  /** Members in join order (for arrivals: the latest few without sorting everyone on every join). */
  private joinOrder: Member[] = [];
  /** The keys of every name taken (members and joins in flight), kept on join and removal: a join compares O(1) names. */
  private readonly names = new NameIndex();
  private readonly memberByTokenHash = new Map<string, string>();
  /** Joins whose write is in flight: they count against the participant limit and for distinct names already. */
  private readonly joining = new Map<string, ParticipantRecord>();

  /** `named`: the name is in the index already (a join reserved it while its write was in flight). */
  add(record: ParticipantRecord, named = false): void {
    const member = { record };
    this.members.set(record.id, member);
    this.joinOrder.push(member);
    if (!named) this.names.add(record.name);
    this.memberByTokenHash.set(record.tokenHash, record.id);
  }

  /** The participant whose token hashes to `hash`, or undefined. */
  participantByTokenHash(hash: string): string | undefined {
    return this.memberByTokenHash.get(hash);
  }

  has(participantId: string): boolean {
    return this.members.has(participantId);
  }

  get(participantId: string): Member | undefined {
    return this.members.get(participantId);
  }

  /** Members and joins in flight: what the participant limit counts. */
  get taken(): number {
    return this.members.size + this.joining.size;
  }

  get size(): number {
    return this.members.size;
  }

  /** The latest `n` members to join, oldest first. */
  latest(n: number): Member[] {
    return this.joinOrder.slice(-n);
  }

  /**
   * A new participant's record and token, reserved until `settle`: taken from now on, so a join in flight counts
   * for distinct names already. Two people who both call themselves "Sam" must stay apart in every list, result and export.
   */
  reserve(
    sessionId: string,
    input: { name: string; group: string | null; language: ParticipantRecord['language'] }
  ): { participant: ParticipantRecord; token: string } {
    const token = generateToken();
    const participant: ParticipantRecord = {
      id: generateId(),
      sessionId,
      tokenHash: hashToken(token),
      name: this.names.distinct(input.name),
      group: input.group,
      language: input.language,
      joinedAt: Date.now()
    };
    this.joining.set(participant.id, participant);
    this.names.add(participant.name);
    return { participant, token };
  }

  /** A reserved join's write ended: stored, it becomes a member; refused, its name is free again. */
  settle(participant: ParticipantRecord, stored: boolean): void {
    this.joining.delete(participant.id);
    if (stored) this.add(participant, true);
    else this.names.remove(participant.name);
  }

  /** Forgets a member (their removal is stored); the join order is tidied once per batch by `compact`. */
  remove(participantId: string): Member | undefined {
    const live = this.members.get(participantId);
    if (!live) return undefined;
    this.members.delete(participantId);
    this.names.remove(live.record.name);
    this.memberByTokenHash.delete(live.record.tokenHash);
    return live;
  }

  /** Once per batch of removals (O(members)), however many left. */
  compact(): void {
    this.joinOrder = this.joinOrder.filter((m) => this.members.has(m.record.id));
  }
}
