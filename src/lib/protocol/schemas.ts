import { z } from 'zod';
import { LANGUAGES, SCORES } from '../domain/framework';
import { PHASES } from '../domain/phases';
import { withinGraphemes, withinText } from '../domain/text';
import { LIMITS } from './limits';
import { visibleText } from '../domain/names';
import { ACTION_STATUSES } from './yjs';
import { isIsoDay, PAPER_MAX_COUNT } from '../domain/community';
import { REVIEW_STATUSES } from '../domain/review';
import { canonicalTimeZone, TIME_ZONE_MAX } from '../domain/dates';

/** An IANA time zone name (e.g. `Europe/Amsterdam`), bounded, checked against the platform's zones and answered in its canonical spelling. */
const timeZone = z
  .string()
  .max(TIME_ZONE_MAX)
  .transform((value, ctx) => {
    const zone = canonicalTimeZone(value);
    if (zone === null) {
      ctx.addIssue({ code: 'custom', message: 'must be an IANA time zone, e.g. Europe/Amsterdam' });
      return z.NEVER;
    }
    return zone;
  });

const score = z.union(SCORES.map((s) => z.literal(s)) as [z.ZodLiteral<1>, z.ZodLiteral<2>, z.ZodLiteral<3>, z.ZodLiteral<4>, z.ZodLiteral<5>]);
const answer = z.union([score, z.literal('unknown')]);
/** A name or title: at most `max` graphemes and `units` UTF-16 units (the units checked first, before any work). */
const displayText = (max: number, units: number) =>
  z
    .string()
    .max(units)
    // Control and invisible format characters have no business in names and titles (see visibleText).
    .transform(visibleText)
    // Counted in graphemes: an emoji at the limit is one character, never half of one.
    .refine((s) => withinGraphemes(s, max), `must be at most ${max} characters`);
const factorNumber = z.number().int().min(1).max(40);
/**
 * A comment: bounded in graphemes (what people count), with a cap on UTF-16 units first
 * so the count costs bounded work; control characters other than line breaks and tabs removed.
 */
const commentText = z
  .string()
  .max(LIMITS.commentUnits)
  .transform((s) => s.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' '))
  .refine((s) => withinGraphemes(s, LIMITS.commentMax), `must be at most ${LIMITS.commentMax} characters`);
const actionId = z.string().regex(/^[A-Za-z0-9_-]{6,40}$/, 'must be an action id');

/** `POST /api/sessions` body. */
export const CreateSessionRequest = z
  .object({
    title: displayText(LIMITS.titleMax, LIMITS.titleUnits).optional(),
    language: z.enum(LANGUAGES).optional(),
    anonymous: z.boolean().optional(),
    framework: z.string().max(64).optional(),
    /** Creates the session inside this community; needs `Authorization: Bearer <communityToken>`. */
    community: z.string().max(64).optional(),
    /** Where the group meets (IANA); default: the community's, else Europe/Amsterdam. The pages send the browser's. */
    timeZone: timeZone.optional()
  })
  .strict();
export type CreateSessionRequest = z.input<typeof CreateSessionRequest>;

/** `POST /api/communities` body. */
export const CreateCommunityRequest = z
  .object({
    name: displayText(LIMITS.titleMax, LIMITS.titleUnits).refine((s) => s.trim().length > 0, 'must not be empty'),
    language: z.enum(LANGUAGES).optional(),
    framework: z.string().max(64).optional(),
    /** Where the community meets (IANA); default Europe/Amsterdam. The pages send the browser's. */
    timeZone: timeZone.optional()
  })
  .strict();
export type CreateCommunityRequest = z.input<typeof CreateCommunityRequest>;

// Shape only; the domain (paperProblems) checks ranges against the framework and that something was counted.
const paperCount = z.number().int().min(0).max(PAPER_MAX_COUNT);
/** `POST /api/communities/:id/paper-sessions` body: counts from a paper poster. */
export const PaperSessionRequest = z
  .object({
    title: displayText(LIMITS.titleMax, LIMITS.titleUnits).optional(),
    date: z.string().max(10).refine(isIsoDay, 'must be a day written YYYY-MM-DD'),
    factors: z
      .array(
        z
          .object({
            number: factorNumber,
            distribution: z.object({ '1': paperCount, '2': paperCount, '3': paperCount, '4': paperCount, '5': paperCount }).strict(),
            unknown: paperCount
          })
          .strict()
      )
      .min(1)
      .max(40)
  })
  .strict();
