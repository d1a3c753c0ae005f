import { describe, expect, it } from 'vitest';
import { TICKET_TTL_MS, TicketBook } from '../../server/yjs/tickets';

describe('Yjs tickets', () => {
  it('are single use, bound to their session, expire, and can be revoked', () => {
    let now = 1_000;
    const book = new TicketBook(() => now);
    const alice = { role: 'participant', participantId: 'alice' } as const;
    const ticket = book.issue('s1', alice);
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(book.take(ticket, 's2')).toBeNull();
    // A ticket tried on the wrong session is spent too (no guessing which session it belongs to).
    expect(book.take(ticket, 's1')).toBeNull();
    const second = book.issue('s1', alice);
    expect(book.take(second, 's1')).toEqual(alice);
    expect(book.take(second, 's1')).toBeNull();
    const late = book.issue('s1', { role: 'facilitator' });
    now += TICKET_TTL_MS + 1;
    expect(book.take(late, 's1')).toBeNull();
    const revoked = book.issue('s1', alice);
    book.revoke('s1', 'alice');
    expect(book.take(revoked, 's1')).toBeNull();
  });

  it('keep at most a few unused tickets per person', () => {
    const book = new TicketBook();
    const alice = { role: 'participant', participantId: 'alice' } as const;
    const tickets = Array.from({ length: 100 }, () => book.issue('s1', alice));
    expect(book.size).toBeLessThanOrEqual(8);
    expect(book.take(tickets[99], 's1')).toEqual(alice);
    expect(book.take(tickets[0], 's1')).toBeNull();
  });
});
