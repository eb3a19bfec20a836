/** The statistics the cold starts are reported with: pairs of imports, summed up robustly. */

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]! * 10) / 10;
};

/** The mean of the middle half (the interquartile mean): steadier than a median, blind to outliers. */
export function middleMean(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const quarter = Math.floor(sorted.length / 4);
  const middle = sorted.slice(quarter, sorted.length - quarter);
  return middle.reduce((sum, value) => sum + value, 0) / middle.length;
}

/** The quartiles of a list: its spread, reported beside the figure. */
export function quartiles(values: number[]): [number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.floor(q * (sorted.length - 1))]! * 100) / 100;
  return [at(0.25), at(0.75)];
}

/**
 * The standard error of the pairs' interquartile mean, from their spread (the quartiles'
 * distance is 1.35 standard deviations of a normal spread): how far two runs' ratios may
 * differ by chance alone.
 */
export function standardError(ratios: number[]): number {
  const [first, third] = quartiles(ratios);
  return (third - first) / 1.35 / Math.sqrt(ratios.length);
}
