/**
 * The community review owned once: two sessions of one community read one
 * book, so a decision recorded by one is what the other reads at once, and
 * its listener hears of it. No store: the book is memory the room feeds.
 */
import { describe, expect, it } from 'vitest';
import { CommunityReviews } from '../../server/communities/review-book';
import type { ReviewItem } from '../../src/lib/domain/review';

const item = (actionId: string): ReviewItem => ({
  key: `OLD234/${actionId}`,
  sessionCode: 'OLD234',
  sessionTitle: 'November',
  sessionDate: '2026-11-01',
  actionId,
  factor: 1,
  text: 'Plant trees',
  owner: null,
  due: null,
  boardStatus: 'open',
  review: null,
  carriedTo: null,
  decidedElsewhere: null
});
const origins = new Map([['OLD234', 'old']]);

describe('CommunityReviews', () => {
  it("a decision in one session is read by the other at once, heard by its listener, and gone with the deciding session's deletion", () => {
    const reviews = new CommunityReviews();
    const a = reviews.open('c1', 'A', [item('p1'), item('p2')], origins, []);
    const b = reviews.open('c1', 'B', [item('p1'), item('p2')], origins, []);
    const heard: ReviewItem[][] = [];
    b.onChange((items) => heard.push(items));
    a.decided({ ...a.item('OLD234/p1')!, review: 'done' });
    expect(a.item('OLD234/p1')).toMatchObject({ review: 'done', decidedElsewhere: null });
    expect(b.item('OLD234/p1')).toMatchObject({ review: null, decidedElsewhere: 'done' });
    expect(heard).toEqual([[expect.objectContaining({ key: 'OLD234/p1', decidedElsewhere: 'done' })]]);
    // "Doing" keeps a point open for everyone.
    a.decided({ ...a.item('OLD234/p1')!, review: 'doing' });
    expect(b.item('OLD234/p1')!.decidedElsewhere).toBeNull();
    b.decided({ ...b.item('OLD234/p1')!, review: 'carried', carriedTo: 'copy' });
    expect(a.item('OLD234/p1')!.decidedElsewhere).toBe('carried');
    b.close(true);
    expect(a.item('OLD234/p1')).toMatchObject({ review: 'doing', decidedElsewhere: null });
  });

  it('a later load never replaces a decision recorded since, an origin found deleted leaves every list, and the book goes with its last session', () => {
    const reviews = new CommunityReviews();
    const a = reviews.open('c1', 'A', [item('p1'), item('p2')], origins, []);
    a.decided({ ...a.item('OLD234/p1')!, review: 'dropped' });
    // B read the store before A's decision committed.
    const stale = [{ reviewingSessionId: 'A', originSessionId: 'old', actionId: 'p1', status: 'doing' as const, carriedActionId: null, reviewedAt: 1 }];
    const b = reviews.open('c1', 'B', [item('p1'), item('p2')], origins, stale);
    expect(b.item('OLD234/p1')!.decidedElsewhere).toBe('dropped');
    b.originGone('OLD234');
    expect(a.items()).toEqual([]);
    expect(reviews.size).toBe(1);
    a.close(false);
    b.close(false);
    b.close(false);
    expect(reviews.size).toBe(0);
  });
});
