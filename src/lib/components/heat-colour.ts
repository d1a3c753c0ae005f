import { scaleSequential } from 'd3-scale';
import { interpolateYlGnBu } from 'd3-scale-chromatic';

// D3 keeps the colour ramp: YlGnBu (ColorBrewer) is sequential, reads in greyscale and for the
// common colour-vision deficiencies; empty cells are drawn apart so "nobody" never looks like "a few".
// One ramp for the heatmap and the phone summary, so a share has the same colour in both.
const ramp = scaleSequential((t: number) => interpolateYlGnBu(0.12 + t * 0.88)).domain([0, 1]);

/** The fill for a share (0..1) of a factor's answers. */
export const heatColour = (share: number): string => ramp(share);

/** Text that stays readable on that fill. */
export const textOn = (share: number): string => (share > 0.5 ? '#ffffff' : '#111111');
