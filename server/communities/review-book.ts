import { CLOSING_REVIEW_STATUSES, type ActionReviewRecord, type ReviewItem, type ReviewStatus } from '../../src/lib/domain/review';

const CLOSING: ReadonlySet<ReviewStatus> = new Set(CLOSING_REVIEW_STATUSES);

/** A decision as the book keeps it: what a reviewing session said of one earlier point. */
type Decision = Pick<ActionReviewRecord, 'status' | 'carriedActionId'>;

/** An earlier point, as the book and the store name it: its session's id and its own. */
const pointKey = (originSessionId: string, actionId: string) => `${originSessionId}/${actionId}`;

/**
 * One community's review decisions, held once for every session of the community open in this process
 * (instead of a copy in each room): a decision taken in one session is what every other one reads at once.
 * Seeded from the store as each session loads (a decision this process took since is newer than any read,
 * so the read never replaces it) and kept by every decision recorded here. Sessions of the community on
 * another instance of a cluster are not seen until they reload; the store's constraint still holds a point
 * to one closing decision there (docs/scaling.md).
 */
export class CommunityReviewBook {
  /** Earlier point → reviewing session id → its decision. */
  private readonly decisions = new Map<string, Map<string, Decision>>();
  /** Earlier sessions found deleted: their points leave every list. */
  private readonly goneOrigins = new Set<string>();
  /** The open sessions, each told when another one changes a decision. */
  private readonly readers = new Map<string, (originSessionId: string, actionId: string) => void>();

  /** Decisions read from the store; a point this book already knows of for that session keeps what it has. */
  seed(records: readonly ActionReviewRecord[]): void {
    for (const r of records) {
      const byReviewer = this.decisionsOn(r.originSessionId, r.actionId);
      if (!byReviewer.has(r.reviewingSessionId)) byReviewer.set(r.reviewingSessionId, { status: r.status, carriedActionId: r.carriedActionId });
    }
  }

  /** A decision the store committed: every other open session of the community hears of it. */
  record(r: Pick<ActionReviewRecord, 'reviewingSessionId' | 'originSessionId' | 'actionId' | 'status' | 'carriedActionId'>): void {
    this.decisionsOn(r.originSessionId, r.actionId).set(r.reviewingSessionId, { status: r.status, carriedActionId: r.carriedActionId });
    this.tell(r.reviewingSessionId, r.originSessionId, r.actionId);
  }

  /** What `reviewer` decided on a point, or undefined when the book knows of nothing. */
  decisionOf(reviewer: string, originSessionId: string, actionId: string): Decision | undefined {
    return this.decisions.get(pointKey(originSessionId, actionId))?.get(reviewer);
  }

  /** A closing decision another session made on a point, or null. */
  closedElsewhere(reviewer: string, originSessionId: string, actionId: string): ReviewStatus | null {
    for (const [who, decision] of this.decisions.get(pointKey(originSessionId, actionId)) ?? []) {
      if (who !== reviewer && CLOSING.has(decision.status)) return decision.status;
    }
    return null;
  }

  /** A session was deleted: its decisions went with it in the store (the points it closed are open again), and here. */
  forgetReviewer(reviewer: string): void {
    for (const [key, byReviewer] of this.decisions) {
      if (!byReviewer.delete(reviewer)) continue;
      const slash = key.indexOf('/');
      this.tell(reviewer, key.slice(0, slash), key.slice(slash + 1));
    }
  }

  originGone(originSessionId: string): void {
    this.goneOrigins.add(originSessionId);
  }

  isGone(originSessionId: string): boolean {
    return this.goneOrigins.has(originSessionId);
  }

  /** An open session of the community reads this book from now on. */
  open(sessionId: string, changed: (originSessionId: string, actionId: string) => void): void {
    this.readers.set(sessionId, changed);
  }

  /** The session left memory; answers whether any other still reads the book. */
  close(sessionId: string): boolean {
    this.readers.delete(sessionId);
    return this.readers.size > 0;
  }

  private decisionsOn(originSessionId: string, actionId: string): Map<string, Decision> {
    const key = pointKey(originSessionId, actionId);
    let byReviewer = this.decisions.get(key);
    if (!byReviewer) this.decisions.set(key, (byReviewer = new Map()));
    return byReviewer;
  }

