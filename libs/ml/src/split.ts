import { AppError } from '@flywheel/core';
import { seededRandom } from './seeded-random.ts';

/** Rows divided into the part a model learns from and the part it is judged on. */
export interface Split<T> {
  train: T[];
  holdout: T[];
}

export interface TimeOrderedHoldoutOptions<T> {
  /** Share of the rows, the latest ones, held out: in (0, 1). */
  holdoutFraction: number;
  /**
   * The row's time (any monotone number, e.g. epoch ms). Omitted: rows are taken as already in time
   * order. Rows with equal times keep their input order (the sort is stable).
   */
  timeOf?: (row: T) => number;
}

export interface ShuffleSplitOptions {
  /** Share of the rows held out: in (0, 1). */
  holdoutFraction: number;
  /** Seed of the shuffle: the same seed and rows always give the same split. */
  seed: number;
}

/**
 * Holds out the latest `holdoutFraction` of the rows, so the model is judged on data from after
 * everything it learned from, as it will be in production. The holdout has
 * `round(n × holdoutFraction)` rows, clamped so that both parts have at least one row.
 *
 * @throws AppError invalid_argument when there are fewer than 2 rows, the fraction is outside
 *   (0, 1), or a time is not a finite number.
 */
export function timeOrderedHoldout<T>(rows: readonly T[], options: TimeOrderedHoldoutOptions<T>): Split<T> {
  const holdoutSize = holdoutSizeOf(rows.length, options.holdoutFraction);
  const { timeOf } = options;
  let ordered: T[];
  if (timeOf === undefined) {
    ordered = [...rows];
  } else {
    const timed = rows.map((row, index) => {
      const time = timeOf(row);
      if (!Number.isFinite(time)) {
        throw AppError.invalidArgument(`rows[${index}]`, `time must be a finite number, got ${time}`);
      }
      return { row, time };
    });
    timed.sort((a, b) => a.time - b.time);
    ordered = timed.map((entry) => entry.row);
  }
  const cut = ordered.length - holdoutSize;
  return { train: ordered.slice(0, cut), holdout: ordered.slice(cut) };
}

/**
 * Shuffles the rows with a seeded generator (Fisher–Yates) and holds out `holdoutFraction` of them
 * (`round(n × holdoutFraction)` rows, clamped so that both parts have at least one row). Each part
 * keeps the shuffled order.
 *
 * @throws AppError invalid_argument when there are fewer than 2 rows or the fraction is outside (0, 1).
 */
export function shuffleSplit<T>(rows: readonly T[], options: ShuffleSplitOptions): Split<T> {
  const holdoutSize = holdoutSizeOf(rows.length, options.holdoutFraction);
  if (!Number.isInteger(options.seed)) {
    throw AppError.invalidArgument('seed', `must be an integer, got ${options.seed}`);
  }
  const random = seededRandom(options.seed);
  const shuffled = [...rows];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = shuffled[i]!;
    shuffled[i] = shuffled[j]!;
    shuffled[j] = swap;
  }
  const cut = shuffled.length - holdoutSize;
  return { train: shuffled.slice(0, cut), holdout: shuffled.slice(cut) };
}

function holdoutSizeOf(rowCount: number, fraction: number): number {
  if (!(fraction > 0 && fraction < 1)) {
    throw AppError.invalidArgument('holdoutFraction', `must be in (0, 1), got ${fraction}`);
  }
  if (rowCount < 2) {
    throw AppError.invalidArgument('rows', `need at least 2 rows to split, got ${rowCount}`);
  }
  return Math.min(rowCount - 1, Math.max(1, Math.round(rowCount * fraction)));
}
