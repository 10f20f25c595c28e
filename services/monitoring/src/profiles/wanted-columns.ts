import type { ModelSignature } from '@flywheel/proto/flywheel/common/v1/model_pb.js';
import type { FeatureKindName, FeatureSourceName, SliceRecord } from '../records/monitor-records.ts';
import { type MonitoringCollections, maxFind } from '../records/monitoring-collections.ts';
import type { ProfileWanted } from './profile-dataset.ts';

/** What a model's reference profile covers, and the slices of its monitors (segments get profiles of their own). */
export interface WantedColumns extends ProfileWanted {
  slices: SliceRecord[];
}

/**
 * The columns a model's reference profile covers: the signature's inputs (when given) and every
 * feature the model's monitors declare. Kinds come from the monitors, then from the signature's
 * datatypes (BYTES and BOOL categorical, the rest numeric); others are inferred from the data.
 */
export async function wantedColumnsOf(
  collections: MonitoringCollections,
  modelName: string,
  signature: ModelSignature | undefined,
  signal: AbortSignal,
): Promise<WantedColumns> {
  const slices: SliceRecord[] = [];
  const names = new Set<string>();
  const kinds = new Map<string, FeatureKindName>();
  const sources = new Map<string, FeatureSourceName>();
  const monitors = await collections.monitors.find({ modelName }, { limit: maxFind, signal });
  for (const { data: monitor } of monitors) {
    for (const feature of monitor.features) {
      names.add(feature.name);
      if (!kinds.has(feature.name)) kinds.set(feature.name, feature.kind);
      if (!sources.has(feature.name)) sources.set(feature.name, feature.source);
    }
    slices.push(...(monitor.slices ?? []));
  }
  for (const input of signature?.inputs ?? []) {
    names.add(input.name);
    if (!kinds.has(input.name)) {
      kinds.set(
        input.name,
        input.datatype === 'BYTES' || input.datatype === 'BOOL' ? 'categorical' : 'numeric',
      );
    }
  }
  return { names, kinds, sources, slices };
}
