import { describe, expect, it } from 'vitest';
import { authorize, POLICY, type Action } from '../../server/sessions/policy';
import type { Identity } from '../../server/sessions/projections';
import { PHASES, type Phase } from '../../src/lib/domain/phases';
import { CommandError } from '../../src/lib/protocol';
import { COMMAND_NAMES } from '../../src/lib/protocol/commands';

function outcome(action: Action, identity: Identity | null, phase: Phase, member = true): string {
  try {
    authorize(action, identity, phase, () => member);
    return 'ok';
  } catch (error) {
    expect(error).toBeInstanceOf(CommandError);
    return (error as CommandError).code;
  }
}

const participant: Identity = { role: 'participant', participantId: 'p' };

describe('authorize', () => {
  it('has a rule for every socket.io command', () => {
    for (const name of COMMAND_NAMES) expect(POLICY[name]).toBeDefined();
  });

  it('checks the role before the phase, so a wrong role hears forbidden in every phase', () => {
    for (const phase of PHASES) {
      expect(outcome('action:remove', participant, phase)).toBe('forbidden');
      expect(outcome('vote', { role: 'facilitator' }, phase)).toBe('forbidden');
      expect(outcome('dot:cast', { role: 'presenter' }, phase)).toBe('forbidden');
      expect(outcome('session:export', null, phase)).toBe('forbidden');
    }
  });

  it('refuses a removed participant before looking at the phase', () => {
    expect(outcome('vote', participant, 'voting', false)).toBe('forbidden');
    expect(outcome('state:request', participant, 'lobby', false)).toBe('forbidden');
    expect(outcome('vote', participant, 'voting', true)).toBe('ok');
  });

  it('answers session_closed where the closed phase ends a command for good, wrong_phase elsewhere', () => {
    expect(outcome('settings:update', { role: 'facilitator' }, 'closed')).toBe('session_closed');
    expect(outcome('comment:hide', { role: 'facilitator' }, 'closed')).toBe('session_closed');
    expect(outcome('comment:hide', { role: 'facilitator' }, 'voting')).toBe('wrong_phase');
    expect(outcome('session:join', null, 'closed')).toBe('session_closed');
    expect(outcome('session:join', null, 'actions')).toBe('ok');
    expect(outcome('action:create', participant, 'revealed')).toBe('wrong_phase');
    expect(outcome('present:focus', { role: 'facilitator' }, 'closed')).toBe('ok');
  });
});
