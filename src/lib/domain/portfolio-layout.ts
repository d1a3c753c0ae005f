/**
 * Layout of the programme view's charts, pure (as heatmap.ts is for a session's heatmap): the
 * components draw these boxes and lines declaratively in SVG, and D3 only supplies the colour ramp.
 */
import type { Portfolio, PortfolioTrend } from './portfolio';

export interface PortfolioCellBox {
  community: string;
  factor: number;
  mean: number | null;
  weak: boolean;
  divergent: boolean;
  x: number;
  y: number;
}

export interface PortfolioHeatmapLayout {
  width: number;
  height: number;
  labelWidth: number;
  cell: number;
  headerHeight: number;
  columns: { factor: number; x: number }[];
  rows: { id: string; name: string; y: number; cells: PortfolioCellBox[] }[];
}

/** Community rows × factor columns; `labelWidth` 0 labels rows by number only (a phone). */
export function portfolioHeatmapLayout(
  portfolio: Pick<Portfolio, 'communities'>,
  factorCount: number,
  options: { labelWidth: number; cell: number; headerHeight?: number }
): PortfolioHeatmapLayout {
  const headerHeight = options.headerHeight ?? 28;
  const { labelWidth, cell } = options;
  const columns = Array.from({ length: factorCount }, (_, i) => ({ factor: i + 1, x: labelWidth + i * cell }));
  const rows = portfolio.communities.map((c, r) => {
    const y = headerHeight + r * cell;
    return {
      id: c.id,
      name: c.name,
      y,
      cells: columns.map(({ factor, x }) => {
        const f = c.factors[factor - 1];
        return { community: c.id, factor, mean: f?.mean ?? null, weak: f?.weak ?? false, divergent: f?.divergent ?? false, x, y };
      })
    };
  });
  return { width: labelWidth + factorCount * cell, height: headerHeight + rows.length * cell, labelWidth, cell, headerHeight, columns, rows };
}

/** A mean on the 1..5 scale as a share 0..1 of the colour ramp (a low mean is pale: few things in place). */
export const meanShare = (mean: number): number => Math.min(1, Math.max(0, (mean - 1) / 4));

export interface TrendChartLayout {
  width: number;
  height: number;
  /** y of the scale's values 1..5. */
  ticks: { value: number; y: number }[];
  /** Per quarter with a figure: x, the median's y and the middle half's band. */
  points: { quarter: string; x: number; median: number; q1: number; q3: number; yMedian: number; yQ1: number; yQ3: number }[];
  /** The median's line through the quarters with a figure, as SVG path data ('' with none). */
  line: string;
  /** Every quarter's label position (withheld quarters keep their place on the axis). */
  labels: { quarter: string; x: number }[];
}

/** A small chart of one factor's programme trend: quarters along x, the 1..5 scale up y. */
export function trendChartLayout(
  trend: PortfolioTrend,
  quarters: readonly string[],
  size: { width: number; height: number; padding: number }
): TrendChartLayout {
  const { width, height, padding } = size;
  const y = (value: number) => padding + ((5 - value) / 4) * (height - 2 * padding);
  const step = quarters.length > 1 ? (width - 2 * padding) / (quarters.length - 1) : 0;
  const x = (i: number) => (quarters.length > 1 ? padding + i * step : width / 2);
  const points = trend.points.flatMap((p) => {
    const i = quarters.indexOf(p.quarter);
    if (i < 0 || p.median === null || p.q1 === null || p.q3 === null) return [];
    return [{ quarter: p.quarter, x: x(i), median: p.median, q1: p.q1, q3: p.q3, yMedian: y(p.median), yQ1: y(p.q1), yQ3: y(p.q3) }];
  });
  const line = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.yMedian.toFixed(1)}`).join('');
  return {
    width,
    height,
    ticks: [1, 2, 3, 4, 5].map((value) => ({ value, y: y(value) })),
    points,
    line,
    labels: quarters.map((quarter, i) => ({ quarter, x: x(i) }))
  };
}
