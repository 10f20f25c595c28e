/** Amounts of the resources admission counts: cores, MiB, GPUs and jobs at once. */
export interface Quantities {
  cpu: number;
  memoryMib: number;
  gpu: number;
  jobs: number;
}

/** Upper bounds; an absent dimension is unlimited. */
export type Limits = Partial<Quantities>;

export const dimensions = [
  'cpu',
  'memoryMib',
  'gpu',
  'jobs',
] as const satisfies readonly (keyof Quantities)[];

export const zero = (): Quantities => ({ cpu: 0, memoryMib: 0, gpu: 0, jobs: 0 });

export function add(into: Quantities, more: Quantities): void {
  for (const d of dimensions) into[d] += more[d];
}

/** How each dimension is named in reasons and errors. */
export const dimensionNames: Readonly<Record<keyof Quantities, string>> = {
  cpu: 'cpu',
  memoryMib: 'memory_mib',
  gpu: 'gpu',
  jobs: 'jobs',
};

/**
 * The first dimension where `used + needed` exceeds `limits`, described as
 * "cpu 2 of 2 in use, needs 1"; undefined when everything fits.
 */
export function overLimit(limits: Limits, used: Quantities, needed: Quantities): string | undefined {
  for (const d of dimensions) {
    const limit = limits[d];
    if (limit === undefined || used[d] + needed[d] <= limit + 1e-9) continue;
    return `${dimensionNames[d]} ${round(used[d])} of ${round(limit)} in use, needs ${round(needed[d])}`;
  }
  return undefined;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
