const blocks = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** A one-line chart of `values` (a histogram or a series), scaled to their own range: `▁▃▇█▅▂`. */
export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return '';
  const max = Math.max(...values);
  const min = Math.min(0, ...values);
  const span = max - min || 1;
  return values.map((v) => blocks[Math.min(7, Math.round(((v - min) / span) * 7))]).join('');
}

/**
 * A bar of `value` against `threshold`, `width` cells for twice the threshold, with `│` at the
 * threshold: `█████│██  ` is a statistic past its limit. Values over twice the threshold fill the bar.
 */
export function thresholdBar(value: number, threshold: number, width = 20): string {
  if (!(threshold > 0) || !Number.isFinite(value)) return '';
  const half = Math.floor(width / 2);
  const filled = Math.max(0, Math.min(width, Math.round((value / threshold) * half)));
  const cells: string[] = Array.from({ length: width }, (_, i) => (i < filled ? '█' : ' '));
  cells.splice(half, 0, '│');
  return cells.join('');
}

/**
 * A histogram on `cells` equal-width cells over [min, max], from bins of any widths (the
 * reference's are equal-frequency, so their counts alone look flat): each bin's count is spread
 * evenly over its range, open-ended outer bins clipped to [min, max].
 */
export function densityCells(
  edges: readonly number[],
  counts: readonly number[],
  min: number,
  max: number,
  cells: number,
): number[] {
  const out = new Array<number>(cells).fill(0);
  const span = max - min;
  if (!(span > 0)) return counts.length ? [counts.reduce((a, b) => a + b, 0)] : [];
  counts.forEach((count, i) => {
    const lo = Math.max(min, edges[i] ?? min);
    const hi = Math.min(max, edges[i + 1] ?? max);
    if (!(hi > lo)) {
      // A bin of one value (or wholly outside): all of it in the cell holding that value.
      const at = Math.min(cells - 1, Math.max(0, Math.floor(((lo - min) / span) * cells)));
      out[at]! += count;
      return;
    }
    for (let c = 0; c < cells; c++) {
      const a = min + (c * span) / cells;
      const b = min + ((c + 1) * span) / cells;
      const overlap = Math.min(b, hi) - Math.max(a, lo);
      if (overlap > 0) out[c]! += (count * overlap) / (hi - lo);
    }
  });
  return out;
}
