/**
 * Short-lived, single-use tickets for the Yjs endpoint, so no long-lived
 * token travels in a WebSocket URL (where proxies log it). A client asks for
 * one over its authenticated socket.io connection (`board:ticket`) and puts it
 * in the Yjs URL; the upgrade takes it, and with it the identity it was
 * issued to. Authentication is still decided once, at the upgrade.
 */
import { randomBytes } from 'node:crypto';
import { personKey, type Identity } from '../sessions/projections';

/** How long a ticket can wait for its upgrade. */
export const TICKET_TTL_MS = 30_000;
/** Unused tickets one person may hold in one session (each connection attempt takes one). */
const TICKETS_PER_PERSON = 8;

interface Ticket {
  sessionId: string;
  identity: Identity;
  expires: number;
}

export class TicketBook {
  private readonly tickets = new Map<string, Ticket>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new ticket for `identity` in `sessionId`; the person's oldest unused ticket goes beyond the cap. */
  issue(sessionId: string, identity: Identity): string {
    this.sweep();
    const person = personOf(sessionId, identity);
    const held = [...this.tickets].filter(([, t]) => personOf(t.sessionId, t.identity) === person);
    for (const [ticket] of held.slice(0, Math.max(0, held.length - TICKETS_PER_PERSON + 1))) this.tickets.delete(ticket);
    const ticket = randomBytes(32).toString('base64url');
    this.tickets.set(ticket, { sessionId, identity, expires: this.now() + TICKET_TTL_MS });
    return ticket;
  }

  /** Takes a ticket (once): its identity if it is valid for `sessionId`, otherwise null. */
  take(ticket: string, sessionId: string): Identity | null {
    const found = this.tickets.get(ticket);
    if (!found) return null;
    this.tickets.delete(ticket);
    if (found.expires < this.now() || found.sessionId !== sessionId) return null;
    return found.identity;
  }

  /** Forgets every ticket one co-facilitator's account holds in a session (their membership was removed). */
  revokeAccount(sessionId: string, accountId: string): void {
    for (const [ticket, t] of this.tickets)
      if (t.sessionId === sessionId && t.identity.role === 'facilitator' && t.identity.accountId === accountId) this.tickets.delete(ticket);
  }

  /** Forgets every ticket of a session (deleted) or of one participant (removed). */
  revoke(sessionId: string, participantId?: string): void {
    for (const [ticket, t] of this.tickets)
      if (t.sessionId === sessionId && (participantId === undefined || (t.identity.role === 'participant' && t.identity.participantId === participantId)))
        this.tickets.delete(ticket);
  }

  get size(): number {
    return this.tickets.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [ticket, t] of this.tickets) if (t.expires < now) this.tickets.delete(ticket);
  }
}

function personOf(sessionId: string, identity: Identity): string {
  return `${sessionId}:${personKey(identity)}`;
}
