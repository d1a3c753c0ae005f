import { personKey, type Identity } from './projections';

/** A board connection as presence sees it: something that can be closed. */
export interface Closable {
  close(code?: number, reason?: string): void;
}

const personOf = personKey;

/**
 * Who is connected to one session, over both transports (socket.io and the
 * board's WebSocket): the one place connections are counted. The live session
 * owns it and feeds it from both transports; the room reads `isConnected` for
 * the facilitator's list, the handshakes read `of` for the per-person cap, and
 * the registry reads `total` to unload an idle session. Board sockets are kept
 * per person as well, so a removed participant's can be closed.
 */
export class Presence {
  private readonly counts = new Map<string, number>();
  private readonly boards = new Map<string, Set<Closable>>();

  /** A connection of `identity` opened; true when it is the person's first. */
  opened(identity: Identity): boolean {
    const key = personOf(identity);
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return count === 1;
  }

  /** A connection of `identity` closed; true when it was the person's last. A person already forgotten is left alone. */
  closed(identity: Identity): boolean {
    const key = personOf(identity);
    const count = this.counts.get(key);
    if (count === undefined) return false;
    if (count > 1) {
      this.counts.set(key, count - 1);
      return false;
    }
    this.counts.delete(key);
    return true;
  }

  /** Open connections of one person, over both transports. */
  of(identity: Identity): number {
    return this.counts.get(personOf(identity)) ?? 0;
  }

  isConnected(participantId: string): boolean {
    return this.counts.has(`participant:${participantId}`);
  }

  /** Open connections of everyone, over both transports. */
  get total(): number {
    let total = 0;
    for (const count of this.counts.values()) total += count;
    return total;
  }

  /** Open board connections of everyone. */
  get boardConnections(): number {
    let total = 0;
    for (const sockets of this.boards.values()) total += sockets.size;
    return total;
  }

  addBoard(identity: Identity, socket: Closable): void {
    const key = personOf(identity);
    const sockets = this.boards.get(key) ?? new Set<Closable>();
    this.boards.set(key, sockets.add(socket));
  }

  removeBoard(identity: Identity, socket: Closable): void {
    const key = personOf(identity);
    const sockets = this.boards.get(key);
    if (!sockets) return;
    sockets.delete(socket);
    if (sockets.size === 0) this.boards.delete(key);
  }

  /** A removed participant: their board connections close with `code`, and they no longer count (their sockets' closes change nothing). */
  forget(participantId: string, code: number, reason: string): void {
    this.forgetPerson(`participant:${participantId}`, code, reason);
  }

  /** A removed co-facilitator (by their account): as `forget`. */
  forgetAccount(accountId: string, code: number, reason: string): void {
    this.forgetPerson(`account:${accountId}`, code, reason);
  }

  private forgetPerson(key: string, code: number, reason: string): void {
    const sockets = this.boards.get(key);
    this.boards.delete(key);
    this.counts.delete(key);
    for (const socket of sockets ?? []) socket.close(code, reason);
  }

  /** The board closed for everyone (the document was destroyed, which closed its sockets): only the counts remain, until each close arrives. */
  clearBoards(): void {
    this.boards.clear();
  }
}
