import { AppError } from '@flywheel/core';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import type { StoredValue } from '../values/feature-values.ts';
import { typeName } from '../values/feature-values.ts';
import type { OnDemandViewDefinition } from '../values/on-demand-view-records.ts';
import {
  type CompiledExpression,
  compileExpression,
  type ExprInput,
  type ExprScope,
  type ExprType,
  type ExprValue,
} from './compile-expression.ts';

/** An on-demand view's expressions, compiled once and run on every row, online and offline. */
export interface CompiledOnDemandView {
  /** Per declared feature, its compiled expression. */
  readonly expressions: readonly CompiledExpression[];
  /** Every feature view feature the expressions read, `<view>:<feature>`, in order of first use. */
  readonly sourceRefs: readonly string[];
  /** The request fields the expressions read, in order of first use. */
  readonly requestFields: readonly string[];
  /**
   * The view's features for one row, aligned with its declared features. `input` gives each
   * input's stored value (null when missing); the result is in stored form for the declared type.
   */
  computeRow(input: (input: ExprInput) => StoredValue, only?: ReadonlySet<number>): StoredValue[];
  /** The request fields the features at `indexes` read, in order of first use. */
  requestFieldsOf(indexes: ReadonlySet<number>): string[];
}

const int32Min = -(2n ** 31n);
const int32Max = 2n ** 31n - 1n;
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;
const safeMax = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Compiles every feature of `view` against `scope` (the catalog at apply time, the stored
 * source types afterwards). Throws `invalid_argument` naming
 * `<field>.features[i].expression` (with the column) or `<field>.features[i].value_type`.
 */
export function compileOnDemandView(
  view: Pick<OnDemandViewDefinition, 'features'>,
  scope: ExprScope,
  field: string,
): CompiledOnDemandView {
  const expressions = view.features.map((feature, i) => {
    const at = `${field}.features[${i}]`;
    const wanted = exprTypeOf(feature.valueType);
    if (wanted === undefined) {
      throw AppError.invalidArgument(
        `${at}.value_type`,
        `must be DOUBLE, FLOAT, INT32, INT64, STRING or BOOL, got ${typeName(feature.valueType)}`,
      );
    }
    const compiled = compileExpression(feature.expression, scope, `${at}.expression`);
    if (compiled.type !== wanted && !(compiled.type === 'int' && wanted === 'double')) {
      throw AppError.invalidArgument(
        `${at}.expression`,
        `is ${compiled.type}, but the feature is ${typeName(feature.valueType)}`,
      );
    }
    return compiled;
  });
  const sourceRefs = new Set<string>();
  const requestFields = new Set<string>();
  for (const e of expressions) {
    for (const input of e.inputs) {
      if (input.kind === 'feature') sourceRefs.add(`${input.view}:${input.feature}`);
      else requestFields.add(input.name);
    }
  }
  const types = view.features.map((f) => f.valueType);
  return {
    expressions,
    sourceRefs: [...sourceRefs],
    requestFields: [...requestFields],
    requestFieldsOf(indexes) {
      const names = new Set<string>();
      for (const [i, e] of expressions.entries()) {
        if (!indexes.has(i)) continue;
        for (const x of e.inputs) if (x.kind === 'request') names.add(x.name);
      }
      return [...names];
    },
    computeRow(input, only) {
      // Features not asked for are not computed: their request fields need not be given.
      return expressions.map((e, i) =>
        only && !only.has(i)
          ? null
          : storedOf(e.evaluate(e.inputs.map((x) => scalarOf(input(x)))), types[i]!),
      );
    },
  };
}

function storedOf(value: ExprValue | null, type: ValueType): StoredValue {
  if (value === null) return null;
  switch (type) {
    case ValueType.DOUBLE:
      return Number(value);
    case ValueType.FLOAT: {
      const single = Math.fround(Number(value));
      return Number.isFinite(single) ? single : null;
    }
    case ValueType.INT32:
      return typeof value === 'bigint' && value >= int32Min && value <= int32Max ? Number(value) : null;
    case ValueType.INT64:
      if (typeof value !== 'bigint' || value < int64Min || value > int64Max) return null;
      return value >= -safeMax && value <= safeMax ? Number(value) : value.toString();
    default:
      return value as string | boolean;
  }
}

function scalarOf(value: StoredValue): ExprValue | null {
  return value === null || Array.isArray(value) ? null : value;
}

/** The expression type a declared type maps to; undefined for types expressions cannot use. */
export function exprTypeOf(type: ValueType): ExprType | undefined {
  switch (type) {
    case ValueType.DOUBLE:
    case ValueType.FLOAT:
      return 'double';
    case ValueType.INT32:
    case ValueType.INT64:
      return 'int';
    case ValueType.STRING:
      return 'string';
    case ValueType.BOOL:
      return 'bool';
    default:
      return undefined;
  }
}
