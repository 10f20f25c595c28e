import { type JsonObject, type JsonValue, toJson } from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';
import type { PipelineSpec } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';

/**
 * Checks the names of run parameters against what `spec` declares: an undeclared name is rejected
 * (even with a null value). Values are not looked at (they may still be templates). Throws
 * `invalid_argument` naming `<field>.<name>`.
 */
export function checkParameterNames(spec: PipelineSpec, given: JsonObject, field: string): void {
  const declared = new Set(spec.parameters.map((p) => p.name));
  for (const name of Object.keys(given)) {
    if (!declared.has(name)) {
      const known = [...declared].join(', ') || 'none';
      throw AppError.invalidArgument(
        `${field}.${name}`,
        `the pipeline declares no parameter "${name}" (declared: ${known})`,
      );
    }
  }
}

/**
 * The parameters a run gets: `given` (already rendered) plus the declared defaults of those it does
 * not set. A `null` value counts as not set — proto3 JSON reads `null` as "field absent", and a
 * trigger template rendering a null event field should fall back to the default. Throws
 * `invalid_argument` naming `<field>.<name>` for an undeclared parameter, or a required one that is
 * not set and has no default.
 */
export function resolveRunParameters(
  spec: PipelineSpec,
  given: JsonObject | undefined,
  field: string,
): JsonObject {
  const values = given ?? {};
  checkParameterNames(spec, values, field);
  const resolved: JsonObject = {};
  for (const parameter of spec.parameters) {
    const value: JsonValue | undefined =
      (Object.hasOwn(values, parameter.name) ? values[parameter.name] : undefined) ??
      (parameter.defaultValue?.kind.case !== undefined
        ? toJson(ValueSchema, parameter.defaultValue)
        : undefined);
    if (value === undefined) {
      if (parameter.required) {
        throw AppError.invalidArgument(
          `${field}.${parameter.name}`,
          'is required by the pipeline and has no default',
        );
      }
      continue;
    }
    resolved[parameter.name] = value;
  }
  return resolved;
}
