import { personKey, type Identity } from './projections';

const personOf = personKey;

/**
 * Who is connected to one session, over both transports (socket.io and the
 * board's WebSocket): the one place connections are counted. The live session
 * owns it and feeds it from both transports; the room reads `isConnected` for
 * the facilitator's list, the handshakes read `of` for the per-person cap, and
 * the registry reads `total` to unload an idle session. It counts and keeps no
 * sockets: a removed person's board connections are closed by the board
 * document, which holds them (BoardDocument.closePerson).
 */
export class Presence {
  private readonly counts = new Map<string, number>();

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

  /** A removed person (a participant, or a co-facilitator by their account): they no longer count, and their sockets' closes change nothing. */
  forget(identity: Identity): void {
    this.counts.delete(personOf(identity));
  }
}
