import { describe, expect, it } from 'vitest';
import { heatmapLayout, PHONE_HEATMAP, sortStats } from '../../src/lib/domain/heatmap';
import type { FactorStats } from '../../src/lib/domain/statistics';

function stat(number: number, mean: number | null, consensus: number | null): FactorStats {
  return {
    number,
    n: mean === null ? 0 : 4,
    unknown: 0,
    mean,
    median: mean,
    stddev: 0,
    consensus,
    distribution: { '1': 1, '2': 0, '3': 1, '4': 1, '5': 1 },
    weak: false,
    divergent: false,
    unclear: false
  };
}

const stats = [stat(1, 3.5, 0.9), stat(2, null, null), stat(3, 2.1, 0.4), stat(4, 2.1, 0.7)];

describe('sortStats (the order of the heatmap rows and of the phone summary)', () => {
  it.each([
    { sort: 'number' as const, order: [1, 2, 3, 4] },
    // Lowest first; ties by number; factors without scores last.
    { sort: 'mean' as const, order: [3, 4, 1, 2] },
    { sort: 'consensus' as const, order: [3, 4, 1, 2] }
  ])('by $sort', ({ sort, order }) => {
    expect(sortStats(stats, sort).map((s) => s.number)).toEqual(order);
    // The input is left as it was.
    expect(stats.map((s) => s.number)).toEqual([1, 2, 3, 4]);
  });

  it('orders the rows of the heatmap the same way', () => {
    for (const sort of ['number', 'mean', 'consensus'] as const) {
      const rows = heatmapLayout(stats, () => 'collaboration', { sort }).rows.map((r) => r.factor);
      expect(rows).toEqual(sortStats(stats, sort).map((s) => s.number));
    }
  });
});

describe('the phone heatmap', () => {
  it('is 320 units wide with all six answer columns and the mean, so it fits a 360 px screen at about full size', () => {
    const layout = heatmapLayout(stats, () => 'collaboration', { sort: 'number', ...PHONE_HEATMAP });
    expect(layout.width).toBe(320);
    expect(layout.columns.map((c) => c.key)).toEqual([1, 2, 3, 4, 5, 'unknown']);
    expect(layout.columns.at(-1)!.x + layout.cellWidth).toBeLessThanOrEqual(layout.statsX);
  });
});

describe('the projector heatmap', () => {
  it('every factor name of the framework, in both languages, takes one line, so 12 rows and the legend fit a 1920×1080 screen', async () => {
    const { readFileSync } = await import('node:fs');
    const { wrapLabel, PROJECTOR_HEATMAP, PROJECTOR_LABEL_CHARS } = await import('../../src/lib/domain/heatmap');
    const framework = JSON.parse(readFileSync(new URL('../../content/frameworks/seeds-of-innovation.json', import.meta.url), 'utf8')) as {
      factors: { number: number; title: { nl: string; en: string } }[];
    };
    for (const f of framework.factors)
      for (const title of [f.title.nl, f.title.en]) expect(wrapLabel(`${f.number}. ${title}`, PROJECTOR_LABEL_CHARS)).toHaveLength(1);
    const layout = heatmapLayout(
      Array.from({ length: 12 }, (_, i) => stat(i + 1, 3, 0.5)),
      (n) => (n <= 8 ? 'a' : 'b'),
      { sort: 'number', ...PROJECTOR_HEATMAP }
    );
    // Drawn about 2.1× on a 1920 px screen (see PresenterResults): the rows and a 60-unit legend stay within about 900 px.
    expect((layout.height + 60) * (1840 / layout.width)).toBeLessThan(940);
    expect(layout.rows.every((r) => r.height === PROJECTOR_HEATMAP.rowHeight)).toBe(true);
  });
});
