/**
 * The server's half of the command registry: one handler per command of the
 * contract table (`src/lib/protocol/commands.ts`: name, payload schema, reply
 * type). Who may send it and in which phase is the command's row in `POLICY`
 * (policy.ts). The mapped types make the compiler refuse a command without a
 * handler or a policy row, and a handler whose reply is not the contract's.
 *
 * A command from the wire runs through `runCommand`: a known name, a payload
 * its schema accepts, the policy, then the handler. Anything else is refused
 * with a typed `CommandError` before anything is read or written.
 */
import { createText, removeText } from '../../src/lib/board/actions';
import type { Actor } from '../../src/lib/domain/action-points';
import { CommandError, type BoardTicket, type CommandName, type CommandReply, type ParsedCommand, type ProtocolError } from '../../src/lib/protocol';
import { COMMANDS, isCommandName } from '../../src/lib/protocol/commands';
import type { BoardDocument } from '../yjs/board-document';
import { toActionView } from './action-board';
import type { Identity } from './projections';
import type { SessionRoom } from './room';

/** What a handler may use: who sends the command, the session's room, and the two things that live beside the room. */
export interface CommandContext {
  readonly identity: Identity;
  /** The sending connection (socket.io id), when there is one: it learns the outcome from the ack, so echoes skip it. */
  readonly origin?: string;
  readonly room: SessionRoom;
  /** The board document, loaded before a change that writes a Y.Text so both commit in one turn. */
  board(): Promise<BoardDocument>;
  /** A single-use ticket for this identity's board connection. */
  ticket(): BoardTicket;
}

export type CommandHandler<C extends CommandName> = (payload: ParsedCommand<C>, ctx: CommandContext) => CommandReply<C> | Promise<CommandReply<C>>;

/** The board's rules name the actor (who owns a point, whose dots); the policy let only members through. */
function actor(identity: Identity): Actor {
  if (identity.role === 'presenter') throw new CommandError('forbidden', 'The presenter screen changes nothing.');
  return identity;
}

function participantId(identity: Identity): string {
  if (identity.role !== 'participant') throw new CommandError('forbidden', 'Only participants vote.');
  return identity.participantId;
}

/** Every command's handler. */
export const COMMAND_HANDLERS: { readonly [C in CommandName]: CommandHandler<C> } = {
  vote: (p, { room, identity, origin }) => room.votes.vote(participantId(identity), p.factor, p.answer, p.comment, p.round, origin),
  'phase:set': (p, { room }) => room.phases.setPhase(p.phase, p.countdownSeconds),
  'participant:remove': async (p, { room }) => {
    await room.door.removeParticipant(p.participantId);
    return null;
  },
  'participants:remove': (p, { room }) => room.door.removeParticipants(p.participantIds),
  'settings:update': (p, { room }) => room.settings.updateSettings(p),
  'dot:cast': (p, { room, identity, origin }) => room.actionBoard.castDot(actor(identity), p.actionId, p.delta, origin, p.from),
  'action:create': async ({ actionId, factor, text }, ctx) => {
    const { room, identity } = ctx;
    // Loaded before the change, so the point and its Y.Text are written in the same turn (one commit).
    const { doc } = await ctx.board();
    const { record } = await room.actionBoard.createAction(actor(identity), { id: actionId, factor }, () => createText(doc, actionId, text ?? ''));
    return toActionView(record);
  },
  'action:update': ({ actionId, factor, owner, due, status }, { room, identity }) =>
    room.actionBoard.updateAction(actor(identity), actionId, { factor, owner, due: due === '' ? null : due, status }),
  'action:remove': async (p, { room, identity }) => {
    await room.actionBoard.removeAction(actor(identity), p.actionId);
    return null;
  },
  'action:restore': async (p, { room, identity }) => {
    await room.actionBoard.restoreAction(actor(identity), p.actionId);
    return null;
  },
  'action:merge': async (p, { room, identity }) => {
    await room.actionBoard.mergeAction(actor(identity), p.sourceId, p.targetId);
    return null;
  },
  'action:unmerge': async (p, { room, identity }) => {
    await room.actionBoard.unmergeAction(actor(identity), p.actionId);
    return null;
  },
  'action:move': async (p, { room, identity }) => {
    await room.actionBoard.moveAction(actor(identity), p.actionId, p.toIndex);
    return null;
  },
  'review:set': async (p, ctx) => {
    const { room, identity } = ctx;
    // Loaded before the change, so a carried-over point and its Y.Text commit together.
    const { doc } = await ctx.board();
    return room.review.setReview(actor(identity), p.key, p.status, {
      create: (actionId, text) => createText(doc, actionId, text),
      remove: (actionId) => removeText(doc, actionId)
    });
  },
  'present:focus': (p, { room }) => {
    room.phases.presentFactor(p.factor);
    return null;
  },
  'comment:hide': ({ round, factor, text, hidden }, { room }) => room.comments.hideComment({ round, factor, text }, hidden),
  'voting:control': (p, { room }) => room.phases.controlVoting(p),
  'checkin:extend': (p, { room }) => room.checkin.extendCheckin(Date.parse(p.deadline)),
  'checkin:close': (_p, { room }) => room.checkin.closeCheckin(),
  'clock:sync': () => ({ serverNow: Date.now() }),
  'board:ticket': (_p, ctx) => ctx.ticket(),
  'state:request': (_p, { room, identity }) => room.snapshot(identity),
  'session:delete': async (_p, { room }) => {
    // The room emits `deleted`; the live session closes the board and forgets itself.
    await room.end.delete();
    return null;
  }
};

/** A command as it arrives from the wire, checked against the contract: its name known, its payload parsed. */
export type ParsedWireCommand = { [C in CommandName]: { name: C; payload: ParsedCommand<C> } }[CommandName];

/** Reads a command off the wire, or refuses it (`bad_request`, with what is wrong) before anything else happens. */
export function parseCommand(name: unknown, payload: unknown): ParsedWireCommand {
  if (!isCommandName(name)) throw new CommandError('bad_request', `Unknown event "${String(name).slice(0, 40)}".`);
  const command = COMMANDS[name];
  // A payload its command's quick check recognises is one the schema accepts unchanged (commands.ts in the protocol).
  if ('quick' in command && command.quick(payload)) return { name, payload } as ParsedWireCommand;
  const parsed = command.schema.safeParse(payload);
  if (!parsed.success) {
    throw new CommandError(
      'bad_request',
      `The "${name}" message is not valid.`,
      parsed.error.issues.slice(0, 10).map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`)
    );
  }
  return { name, payload: parsed.data } as ParsedWireCommand;
}

/** Runs a parsed command's handler with its reply type (the policy was checked by the caller). */
export function handle<C extends CommandName>(name: C, payload: ParsedCommand<C>, ctx: CommandContext): CommandReply<C> | Promise<CommandReply<C>> {
  // Started in the caller's turn, as before the registry: a handler's first store write is queued in call order.
  return (COMMAND_HANDLERS[name] as CommandHandler<C>)(payload, ctx);
}

/** Any failure as the client sees it: a refusal as it was thrown, anything else as `internal` (logged here). */
export function toProtocolError(error: unknown): ProtocolError {
  if (error instanceof CommandError) return error.toJSON();
  console.error('Unexpected error while handling a command', error);
  return { code: 'internal', message: 'Something went wrong on the server; nothing was changed.' };
}