  private tell(except: string, originSessionId: string, actionId: string): void {
    for (const [sessionId, changed] of this.readers) if (sessionId !== except) changed(originSessionId, actionId);
  }
}

/**
 * One session's review: the earlier points listed when it loaded (immutable), read through the community's one
 * book for every decision, its own and the others'. What the snapshot, the exports and `review:set` read.
 */
export class SessionReview {
  private listener: ((items: ReviewItem[]) => void) | null = null;
  private closed = false;

  constructor(
    readonly sessionId: string,
    /** The points open when the session loaded, as `reviewItems` listed them. */
    private readonly listed: readonly ReviewItem[],
    /** Origin session code → its id. */
    readonly originIds: ReadonlyMap<string, string>,
    private readonly book: CommunityReviewBook,
    private readonly release: () => void
  ) {
    book.open(sessionId, (originId, actionId) => this.changedElsewhere(originId, actionId));
  }

  /** The list as it reads now. */
  items(): ReviewItem[] {
    return this.listed.flatMap((item) => {
      const view = this.view(item);
      return view ? [view] : [];
    });
  }

  item(key: string): ReviewItem | undefined {
    const listed = this.listed.find((i) => i.key === key);
    return listed ? (this.view(listed) ?? undefined) : undefined;
  }

  /** The origin session of listed points was found deleted: its points leave the list (of every session of the community). */
  originGone(sessionCode: string): void {
    const id = this.originIds.get(sessionCode);
    if (id !== undefined) this.book.originGone(id);
  }

  /** This session's decision, committed: recorded in the book (the other sessions hear of it). */
  decided(item: ReviewItem): void {
    this.book.record({
      reviewingSessionId: this.sessionId,
      originSessionId: this.originIds.get(item.sessionCode) ?? '',
      actionId: item.actionId,
      status: item.review!,
      carriedActionId: item.carriedTo
    });
  }

  /** Items another session's decision changed, as this session now reads them (its clients hear them). */
  onChange(listener: (items: ReviewItem[]) => void): void {
    this.listener = listener;
  }

  /** The session left memory (unloaded); `deleted`: its decisions went with it. Once. */
  close(deleted: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.listener = null;
    if (deleted) this.book.forgetReviewer(this.sessionId);
    this.release();
  }

  private view(item: ReviewItem): ReviewItem | null {
    const originId = this.originIds.get(item.sessionCode) ?? '';
    if (this.book.isGone(originId)) return null;
    const own = this.book.decisionOf(this.sessionId, originId, item.actionId);
    return {
      ...item,
      review: own ? own.status : item.review,
      carriedTo: own ? own.carriedActionId : item.carriedTo,
      decidedElsewhere: this.book.closedElsewhere(this.sessionId, originId, item.actionId)
    };
  }

  private changedElsewhere(originId: string, actionId: string): void {
    if (!this.listener) return;
    const changed = this.listed.filter((i) => i.actionId === actionId && this.originIds.get(i.sessionCode) === originId).flatMap((i) => this.view(i) ?? []);
    if (changed.length > 0) this.listener(changed);
  }
}

/**
 * The review books of every community with a session open in this process, owned by the community service:
 * one book per community, dropped when its last session leaves memory.
 */
export class CommunityReviews {
  private readonly books = new Map<string, CommunityReviewBook>();

  /** A session's review, read through its community's book (seeded with the decisions its load read). */
  open(
    communityId: string,
    sessionId: string,
    listed: readonly ReviewItem[],
    originIds: ReadonlyMap<string, string>,
    stored: readonly ActionReviewRecord[]
  ): SessionReview {
    let book = this.books.get(communityId);
    if (!book) this.books.set(communityId, (book = new CommunityReviewBook()));
    book.seed(stored);
    const held = book;
    return new SessionReview(sessionId, listed, originIds, book, () => {
      if (!held.close(sessionId) && this.books.get(communityId) === held) this.books.delete(communityId);
    });
  }

  /** Communities with a book in memory (tests watch that books go with their last session). */
  get size(): number {
    return this.books.size;
  }
}
