import { describe, expect, it } from 'vitest';
import { labelStride, labelled } from '../../src/lib/domain/axis';

describe('trend axis labels', () => {
  it('labels every point while they fit side by side', () => {
    expect(labelStride(1, 256, 40)).toBe(1);
    expect(labelStride(6, 256, 40)).toBe(1);
  });

  it('thins the labels so that labelled points are at least a label apart, the latest always labelled', () => {
    for (const count of [7, 12, 24, 100, 1000]) {
      const stride = labelStride(count, 256, 40);
      const shown = Array.from({ length: count }, (_, i) => i).filter((i) => labelled(i, count, stride));
      expect(shown.at(-1)).toBe(count - 1);
      // Neighbouring labels are at least one label width apart on the axis.
      expect((stride * 256) / count).toBeGreaterThanOrEqual(40);
      // And not thinner than needed: one step less would overlap.
      if (stride > 1) expect(((stride - 1) * 256) / count).toBeLessThan(40);
      expect(shown.length).toBeGreaterThan(0);
    }
  });
});
