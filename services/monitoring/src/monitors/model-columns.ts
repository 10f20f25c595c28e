import { AppError, isAppError } from '@flywheel/core';
import type { ModelSignature } from '@flywheel/proto/flywheel/common/v1/model_pb.js';
import type { MonitorRecord } from '../records/monitor-records.ts';

/** The input and output names a model's registered versions declare, over all its versions. */
export interface ModelColumns {
  readonly inputs: ReadonlySet<string>;
  readonly outputs: ReadonlySet<string>;
  /** How many versions declared a signature (the names come from these). */
  readonly versions: number;
}

/** A model's columns, or undefined when they are not known (no such model, or no version has a signature). */
export type ModelColumnsLookup = (
  modelName: string,
  signal: AbortSignal,
) => Promise<ModelColumns | undefined>;

/** One page of a model's versions, as the registry's ListVersions answers it. */
export type ListVersionsPage = (
  request: { modelName: string; pageSize: number; pageToken: string },
  options: { signal: AbortSignal },
) => Promise<{ versions: ReadonlyArray<{ signature?: ModelSignature | undefined }>; nextPageToken: string }>;

const pageSize = 100;
/** A model with more versions than this is checked against its newest ones only. */
const maxPages = 10;

/**
 * Reads a model's columns from the registry. A model the registry does not know is undefined (a
 * monitor may be created before the first version is registered; the reference profile checks
 * the names then). So is a registry that cannot be reached or answers too late: the same check
 * runs when the reference is set, so creating a monitor does not depend on the registry being up
 * — nor on monitoring being allowed to read it (with auth on and no client certificate mapped for
 * monitoring, the registry refuses it): those are logged and deferred the same way.
 */
export function registryModelColumns(
  listVersions: ListVersionsPage,
  onUnreachable: (modelName: string, error: unknown) => void,
): ModelColumnsLookup {
  return async (modelName, signal) => {
    const inputs = new Set<string>();
    const outputs = new Set<string>();
    let versions = 0;
    let pageToken = '';
    try {
      for (let page = 0; page < maxPages; page++) {
        const answer = await listVersions({ modelName, pageSize, pageToken }, { signal });
        for (const version of answer.versions) {
          const signature = version.signature;
          if (!signature || signature.inputs.length + signature.outputs.length === 0) continue;
          versions++;
          for (const input of signature.inputs) inputs.add(input.name);
          for (const output of signature.outputs) outputs.add(output.name);
        }
        pageToken = answer.nextPageToken;
        if (pageToken === '') break;
      }
    } catch (error) {
      if (isAppError(error, 'not_found')) return undefined;
      const deferred = ['unavailable', 'deadline_exceeded', 'unauthenticated', 'permission_denied'] as const;
      if (deferred.some((code) => isAppError(error, code))) {
        onUnreachable(modelName, error);
        return undefined;
      }
      throw error;
    }
    return versions === 0 ? undefined : { inputs, outputs, versions };
  };
}

/**
 * Refuses a monitor that names a column no registered version of its model has: a monitored
 * feature (input or output, by its source), a slice's column, the performance spec's prediction
 * output. Throws `invalid_argument` naming the first such field.
 */
export function checkMonitorColumns(record: MonitorRecord, columns: ModelColumns): void {
  const refuse = (field: string, name: string, side: 'input' | 'output') => {
    const known = [...(side === 'input' ? columns.inputs : columns.outputs)].sort();
    const listed = known.length > 20 ? `${known.slice(0, 20).join(', ')}, …` : known.join(', ');
    throw new AppError(
      'invalid_argument',
      `model "${record.modelName}" has no ${side} "${name}" in any of its ${columns.versions} registered version(s) with a signature (its ${side}s: ${listed || 'none'})`,
      { field },
    );
  };
  const has = (name: string, side: 'input' | 'output') =>
    (side === 'input' ? columns.inputs : columns.outputs).has(name);
  record.features.forEach((feature, i) => {
    if (!has(feature.name, feature.source))
      refuse(`monitor.features[${i}].name`, feature.name, feature.source);
  });
  (record.slices ?? []).forEach((slice, i) => {
    if (!has(slice.feature, slice.source))
      refuse(`monitor.slices[${i}].feature`, slice.feature, slice.source);
  });
  const output = record.performance?.predictionOutput;
  if (output !== undefined && !has(output, 'output'))
    refuse('monitor.performance.prediction_output', output, 'output');
}
