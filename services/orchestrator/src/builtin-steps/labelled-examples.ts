import { AppError } from '@flywheel/core';
import { type FeatureRow, timeOrderedHoldout } from '@flywheel/ml';
import type { TrainingSetTable } from './read-training-set.ts';

/** One training-set row with a usable label. */
export interface LabelledExample {
  /** The row's `event_time`, epoch ms. */
  readonly time: number;
  readonly label: 0 | 1;
  readonly row: Readonly<Record<string, unknown>>;
}

/** The default share of rows, the latest by event time, that evaluation judges on and training never sees. */
export const defaultHoldoutFraction = 0.2;

/**
 * The rows whose `labelColumn` holds 0/1 (or false/true), with their event time. Rows with a null or
 * missing label are left out, so the train/holdout split depends only on the training set and the
 * label, never on which features a model reads: every model evaluated on one training set sees the
 * same holdout.
 *
 * @throws AppError invalid_argument naming `labelField` when a label is not binary, or naming
 *   `parameters.training_set_uri` when a row has no valid `event_time`.
 */
export function labelledExamples(
  table: TrainingSetTable,
  labelColumn: string,
  labelField: string,
): LabelledExample[] {
  const examples: LabelledExample[] = [];
  table.rows.forEach((row, i) => {
    const value = row[labelColumn];
    if (value === null || value === undefined) return;
    const label = value === true || value === 1 ? 1 : value === false || value === 0 ? 0 : undefined;
    if (label === undefined) {
      throw AppError.invalidArgument(
        labelField,
        `row ${i + 1} has ${labelColumn} = ${JSON.stringify(value)}; a binary label must be 0 or 1`,
      );
    }
    const eventTime = row.event_time;
    const time = typeof eventTime === 'string' ? Date.parse(eventTime) : Number.NaN;
    if (!Number.isFinite(time)) {
      throw AppError.invalidArgument(
        'parameters.training_set_uri',
        `row ${i + 1} has event_time ${JSON.stringify(eventTime)}; every row needs an RFC 3339 event_time`,
      );
    }
    examples.push({ time, label, row });
  });
  return examples;
}

/**
 * Splits examples by time: the latest `holdoutFraction` (rounded, at least one row each side) is the
 * holdout. Stable, so equal times keep file order and the split is the same on every call.
 *
 * @throws AppError invalid_argument (`parameters.holdout_fraction`) for a fraction outside (0, 1);
 *   failed_precondition (not retriable) for fewer than 2 labelled rows.
 */
export function splitByTime(
  examples: readonly LabelledExample[],
  holdoutFraction: number,
): { train: LabelledExample[]; holdout: LabelledExample[] } {
  if (!(holdoutFraction > 0 && holdoutFraction < 1)) {
    throw AppError.invalidArgument(
      'parameters.holdout_fraction',
      `must be in (0, 1), got ${holdoutFraction}`,
    );
  }
  if (examples.length < 2) {
    throw new AppError(
      'failed_precondition',
      `the training set has ${examples.length} labelled row(s); a train/holdout split needs at least 2`,
      { retriable: false },
    );
  }
  return timeOrderedHoldout(examples, { holdoutFraction, timeOf: (example) => example.time });
}

/** A model input and the training-set column feeding it. */
export interface InputColumn {
  readonly name: string;
  readonly column: string;
}

/**
 * The feature rows (input name → value) and labels of the examples where every input has a value;
 * examples with a null or missing input are dropped and counted. Booleans read as 0/1.
 *
 * @throws AppError invalid_argument naming the column when a value is neither a number, a boolean nor null.
 */
export function featureRowsOf(
  examples: readonly LabelledExample[],
  inputs: readonly InputColumn[],
): { rows: FeatureRow[]; labels: number[]; dropped: number } {
  const rows: FeatureRow[] = [];
  const labels: number[] = [];
  let dropped = 0;
  for (const example of examples) {
    const row: Record<string, number> = {};
    let complete = true;
    for (const input of inputs) {
      const value = example.row[input.column];
      if (value === null || value === undefined) {
        complete = false;
        break;
      }
      const number = typeof value === 'boolean' ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isFinite(number)) {
        throw AppError.invalidArgument(
          'parameters.training_set_uri',
          `column ${input.column} holds ${JSON.stringify(value)}; model inputs must be numbers`,
        );
      }
      row[input.name] = number;
    }
    if (!complete) {
      dropped++;
      continue;
    }
    rows.push(row);
    labels.push(example.label);
  }
  return { rows, labels, dropped };
}