export type PaperSessionRequest = z.input<typeof PaperSessionRequest>;

/**
 * `POST /api/communities/:id/imports` body: a session's `export.json` as downloaded (other fields
 * are ignored). Only the latest round's per-factor counts are kept.
 */
export const ImportExportRequest = z.looseObject({
  session: z.looseObject({
    title: displayText(LIMITS.titleMax, LIMITS.titleUnits),
    createdAt: z
      .string()
      .max(40)
      .refine((v) => isIsoDay(v.slice(0, 10)), 'must start with a day written YYYY-MM-DD'),
    /** The local day where the group met (exports since time zones); older exports have only `createdAt`, a UTC instant. */
    date: z.string().max(10).refine(isIsoDay, 'must be a day written YYYY-MM-DD').optional()
  }),
  factors: z
    .array(
      z.looseObject({
        number: factorNumber,
        distribution: z.object({ '1': paperCount, '2': paperCount, '3': paperCount, '4': paperCount, '5': paperCount }).nullable(),
        unknown: paperCount
      })
    )
    .min(1)
    .max(40)
});
export type ImportExportRequest = z.input<typeof ImportExportRequest>;

/** `POST /api/sessions/:code/participants` body. */
export const JoinSessionRequest = z
  .object({
    name: displayText(LIMITS.nameMax, LIMITS.nameUnits).optional(),
    group: z.string().max(64).nullable().optional(),
    language: z.enum(LANGUAGES).optional()
  })
  .strict();
export type JoinSessionRequest = z.input<typeof JoinSessionRequest>;

/** socket.io handshake `auth`: who is connecting, decided once per connection. */
export const HandshakeAuth = z
  .object({
    code: z.string().max(20),
    token: z.string().min(16).max(128),
    protocolVersion: z.number().int()
  })
  .strict();
export type HandshakeAuth = z.infer<typeof HandshakeAuth>;

