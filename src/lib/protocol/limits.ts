/**
 * Sizes and rates the server enforces; clients use them to stop bad input early.
 *
 * Every text a client writes has two bounds (see src/lib/domain/text.ts): `…Max` in
 * graphemes (what people count, and where a cut falls) and `…Units` in UTF-16 code
 * units (what it costs to segment, escape, fold, store and send). The units are
 * `UNITS_PER_GRAPHEME` (4) × the graphemes: room for any real writing, including a
 * text of flags or emoji, while a letter under 20,000 combining marks (one grapheme)
 * is refused. docs/protocol.md has the table of fields and where each is enforced.
 */
export const LIMITS = {
  titleMax: 120,
  titleUnits: 120 * 4,
  nameMax: 40,
  nameUnits: 40 * 4,
  commentMax: 500,
  commentUnits: 500 * 4,
  actionTextMax: 2000,
  actionTextUnits: 2000 * 4,
  ownerMax: 80,
  ownerUnits: 80 * 4,
  /**
   * Comment code units one participant may have in one round, all factors together: room for a
   * full comment on three factors or a short one on all twelve. Every round is frozen with its
   * comments and read back by every snapshot and export, so what a room can accumulate is bounded
   * in the unit that costs (issue 20).
   */
  commentUnitsPerParticipantRound: 6000,
  /** Comment code units one session may hold in one round, everyone together (30 people × 12 × 100 characters = 36,000). */
  commentUnitsPerSessionRound: 250_000,
  /** Voting rounds one session may hold: each round is frozen for good and read on every room load. */
  roundsPerSession: 5,
  /** Names a presenter screen shows arriving in the lobby (the latest ones; the count shows all). */
  arrivalsShown: 60,
  /** Participants in one session, unless configured otherwise. */
  participantsPerSession: 500,
  /** Participants one `participants:remove` (or its REST twin) removes at most: bounded work per message. */
  removeBatchMax: 100,
  /** Sessions that are not closed, across the server, unless configured otherwise. */
  liveSessions: 1000,
  /** Bytes in one socket.io message. */
  socketMessageBytes: 16 * 1024,
  /** Bytes in one Yjs WebSocket message. */
  yjsMessageBytes: 256 * 1024,
  /** Yjs client ids one update may name, one person may introduce, one board document may hold. */
  yjsClientsPerUpdate: 16,
  yjsClientsPerPerson: 32,
  yjsClientsPerDocument: 2000,
  /** Structs (inserted runs) and deleted ranges in one Yjs update. */
  yjsStructsPerUpdate: 5000,
  yjsDeleteRangesPerUpdate: 5000,
  /** Items of the stored document one update's deletions may touch. */
  yjsDeletedItemsPerUpdate: 20000,
  /** Stored size of one board document (its encoded state plus updates since the last compaction). */
  // What a board costs to decode (one Y.applyUpdate, which cannot be sliced) grows with its bytes: every room load, the
  // review list and the community calendar decode whole boards. At 8 MiB one decode held the event loop 65–170 ms
  // (bench:exports); at 2 MiB it stays well under 100 ms, and a real board (300 points of a few sentences, with the
  // edits since its last compaction) uses a small part of it.
  yjsDocumentBytes: 2 * 1024 * 1024,
  /** Awareness (presence) state of one connection, as JSON. */
  awarenessStateBytes: 1024,
  /** Action points on one board. */
  actionsPerSession: 300,
  /** Commands one socket may send per second, sustained; bursts up to `commandBurst`. */
  commandsPerSecond: 20,
  commandBurst: 60,
  /** Yjs messages one connection may send per second, sustained; bursts up to `yjsBurst`. */
  yjsMessagesPerSecond: 60,
  yjsBurst: 300,
  /** Joins by code per client address per minute (code guessing). */
  joinsPerMinute: 30,
  /** Dots each person may spend, unless the facilitator changes it. */
  defaultDots: 3,
  maxDots: 10,
  /** Bounds of k, the fewest voters a shown figure may come from (see docs/privacy.md). */
  minVotersMin: 2,
  minVotersMax: 50,
  /** Countdown bounds for closing voting, in seconds. */
  countdownMin: 10,
  countdownMax: 3600
} as const;
