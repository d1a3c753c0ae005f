import { createHash } from 'node:crypto';
import { CommandError, LIMITS } from '../../src/lib/protocol';
import type { Actor, ActionRecord } from '../../src/lib/domain/action-points';
import type { ReviewItem, ReviewStatus } from '../../src/lib/domain/review';
import { clampText } from '../../src/lib/domain/text';
import { DecidedElsewhereError, type Store } from '../store/types';
import type { ActionBoard } from './action-board';
import type { RoomFanout } from './fanout';
import type { CommunityContext } from './projections';

/** What the review workflow is built with: the session it reviews for, where it writes and whom it tells, the board a carried copy lands on. */
export interface ReviewWorkflowContext {
  readonly id: string;
  readonly code: string;
  readonly store: Store;
  readonly fanout: RoomFanout;
  readonly board: ActionBoard;
  /** The community and this session's review (read through the community's one book), or null outside a community. */
  readonly community: CommunityContext | null;
}

/** The id of the copy a review carries over: the same for the same point in the same session, so carrying twice makes one copy. */
function carryId(sessionId: string, key: string): string {
  return `c${createHash('sha256').update(`${sessionId}\n${key}`).digest('base64url').slice(0, 22)}`;
}

/**
 * The community review of one session (issue 14): what the group says of the
 * action points earlier sessions left open. The list and every decision are
 * the community's (one book, owned by the community service); this unit
 * records this session's decisions through the board (a carried copy) and
 * tells this session's clients when another session's decision changes what
 * they read.
 */
export class ReviewWorkflow {
  constructor(private readonly ctx: ReviewWorkflowContext) {
    // Another session of the community decided: this session's people see it at once.
    ctx.community?.review.onChange((items) => ctx.fanout.toAll(ctx.code, 'review', items));
  }

  /** The review list (what the snapshot shows), or null outside a community. */
  items(): ReviewItem[] | null {
    return this.ctx.community ? this.ctx.community.review.items() : null;
  }

  /**
   * The facilitator records what the group says about an earlier session's open
   * action point (`review:set`): done, doing, dropped or carried over. Carrying
   * puts a copy on this session's board (text, factor, owner, due date, linked
   * by `origin` to the point it came from); carrying it back out removes that
   * copy again (undoably). The review record, the copy and its Y.Text commit
   * together; only then does everyone hear of it. Any phase but closed (the
   * policy): the review belongs before voting, but a facilitator who forgot can still do it.
   */
  async setReview(
    actor: Actor,
    key: string,
    status: ReviewStatus,
    text: { create: (actionId: string, text: string) => void; remove: (actionId: string) => void }
  ): Promise<ReviewItem> {
    const context = this.ctx.community;
    if (!context) throw new CommandError('not_found', 'This session belongs to no community, so it has nothing to review.');
    const review = context.review;
    // The origin session may have been deleted since this room loaded its review: its points leave the list
    // (a copy of them would outlive their session, and their review record cannot be stored).
    const listed = review.item(key);
    if (listed && (await this.ctx.store.findSessionIdByCode(listed.sessionCode)) !== review.originIds.get(listed.sessionCode)) {
      review.originGone(listed.sessionCode);
    }
    // Another session of the community open at the same time may have closed this point since this room loaded its
    // list (done, dropped or carried over there): one point is carried once, so the later decision is refused. This
    // read answers early with the other session's name; the store's constraint is what holds when two race.
    if (listed) {
      const refusal = await this.decidedElsewhere(context.community.id, review.originIds.get(listed.sessionCode) ?? '', listed.actionId);
      if (refusal) throw refusal;
    }
    let next: ReviewItem | null = null;
    let originSessionId = '';
    let createdCopy: string | null = null;
    return this.ctx.board
      .changeWith(
        'review:set',
        actor,
        (actor, actions) => {
          const item = review.item(key);
          if (!item) throw new CommandError('not_found', 'There is no such action point to review.');
          originSessionId = review.originIds.get(item.sessionCode) ?? '';
          if (!originSessionId) throw new CommandError('not_found', 'The session of that action point is gone.');
          const changed: ActionRecord[] = [];
          let carriedTo = item.carriedTo;
          if (status === 'carried') {
            const copy = carriedTo ? actions.get(carriedTo) : undefined;
            if (copy?.removed) changed.push(...actions.restore(actor, copy.id));
            else if (!copy) {
              const id = carryId(this.ctx.id, key);
              const { record } = actions.create(actor, { id, factor: item.factor, origin: key }, Date.now());
              record.owner = item.owner ?? '';
              record.due = item.due;
              record.status = item.boardStatus;
              changed.push(record);
              createdCopy = id;
              carriedTo = id;
            }
          } else if (carriedTo) {
            const copy = actions.get(carriedTo);
            if (copy && !copy.removed) changed.push(...actions.remove(actor, carriedTo));
          }
          next = { ...item, review: status, carriedTo };
          return changed;
        },
        {
          // The review record and the board change (the carried copy) in one transaction: when another session's
          // decision wins the race, neither is stored.
          writeWith: (changed) => {
            const item = next!;
            return this.ctx.store
              .saveActionReview(
                { reviewingSessionId: this.ctx.id, originSessionId, actionId: item.actionId, status, carriedActionId: item.carriedTo, reviewedAt: Date.now() },
                changed
              )
              .catch(async (error: unknown) => {
                if (!(error instanceof DecidedElsewhereError)) throw error;
                throw (
                  (await this.decidedElsewhere(context.community.id, originSessionId, item.actionId)) ??
                  new CommandError('invalid_transition', 'Another session of this community already decided this action point.')
                );
              });
          },
          sameTurn: () => {
            const item = next!;
            if (createdCopy) text.create(createdCopy, clampText(item.text, LIMITS.actionTextMax, LIMITS.actionTextUnits));
          },
          undoSameTurn: () => {
            if (createdCopy) text.remove(createdCopy);
          }
        }
      )
      .then(() => {
        const item = next!;
        // Committed: recorded once, in the community's book (the other open sessions of the community hear of it).
        review.decided(item);
        this.ctx.fanout.toAll(this.ctx.code, 'review', [item]);
        return item;
      });
  }

  /** The refusal for a point another session of the community closed (done, dropped, carried over), naming it; null when none did. */
  private async decidedElsewhere(communityId: string, originId: string, actionId: string): Promise<CommandError | null> {
    const elsewhere = (await this.ctx.store.listActionReviews(communityId, [originId])).find(
      (r) => r.originSessionId === originId && r.actionId === actionId && r.reviewingSessionId !== this.ctx.id && r.status !== 'doing'
    );
    if (!elsewhere) return null;
    const where = (await this.ctx.store.listCommunitySessions(communityId)).find((row) => row.id === elsewhere.reviewingSessionId);
    return new CommandError(
      'invalid_transition',
      `Another session of this community${where ? ` ("${where.title}")` : ''} already marked this action point ${elsewhere.status === 'carried' ? 'carried over' : elsewhere.status}.`
    );
  }

  /** The session left memory (`deleted`: deleted or purged, its decisions went with it): the community's book forgets it. */
  dispose(deleted: boolean): void {
    this.ctx.community?.review.close(deleted);
  }
}
