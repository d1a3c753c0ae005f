import { createText } from '../../src/lib/board/actions';
import { CommandError, type CommandName, type ParsedCommand } from '../../src/lib/protocol';
import type { Identity, SessionRoom } from '../sessions/room';
import type { SessionRegistry } from '../sessions/registry';
import type { YjsHub } from '../yjs/hub';
import { TICKET_TTL_MS } from '../yjs/tickets';

export interface CommandContext {
  room: SessionRoom;
  identity: Identity;
  registry: SessionRegistry;
  yjs: YjsHub;
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
    case 'dot:cast':
      return room.castDot(identity, command.payload.actionId, command.payload.delta);
    case 'action:create': {
      const { actionId, factor, text } = command.payload;
      // Loaded before the change, so the point and its Y.Text are written in the same turn (one commit).
      const doc = await yjs.docFor(room);
      const { record } = await room.createAction(identity, { id: actionId, factor }, () => createText(doc.doc, actionId, text ?? ''));
      return room.actionViews().find((a) => a.id === record.id) ?? null;
    }
    case 'action:update': {
      const { actionId, factor, owner, due, status } = command.payload;
      return room.updateAction(identity, actionId, { factor, owner, due: due === '' ? null : due, status });
    }
    case 'action:remove':
      await room.removeAction(identity, command.payload.actionId);
      return null;
    case 'action:restore':
      await room.restoreAction(identity, command.payload.actionId);
      return null;
    case 'action:merge':
      await room.mergeAction(identity, command.payload.sourceId, command.payload.targetId);
      return null;
    case 'review:set': {
      // Loaded before the change, so a carried-over point and its Y.Text commit together.
      const doc = await yjs.docFor(room);
      return room.setReview(identity, command.payload.key, command.payload.status, (actionId, text) => createText(doc.doc, actionId, text));
    }
    case 'present:focus':
      room.presentFactor(identity, command.payload.factor);
      return null;
    case 'comment:hide': {
      const { round, factor, text, hidden } = command.payload;
      return room.hideComment(identity, { round, factor, text }, hidden);
    }
    case 'voting:control':
      return room.controlVoting(identity, command.payload);
    case 'clock:sync':
      return { serverNow: Date.now() };
    case 'action:unmerge':
      await room.unmergeAction(identity, command.payload.actionId);
      return null;
    case 'action:move':
      await room.moveAction(identity, command.payload.actionId, command.payload.toIndex);
      return null;
    case 'board:ticket':
      return { ticket: yjs.tickets.issue(room.id, identity), expiresInMs: TICKET_TTL_MS };
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
