import { mergeActions, moveAction, removeAction, indexOfAction } from '../../src/lib/board/actions';
import { CommandError, type CommandName, type ParsedCommand } from '../../src/lib/protocol';
import type { Identity, SessionRoom } from '../sessions/room';
import type { SessionRegistry } from '../sessions/registry';
import type { YjsHub } from '../yjs/hub';

export interface CommandContext {
  room: SessionRoom;
  identity: Identity;
  registry: SessionRegistry;
  yjs: YjsHub;
}

function requireFacilitator(identity: Identity, what: string): void {
  if (identity.role !== 'facilitator') throw new CommandError('forbidden', `Only the facilitator may ${what}.`);
}

function requireActionsPhase(room: SessionRoom): void {
  if (room.phase !== 'actions') throw new CommandError('wrong_phase', 'The action board can be changed only during the action phase.');
}

/** Runs one validated command. Exhaustive: a new command fails to compile until it is handled here. */
export async function executeCommand<C extends CommandName>(name: C, payload: ParsedCommand<C>, ctx: CommandContext): Promise<unknown> {
  const { room, identity, yjs } = ctx;
  const command = { name, payload } as { [K in CommandName]: { name: K; payload: ParsedCommand<K> } }[CommandName];
  switch (command.name) {
    case 'vote':
      return room.vote(identity, command.payload.factor, command.payload.answer, command.payload.comment, command.payload.round);
    case 'phase:set': {
      const change = await room.setPhase(identity, command.payload.phase, command.payload.countdownSeconds);
      yjs.phaseChanged(room);
      return change;
    }
    case 'participant:remove':
      await room.removeParticipant(identity, command.payload.participantId);
      yjs.disconnectParticipant(room, command.payload.participantId);
      return null;
    case 'settings:update':
      return room.updateSettings(identity, command.payload);
    case 'dot:cast': {
      const doc = await yjs.docFor(room);
      return room.castDot(identity, command.payload.actionId, command.payload.delta, indexOfAction(doc.doc, command.payload.actionId) >= 0);
    }
    case 'action:remove': {
      requireFacilitator(identity, 'remove action points');
      requireActionsPhase(room);
      let removed = false;
      await yjs.transact(room, (doc) => (removed = removeAction(doc, command.payload.actionId)));
      if (!removed) throw new CommandError('not_found', 'That action point does not exist (any more).');
      await room.moveDots(command.payload.actionId, null);
      return null;
    }
    case 'action:merge': {
      requireFacilitator(identity, 'merge action points');
      requireActionsPhase(room);
      let merged = false;
      await yjs.transact(room, (doc) => (merged = mergeActions(doc, command.payload.sourceId, command.payload.targetId)));
      if (!merged) throw new CommandError('not_found', 'Both action points must exist and differ.');
      await room.moveDots(command.payload.sourceId, command.payload.targetId);
      return null;
    }
    case 'action:move': {
      requireFacilitator(identity, 'reorder action points');
      requireActionsPhase(room);
      let moved = false;
      await yjs.transact(room, (doc) => (moved = moveAction(doc, command.payload.actionId, command.payload.toIndex)));
      if (!moved) throw new CommandError('not_found', 'That action point does not exist (any more).');
      return null;
    }
    case 'comment:hide': {
      const { round, factor, text, hidden } = command.payload;
      return room.hideComment(identity, { round, factor, text }, hidden);
    }
    case 'voting:control':
      return room.controlVoting(identity, command.payload);
    case 'clock:sync':
      return { serverNow: Date.now() };
    case 'state:request':
      return room.snapshot(identity);
    case 'session:delete': {
      await room.delete(identity);
      yjs.drop(room.id);
      ctx.registry.forget(room);
      return null;
    }
    default: {
      const unreachable: never = command;
      throw new CommandError('bad_request', `Unknown command ${String(unreachable)}`);
    }
  }
}
