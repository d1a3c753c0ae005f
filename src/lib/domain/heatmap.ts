import type { FactorStats } from './statistics';

export type SortKey = 'number' | 'mean' | 'consensus';
export const HEATMAP_COLUMNS = [1, 2, 3, 4, 5, 'unknown'] as const;
export type HeatmapColumn = (typeof HEATMAP_COLUMNS)[number];

export interface HeatmapCell {
  factor: number;
  score: HeatmapColumn;
  count: number;
  /** Share of all this factor's answers (don't-know included), 0..1. */
  share: number;
  x: number;
  y: number;
}

export interface HeatmapRow {
  factor: number;
  theme: string;
  y: number;
  /** This row's height (rows with a wrapped label are taller). */
  height: number;
  stats: FactorStats;
  cells: HeatmapCell[];
}

export interface ThemeBand {
  theme: string;
  y: number;
  height: number;
}

export interface HeatmapLayout {
  width: number;
  height: number;
  labelWidth: number;
  cellWidth: number;
  rowHeight: number;
  statsX: number;
  headerHeight: number;
  columns: { key: HeatmapColumn; x: number }[];
  rows: HeatmapRow[];
  /** Theme bands, only when sorted by number (other sorts mix themes). */
  bands: ThemeBand[];
}

export interface LayoutOptions {
  sort: SortKey;
  labelWidth?: number;
  cellWidth?: number;
  rowHeight?: number;
  statsWidth?: number;
  headerHeight?: number;
  /** Extra space between theme bands, when sorted by number. */
  bandGap?: number;
  /** Height of a given factor's row (e.g. for a label wrapped over several lines); default `rowHeight`. */
  rowHeightOf?: (factor: number) => number;
}

/**
 * Splits a label into lines of at most `maxChars` characters at spaces (a word
 * longer than a line gets a line of its own), so a full factor name fits its column.
 */
export function wrapLabel(text: string, maxChars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > maxChars) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.length > 0 ? lines : [''];
}

function compare(sort: SortKey) {
  return (a: FactorStats, b: FactorStats): number => {
    if (sort === 'mean') return (a.mean ?? Infinity) - (b.mean ?? Infinity) || a.number - b.number;
    if (sort === 'consensus') return (a.consensus ?? Infinity) - (b.consensus ?? Infinity) || a.number - b.number;
    return a.number - b.number;
  };
}

/**
 * The phone's heatmap: rows labelled by number, the six answer columns and the mean in
 * 320 units, so it scales to a 360 px screen at about full size with no column cut off.
 */
export const PHONE_HEATMAP = { labelWidth: 34, cellWidth: 40, statsWidth: 46, bandGap: 8 } as const;

/**
 * The projector's heatmap: each factor's full name on one line and the mean only (the
 * consensus and reasons are on the attention page), in units that a 1920 px wide screen
 * draws about 2.1 times as large, so 14-unit text reads at about 30 px from the back.
 */
export const PROJECTOR_HEATMAP = { labelWidth: 560, cellWidth: 42, statsWidth: 64, rowHeight: 28, headerHeight: 30, bandGap: 8 } as const;
/** Characters of a factor name per line on the projector's heatmap (the longest name of the framework fits one). */
export const PROJECTOR_LABEL_CHARS = 70;

/** The factors in the order of a sort key (the heatmap's and the phone summary's order). */
export function sortStats<T extends FactorStats>(stats: readonly T[], sort: SortKey): T[] {
  return [...stats].sort(compare(sort));
}

/** Where every row, cell and band of the heatmap goes; D3 only draws this. */
export function heatmapLayout(stats: readonly FactorStats[], themeOf: (factor: number) => string, options: LayoutOptions): HeatmapLayout {
  const labelWidth = options.labelWidth ?? 320;
  const cellWidth = options.cellWidth ?? 56;
  const rowHeight = options.rowHeight ?? 36;
  const statsWidth = options.statsWidth ?? 190;
  const headerHeight = options.headerHeight ?? 32;
  const bandGap = options.bandGap ?? 10;
  const sorted = [...stats].sort(compare(options.sort));
  const columns = HEATMAP_COLUMNS.map((key, i) => ({ key, x: labelWidth + i * cellWidth }));
  const rows: HeatmapRow[] = [];
  const bands: ThemeBand[] = [];
  let y = headerHeight;
  for (const s of sorted) {
    const theme = themeOf(s.number);
    const height = options.rowHeightOf?.(s.number) ?? rowHeight;
    if (options.sort === 'number') {
      const last = bands.at(-1);
      if (!last || last.theme !== theme) {
        if (last) y += bandGap;
        bands.push({ theme, y, height: 0 });
      }
      bands.at(-1)!.height += height;
    }
    const answers = s.n + s.unknown;
    const cells = columns.map(({ key, x }) => {
      // A withheld distribution (fewer than k scores) draws as empty cells.
      const count = key === 'unknown' ? s.unknown : (s.distribution?.[String(key) as '1'] ?? 0);
      return { factor: s.number, score: key, count, share: answers === 0 ? 0 : count / answers, x, y };
    });
    rows.push({ factor: s.number, theme, y, height, stats: s, cells });
    y += height;
  }
  return {
    width: labelWidth + columns.length * cellWidth + statsWidth,
    height: y + 4,
    labelWidth,
    cellWidth,
    rowHeight,
    statsX: labelWidth + columns.length * cellWidth,
    headerHeight,
    columns,
    rows,
    bands
  };
}