/** Payload schemas of every client command, by event name. */
export const CommandSchemas = {
  /** A participant answers one factor; last write wins. */
  vote: z
    .object({
      factor: factorNumber,
      answer,
      /** The round the answer is for; a vote for another round is refused with `wrong_round`. Optional for older integrators. */
      round: z.number().int().min(1).max(10_000).optional(),
      comment: commentText.nullable().optional()
    })
    .strict(),
  /** The facilitator moves the session to another phase. */
  'phase:set': z
    .object({
      phase: z.enum(PHASES),
      /** With `voting`: close voting automatically after this many seconds. */
      countdownSeconds: z.number().int().min(LIMITS.countdownMin).max(LIMITS.countdownMax).nullable().optional()
    })
    .strict(),
  /** The facilitator removes a participant (and their ballot). */
  'participant:remove': z.object({ participantId: z.string().min(1).max(64) }).strict(),
  /**
   * The facilitator removes several participants at once (e.g. puppets after a flood of joins),
   * at most LIMITS.removeBatchMax per message; ids no longer in the session are skipped.
   */
  'participants:remove': z
    .object({
      participantIds: z.array(z.string().min(1).max(64)).min(1).max(LIMITS.removeBatchMax, `at most ${LIMITS.removeBatchMax} participants per message`)
    })
    .strict(),
  /** The facilitator changes thresholds or the number of dots. */
  'settings:update': z
    .object({
      weakBelow: z.number().min(1).max(5).optional(),
      divergentBelow: z.number().min(0).max(1).optional(),
      unclearFrom: z.number().min(0.05).max(1).optional(),
      dotsPerPerson: z.number().int().min(1).max(LIMITS.maxDots).optional(),
      /** k: the fewest voters any shown figure may come from (anonymous sessions). */
      minVoters: z.number().int().min(LIMITS.minVotersMin).max(LIMITS.minVotersMax).optional(),
      /** Hide dot totals from participants until the facilitator shows them (against bandwagoning). */
      hideDotTotals: z.boolean().optional(),
      /** Lock the door: joins without a participant token are refused with `joins_locked`. */
      joinsLocked: z.boolean().optional()
    })
    .strict(),
  /** Spend (+1) or take back (−1) a dot on an action point. */
  'dot:cast': z.object({ actionId, delta: z.union([z.literal(1), z.literal(-1)]) }).strict(),
  /**
   * Adds an action point. The client chooses the id, so a command resent after a
   * reconnect is recognised; `text` is the starting text (a research tip, or
   * what was typed while the command waited), put into the point's new Y.Text.
   */
  'action:create': z
    .object({
      actionId,
      factor: factorNumber.nullable(),
      text: z
        .string()
        .max(LIMITS.actionTextUnits)
        .refine((s) => withinText(s, LIMITS.actionTextMax, LIMITS.actionTextUnits), `must be at most ${LIMITS.actionTextMax} characters`)
        .optional()
    })
    .strict(),
  /** Changes factor, owner, due date or status of a point (any member, action phase); last write wins. */
  'action:update': z
    .object({
      actionId,
      factor: factorNumber.nullable().optional(),
      owner: displayText(LIMITS.ownerMax, LIMITS.ownerUnits).optional(),
      due: z.union([z.literal(''), z.null(), z.string().regex(/^\d{4}-\d{2}-\d{2}$/)]).optional(),
      status: z.enum(ACTION_STATUSES).optional()
    })
    .strict(),
  /** The facilitator removes an action point (undone by `action:restore`); its dots go back to the voters. */
  'action:remove': z.object({ actionId }).strict(),
  /** The facilitator undoes a removal. */
  'action:restore': z.object({ actionId }).strict(),
  /** The facilitator merges a duplicate into another point: both texts stay (the source becomes a part); the source's dots go back. */
  'action:merge': z.object({ sourceId: actionId, targetId: actionId }).strict(),
  /** The facilitator takes a merged part out again. */
  'action:unmerge': z.object({ actionId }).strict(),
  /** The facilitator moves an action point to a position among the points on the board. */
  'action:move': z.object({ actionId, toIndex: z.number().int().min(0).max(LIMITS.actionsPerSession) }).strict(),
  /** The facilitator hides a comment from the room (or shows it again); identical texts go together. */
  /** The facilitator puts a factor on the presenter screen (the one they opened), or the overview again (null). */
  'present:focus': z.object({ factor: factorNumber.nullable() }).strict(),
  'comment:hide': z.object({ round: z.number().int().min(1).max(1000), factor: factorNumber, text: commentText, hidden: z.boolean() }).strict(),
  /**
   * The facilitator steers the voting clock without revealing: extend the
   * countdown by `seconds` (or start one), pause or resume it, drop it, close
   * the ballot box, or reopen it.
   */
  'voting:control': z.discriminatedUnion('action', [
    z.object({ action: z.literal('extend'), seconds: z.number().int().min(LIMITS.countdownMin).max(LIMITS.countdownMax) }).strict(),
    z.object({ action: z.enum(['pause', 'resume', 'clear', 'close', 'reopen']) }).strict()
  ]),
  /**
   * The facilitator records what the group says about an earlier session's open action point
   * (`key` = `<session code>/<action id>`, as the snapshot's `review` lists it): done, doing,
   * dropped, or carried over onto this session's board.
   */
  'review:set': z
    .object({ key: z.string().regex(/^[A-Za-z0-9]{1,12}\/[A-Za-z0-9_-]{6,40}$/, 'must be a review key'), status: z.enum(REVIEW_STATUSES) })
    .strict(),
  /** Measures the offset to the server's clock (NTP style: the client times the round trip). */
  'clock:sync': z.object({}).strict(),
  /** Ask for a single-use ticket for the Yjs board connection (valid 30 seconds; see docs/protocol.md). */
  'board:ticket': z.object({}).strict(),
  /** Ask for a fresh snapshot (after a reconnect, or to resync). */
  'state:request': z.object({}).strict(),
  /** The facilitator deletes the session and all its data. */
  'session:delete': z.object({ confirm: z.literal(true) }).strict()
} as const;

export type CommandName = keyof typeof CommandSchemas;
export type CommandPayload<C extends CommandName> = z.input<(typeof CommandSchemas)[C]>;
export type ParsedCommand<C extends CommandName> = z.output<(typeof CommandSchemas)[C]>;
