/**
 * Every client command, declared once: its name, its payload schema and the
 * type of its reply. The socket.io event map (`ClientToServerEvents`), the list
 * of names and the typed acknowledgements are derived from this table; the
 * server's half (who may, in which phase, and the handler) is
 * `server/sessions/commands.ts`, keyed by the same names, and the compiler
 * refuses a command missing from either.
 *
 * This module holds zod schemas, so browsers import only its types (through
 * `$lib/protocol`); the server imports the values.
 */
import { z } from 'zod';
import { PHASES } from '../domain/phases';
import { withinText } from '../domain/text';
import { REVIEW_STATUSES, type ReviewItem } from '../domain/review';
import type { Ack } from './errors';
import { LIMITS } from './limits';
import { actionId, answer, commentText, displayText, FACTOR_MAX, factorNumber } from './schemas';
import { SCORES } from '../domain/framework';
import type { ActionView, BoardTicket, DotState, HiddenComment, PhaseChange, RemovedParticipants, SessionSettings, SessionSnapshot, VoteResult } from './views';
import { ACTION_STATUSES } from './yjs';

/** A reply type, carried by the table for the compiler only (nothing of it exists at run time). */
export interface Reply<R> {
  readonly __reply?: R;
}
const replies = <R>(): Reply<R> => ({});

/** The highest round a vote may name. */
const ROUND_MAX = 10_000;
const VOTE_KEYS = new Set(['factor', 'answer', 'round', 'comment']);
const isInRange = (value: unknown, min: number, max: number) => Number.isInteger(value) && (value as number) >= min && (value as number) <= max;

/**
 * The everyday vote (a score or "don't know", no comment) recognised without its schema: zod allocates ~1.8 KB
 * parsing one, half of what a vote allocates on the hottest path of a room (bench/README.md, `bench/vote-path.ts`).
 * Whatever this does not recognise (a comment, a wrong type, an unknown key), the schema decides, with its
 * messages. It accepts nothing the schema refuses, and what it accepts means what the schema's output does
 * (tests/unit/command-quick.test.ts checks both over generated payloads).
 */
function isEverydayVote(payload: unknown): boolean {
  if (typeof payload !== 'object' || payload === null || Object.getPrototypeOf(payload) !== Object.prototype) return false;
  for (const key in payload) if (!VOTE_KEYS.has(key)) return false;
  const { factor, answer, round, comment } = payload as Record<string, unknown>;
  return (
    isInRange(factor, 1, FACTOR_MAX) &&
    (answer === 'unknown' || (SCORES as readonly unknown[]).includes(answer)) &&
    (round === undefined || isInRange(round, 1, ROUND_MAX)) &&
    (comment === undefined || comment === null)
  );
}

