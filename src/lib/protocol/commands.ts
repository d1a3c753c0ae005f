import type { CommandName } from './schemas';

/** Every client command, listed without loading the schemas (so browsers never download zod). */
export const COMMAND_NAMES = [
  'vote',
  'phase:set',
  'participant:remove',
  'participants:remove',
  'settings:update',
  'dot:cast',
  'action:create',
  'action:update',
  'action:remove',
  'action:restore',
  'action:merge',
  'action:unmerge',
  'action:move',
  'voting:control',
  'clock:sync',
  'board:ticket',
  'state:request',
  'session:delete',
  'comment:hide',
  'present:focus',
  'review:set'
] as const satisfies readonly CommandName[];

// Fails to compile when a schema has no entry above.
type Missing = Exclude<CommandName, (typeof COMMAND_NAMES)[number]>;
export const commandListIsComplete: Missing extends never ? true : never = true;
