/**
 * Which points of a category axis get a label when there are more than the axis can hold side by side:
 * every `stride`-th one, counted back from the latest (the session people look for first), so labels
 * never overlap however many sessions a community has. Points without a label are still drawn, and
 * named in their tooltip and the chart's table. Pure: no I/O.
 */
export function labelStride(count: number, axisWidth: number, labelWidth: number): number {
  if (count <= 1 || axisWidth <= 0) return 1;
  const step = axisWidth / count;
  return Math.max(1, Math.ceil(labelWidth / step));
}

/** Whether point `index` of `count` is labelled with the given stride (the latest always is). */
export function labelled(index: number, count: number, stride: number): boolean {
  return (count - 1 - index) % stride === 0;
}
