/** The phases a live session goes through, in order. */
export const PHASES = ['lobby', 'voting', 'revealed', 'actions', 'closed'] as const;
export type Phase = (typeof PHASES)[number];

/**
 * Which phase may follow which. `revealed → voting` starts another round after
 * discussion; everything else moves forward, and any open phase may close.
 */
const TRANSITIONS: Record<Phase, readonly Phase[]> = {
  lobby: ['voting', 'closed'],
  voting: ['revealed', 'closed'],
  revealed: ['voting', 'actions', 'closed'],
  actions: ['closed'],
  closed: []
};

/** Whether the facilitator may move a session from `from` to `to`. */
export function canTransition(from: Phase, to: Phase): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The phases reachable from `from`. */
export function nextPhases(from: Phase): readonly Phase[] {
  return TRANSITIONS[from];
}

/** Whether results (aggregates) may be shown in this phase. */
export function resultsVisible(phase: Phase): boolean {
  return phase === 'revealed' || phase === 'actions' || phase === 'closed';
}

/** Whether the shared action board accepts edits in this phase. */
export function actionsEditable(phase: Phase): boolean {
  return phase === 'actions';
}

/** Whether ballots may change in this phase. */
export function votingOpen(phase: Phase): boolean {
  return phase === 'voting';
}