/** The command table: one entry per command. */
export const COMMANDS = {
  /** A participant answers one factor; last write wins. */
  vote: {
    schema: z
      .object({
        factor: factorNumber,
        answer,
        /** The round the answer is for; a vote for another round is refused with `wrong_round`. Optional for older integrators. */
        round: z.number().int().min(1).max(ROUND_MAX).optional(),
        comment: commentText.nullable().optional()
      })
      .strict(),
    quick: isEverydayVote,
    reply: replies<VoteResult>()
  },
  /** The facilitator moves the session to another phase. */
  'phase:set': {
    schema: z
      .object({
        phase: z.enum(PHASES),
        /** With `voting`: close voting automatically after this many seconds. */
        countdownSeconds: z.number().int().min(LIMITS.countdownMin).max(LIMITS.countdownMax).nullable().optional()
      })
      .strict(),
    reply: replies<PhaseChange>()
  },
  /** The facilitator removes a participant (and their ballot). */
  'participant:remove': {
    schema: z.object({ participantId: z.string().min(1).max(64) }).strict(),
    reply: replies<null>()
  },
  /**
   * The facilitator removes several participants at once (e.g. puppets after a flood of joins),
   * at most LIMITS.removeBatchMax per message; ids no longer in the session are skipped.
   */
  'participants:remove': {
    schema: z
      .object({
        participantIds: z.array(z.string().min(1).max(64)).min(1).max(LIMITS.removeBatchMax, `at most ${LIMITS.removeBatchMax} participants per message`)
      })
      .strict(),
    reply: replies<RemovedParticipants>()
  },
  /** The facilitator changes thresholds or the number of dots. */
  'settings:update': {
    schema: z
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
    reply: replies<SessionSettings>()
  },
  /**
   * Spend (+1) or take back (−1) a dot on an action point. `from`: the sender's dots on that point as their page
   * showed them when they clicked. With it the command is safe to send again after an answer was lost: when the
   * point no longer holds `from` of the sender's dots (the first send did land), nothing changes and the ack holds
   * the dots as they are.
   */
  'dot:cast': {
    schema: z.object({ actionId, delta: z.union([z.literal(1), z.literal(-1)]), from: z.number().int().min(0).max(LIMITS.maxDots).optional() }).strict(),
    reply: replies<DotState>()
  },
  /**
   * Adds an action point. The client chooses the id, so a command resent after a
   * reconnect is recognised; `text` is the starting text (a research tip, or
   * what was typed while the command waited), put into the point's new Y.Text.
   */
  'action:create': {
    schema: z
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
    reply: replies<ActionView>()
  },
  /** Changes factor, owner, due date or status of a point (any member, action phase); last write wins. */
  'action:update': {
    schema: z
      .object({
        actionId,
        factor: factorNumber.nullable().optional(),
        owner: displayText(LIMITS.ownerMax, LIMITS.ownerUnits).optional(),
        due: z.union([z.literal(''), z.null(), z.string().regex(/^\d{4}-\d{2}-\d{2}$/)]).optional(),
        status: z.enum(ACTION_STATUSES).optional()
      })
      .strict(),
    reply: replies<ActionView>()
  },
  /** The facilitator removes an action point (undone by `action:restore`); its dots go back to the voters. */
  'action:remove': {
    schema: z.object({ actionId }).strict(),
    reply: replies<null>()
  },
  /** The facilitator undoes a removal. */
  'action:restore': {
    schema: z.object({ actionId }).strict(),
    reply: replies<null>()
  },
  /** The facilitator merges a duplicate into another point: both texts stay (the source becomes a part); the source's dots go back. */
  'action:merge': {
    schema: z.object({ sourceId: actionId, targetId: actionId }).strict(),
    reply: replies<null>()
  },
  /** The facilitator takes a merged part out again. */
  'action:unmerge': {
    schema: z.object({ actionId }).strict(),
    reply: replies<null>()
  },
  /** The facilitator moves an action point to a position among the points on the board. */
  'action:move': {
    schema: z.object({ actionId, toIndex: z.number().int().min(0).max(LIMITS.actionsPerSession) }).strict(),
    reply: replies<null>()
  },
  /**
   * The facilitator steers the voting clock without revealing: extend the
   * countdown by `seconds` (or start one), pause or resume it, drop it, close
   * the ballot box, or reopen it.
   */
  'voting:control': {
    schema: z.discriminatedUnion('action', [
      z.object({ action: z.literal('extend'), seconds: z.number().int().min(LIMITS.countdownMin).max(LIMITS.countdownMax) }).strict(),
      z.object({ action: z.enum(['pause', 'resume', 'clear', 'close', 'reopen']) }).strict()
    ]),
    reply: replies<PhaseChange>()
  },
  /**
   * The facilitator moves a check-in's deadline later (ISO 8601 with an offset, at most six weeks ahead); a
   * check-in its deadline closed (revealing at the meeting) opens again. Only in the check-in's own round.
   */
  'checkin:extend': {
    schema: z.object({ deadline: z.iso.datetime({ offset: true }) }).strict(),
    reply: replies<PhaseChange>()
  },
  /** The facilitator closes a check-in before its deadline: it reveals now, or at the meeting, as it was set up. */
  'checkin:close': {
    schema: z.object({}).strict(),
    reply: replies<PhaseChange>()
  },
  /** Measures the offset to the server's clock (NTP style: the client times the round trip). */
  'clock:sync': {
    schema: z.object({}).strict(),
    reply: replies<{ serverNow: number }>()
  },
  /** Ask for a single-use ticket for the Yjs board connection (valid 30 seconds; see docs/protocol.md). */
  'board:ticket': {
    schema: z.object({}).strict(),
    reply: replies<BoardTicket>()
  },
  /** Ask for a fresh snapshot (after a reconnect, or to resync). */
  'state:request': {
    schema: z.object({}).strict(),
    reply: replies<SessionSnapshot>()
  },
  /** The facilitator deletes the session and all its data. */
  'session:delete': {
    schema: z.object({ confirm: z.literal(true) }).strict(),
    reply: replies<null>()
  },
  /** The facilitator hides a comment from the room (or shows it again); identical texts go together. */
  'comment:hide': {
    schema: z.object({ round: z.number().int().min(1).max(1000), factor: factorNumber, text: commentText, hidden: z.boolean() }).strict(),
    reply: replies<HiddenComment[]>()
  },
  /** The facilitator puts a factor on the presenter screen (the one they opened), or the overview again (null). */
  'present:focus': {
    schema: z.object({ factor: factorNumber.nullable() }).strict(),
    reply: replies<null>()
  },
  /**
   * The facilitator records what the group says about an earlier session's open action point
   * (`key` = `<session code>/<action id>`, as the snapshot's `review` lists it): done, doing,
   * dropped, or carried over onto this session's board.
   */
  'review:set': {
    schema: z.object({ key: z.string().regex(/^[A-Za-z0-9]{1,12}\/[A-Za-z0-9_-]{6,40}$/, 'must be a review key'), status: z.enum(REVIEW_STATUSES) }).strict(),
    reply: replies<ReviewItem>()
  }
} as const satisfies Record<string, { schema: z.ZodType; reply: Reply<unknown>; quick?: (payload: unknown) => boolean }>;

export type CommandName = keyof typeof COMMANDS;
/** What a client sends (before parsing). */
export type CommandPayload<C extends CommandName> = z.input<(typeof COMMANDS)[C]['schema']>;
/** What the handler gets (parsed: trimmed, defaults applied). */
export type ParsedCommand<C extends CommandName> = z.output<(typeof COMMANDS)[C]['schema']>;
/** What the command's acknowledgement carries when it succeeds. */
export type CommandReply<C extends CommandName> = (typeof COMMANDS)[C]['reply'] extends Reply<infer R> ? R : never;

/** Every command name, in table order. */
export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.hasOwn(COMMANDS, name);
}

/** Events a client sends; each is acknowledged with an `Ack` of the command's reply. */
export type ClientToServerEvents = {
  [C in CommandName]: (payload: CommandPayload<C>, ack: (response: Ack<CommandReply<C>>) => void) => void;
};
