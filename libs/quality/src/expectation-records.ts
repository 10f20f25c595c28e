import type { MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs, durationMs } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';
import {
  type Expectation,
  ExpectationAction,
  type ExpectationSchema,
} from '@flywheel/proto/flywheel/featurestore/v1/expectations_pb.js';

/** What a violation does at ingest: the row is written (warn) or refused (reject). */
export type ExpectationActionName = 'warn' | 'reject';

/** A data quality expectation (of a feature view or a monitor), as stored with its owner's definition. */
export type ExpectationRecord =
  | {
      readonly kind: 'not_null';
      readonly feature: string;
      readonly action: ExpectationActionName;
      readonly maxNullFraction: number;
    }
  | {
      readonly kind: 'range';
      readonly feature: string;
      readonly action: ExpectationActionName;
      readonly min: number | null;
      readonly max: number | null;
    }
  | {
      readonly kind: 'allowed_categories';
      readonly feature: string;
      readonly action: ExpectationActionName;
      /** Sorted, unique. */
      readonly values: readonly string[];
    }
  | {
      readonly kind: 'freshness';
      readonly feature: '';
      readonly action: ExpectationActionName;
      readonly maxAgeMs: number;
    };

/** What the owner of the expectations says about one of its columns. */
export interface ExpectationColumn {
  /** How an error names the column's type, e.g. `STRING` or `CATEGORICAL`. */
  readonly typeName: string;
  /** A range can be checked on it. */
  readonly numeric: boolean;
  /** Allowed categories can be checked on it. */
  readonly categorical: boolean;
}

/** Who declares the expectations: how errors name it and its types, and what it can enforce. */
export interface ExpectationOwner {
  /** Column name → what it is; undefined for a name the owner does not have. */
  column(name: string): ExpectationColumn | undefined;
  /** How an unknown feature is explained, e.g. `is not a feature of the view`. */
  readonly unknownFeature: string;
  /** The types a range needs and categories need, as errors say them. */
  readonly numericTypes: string;
  readonly categoryTypes: string;
  /** False when the owner only watches values (a monitor): REJECT is then refused. */
  readonly canReject: boolean;
}

/**
 * The stored form of declared expectations, checked against their owner's columns. Throws
 * `invalid_argument` naming `<field>[i]…` for one that could not be enforced as written: no kind,
 * an unknown feature, a range on a non-numeric feature, bounds that are not finite or cross, no
 * allowed values, a non-positive max age, a null fraction outside [0, 1], a REJECT not-null with a
 * tolerance (a row cannot be refused by a batch fraction), a REJECT the owner cannot enforce.
 */
export function expectationsOf(
  declared: readonly Expectation[],
  owner: ExpectationOwner,
  field: string,
): ExpectationRecord[] {
  return declared.map((e, i) => {
    const at = `${field}[${i}]`;
    const action = actionOf(e.action, `${at}.action`);
    if (action === 'reject' && !owner.canReject) {
      throw AppError.invalidArgument(
        `${at}.action`,
        'EXPECTATION_ACTION_REJECT needs a write to refuse; these values are only watched, use WARN',
      );
    }
    const kind = e.kind;
    if (kind.case === undefined) {
      throw AppError.invalidArgument(
        at,
        'names no kind: set not_null, range, allowed_categories or freshness',
      );
    }
    if (kind.case === 'freshness') {
      if (e.feature !== '') {
        throw AppError.invalidArgument(
          `${at}.feature`,
          'must be empty for freshness: it is about the rows’ event times',
        );
      }
      const maxAgeMs = kind.value.maxAge ? durationMs(kind.value.maxAge) : 0;
      if (!(maxAgeMs > 0)) throw AppError.invalidArgument(`${at}.freshness.max_age`, 'must be positive');
      return { kind: 'freshness', feature: '', action, maxAgeMs };
    }
    if (e.feature === '') throw AppError.invalidArgument(`${at}.feature`, 'is required');
    const column = owner.column(e.feature);
    if (column === undefined) {
      throw AppError.invalidArgument(`${at}.feature`, `"${e.feature}" ${owner.unknownFeature}`);
    }
    switch (kind.case) {
      case 'notNull': {
        const max = kind.value.maxNullFraction;
        if (!(max >= 0 && max <= 1)) {
          throw AppError.invalidArgument(`${at}.not_null.max_null_fraction`, `must be in [0, 1], got ${max}`);
        }
        if (action === 'reject' && max !== 0) {
          throw AppError.invalidArgument(
            `${at}.not_null.max_null_fraction`,
            'must be 0 with EXPECTATION_ACTION_REJECT: every null row is refused (use WARN for a tolerance)',
          );
        }
        return { kind: 'not_null', feature: e.feature, action, maxNullFraction: max };
      }
      case 'range': {
        if (!column.numeric) {
          throw AppError.invalidArgument(
            `${at}.range`,
            `feature ${e.feature} is ${column.typeName}; a range needs ${owner.numericTypes}`,
          );
        }
        const min = kind.value.min ?? null;
        const max = kind.value.max ?? null;
        if (min === null && max === null)
          throw AppError.invalidArgument(`${at}.range`, 'sets neither min nor max');
        for (const [name, bound] of [
          ['min', min],
          ['max', max],
        ] as const) {
          if (bound !== null && !Number.isFinite(bound)) {
            throw AppError.invalidArgument(`${at}.range.${name}`, `must be finite, got ${bound}`);
          }
        }
        if (min !== null && max !== null && min > max) {
          throw AppError.invalidArgument(`${at}.range`, `min ${min} is above max ${max}`);
        }
        return { kind: 'range', feature: e.feature, action, min, max };
      }
      case 'allowedCategories': {
        if (!column.categorical) {
          throw AppError.invalidArgument(
            `${at}.allowed_categories`,
            `feature ${e.feature} is ${column.typeName}; categories need ${owner.categoryTypes}`,
          );
        }
        if (kind.value.values.length === 0) {
          throw AppError.invalidArgument(`${at}.allowed_categories.values`, 'is required');
        }
        const values = [...new Set(kind.value.values)].sort();
        return { kind: 'allowed_categories', feature: e.feature, action, values };
      }
    }
    throw AppError.invalidArgument(at, 'has an unknown kind');
  });
}

function actionOf(action: ExpectationAction, field: string): ExpectationActionName {
  switch (action) {
    case ExpectationAction.UNSPECIFIED:
    case ExpectationAction.WARN:
      return 'warn';
    case ExpectationAction.REJECT:
      return 'reject';
    default:
      throw AppError.invalidArgument(field, `unknown action ${action}`);
  }
}

/** The wire form of a stored expectation. */
export function toExpectationMessage(record: ExpectationRecord): MessageInitShape<typeof ExpectationSchema> {
  const action = record.action === 'reject' ? ExpectationAction.REJECT : ExpectationAction.WARN;
  const base = { feature: record.feature, action };
  switch (record.kind) {
    case 'not_null':
      return { ...base, kind: { case: 'notNull', value: { maxNullFraction: record.maxNullFraction } } };
    case 'range':
      return {
        ...base,
        kind: {
          case: 'range',
          value: {
            ...(record.min === null ? {} : { min: record.min }),
            ...(record.max === null ? {} : { max: record.max }),
          },
        },
      };
    case 'allowed_categories':
      return { ...base, kind: { case: 'allowedCategories', value: { values: [...record.values] } } };
    case 'freshness':
      return { ...base, kind: { case: 'freshness', value: { maxAge: durationFromMs(record.maxAgeMs) } } };
  }
}
