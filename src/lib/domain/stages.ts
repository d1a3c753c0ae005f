import type { Phase } from './phases';

/**
 * The stages of a session page: what a screen shows as one view. Every phase has
 * one stage that comes first (the one the room is working in); the others of
 * that phase stay one tap away.
 */
export type Stage = 'lobby' | 'voting' | 'results' | 'actions';

/** The stage a phase opens with. */
export function stageOf(phase: Phase): Stage {
  if (phase === 'lobby') return 'lobby';
  if (phase === 'voting') return 'voting';
  if (phase === 'revealed') return 'results';
  return 'actions';
}

/**
 * The stages a participant's or facilitator's page offers in a phase, the
 * phase's own stage first. Results only exist once revealed; the board only
 * from the action phase on (earlier it has nothing to show yet).
 */
export function stagesOf(phase: Phase): Stage[] {
  if (phase === 'actions' || phase === 'closed') return ['actions', 'results'];
  return [stageOf(phase)];
}

/**
 * Splits items of known heights into pages of columns that each hold at most
 * `height` (a projector cannot scroll): items keep their order, an item taller
 * than a column gets a column of its own. Answers the item indexes per column,
 * `columns` columns per page.
 */
export function paginate(heights: readonly number[], height: number, columns: number, gap = 0): number[][][] {
  const pages: number[][][] = [];
  let page: number[][] = [];
  let column: number[] = [];
  let used = 0;
  const closeColumn = () => {
    if (column.length === 0) return;
    page.push(column);
    column = [];
    used = 0;
    if (page.length >= Math.max(1, columns)) {
      pages.push(page);
      page = [];
    }
  };
  heights.forEach((h, i) => {
    const need = column.length === 0 ? h : used + gap + h;
    if (column.length > 0 && need > height) closeColumn();
    column.push(i);
    used = column.length === 1 ? h : used + gap + h;
  });
  closeColumn();
  if (page.length > 0) pages.push(page);
  return pages;
}
