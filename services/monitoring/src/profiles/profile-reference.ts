import { randomUUID } from 'node:crypto';
import type { BlobStore } from '@flywheel/blobs';
import type { Logger } from '@flywheel/core';
import type { SliceRecord } from '../records/monitor-records.ts';
import type { MonitoringCollections } from '../records/monitoring-collections.ts';
import type {
  FeatureProfileRecord,
  ReferenceProfileRecord,
  SegmentProfileRecord,
  UnprofiledFeatureRecord,
} from '../records/profile-records.ts';
import type { Scalar } from '../records/sample-values.ts';
import { segmentOf, segmentsOf } from '../records/segments.ts';
import type { ProfileLimits } from './feature-profile.ts';
import { type ModelOutputsSpec, openModelOutputs } from './model-outputs.ts';
import { type ProfileWanted, planColumns, profileDataset, profileSampleBudget } from './profile-dataset.ts';
import { readDatasetRows } from './read-dataset-rows.ts';
import type { FeatureStoreClient, ReferenceDataset } from './resolve-reference-dataset.ts';

/**
 * What both ways to a reference profile need: built when a version is registered
 * (`build-reference-profile.ts`) or set through the API (`set-reference-profile.ts`).
 */
export interface ReferenceProfileDeps {
  collections: MonitoringCollections;
  blobs: BlobStore;
  featureStore: FeatureStoreClient;
  limits: Required<ProfileLimits>;
  log: Logger;
  /** Evaluates the windows of the version that waited for a profile. */
  evaluateVersionWindows(modelName: string, modelVersion: number, signal: AbortSignal): Promise<void>;
  now?: () => Date;
}

/** A profile's parts: the whole population, each segment, and what could not be profiled. */
export interface ReferenceProfileParts {
  features: FeatureProfileRecord[];
  segments: SegmentProfileRecord[];
  unprofiled: UnprofiledFeatureRecord[];
}

/**
 * Reads a reference dataset from the blob store (verified) and profiles the wanted columns. With
 * `model`, its outputs are computed over the rows (the model run in onnxruntime, see
 * `openModelOutputs`) and profiled as output columns; the dataset's own columns of those names are
 * not used, so an output reference is the model's predictions, never a label. With `slices`, each
 * segment's rows are profiled too; the sample budget is shared by the whole population and the
 * segments, so the document stays within its size.
 */
export async function profileReferenceDataset(
  blobs: BlobStore,
  dataset: ReferenceDataset,
  wanted: ProfileWanted,
  options: {
    limits: ProfileLimits;
    signal: AbortSignal;
    slices?: readonly SliceRecord[];
    model?: ModelOutputsSpec;
  },
): Promise<ReferenceProfileParts> {
  const { signal } = options;
  const slices = options.slices ?? [];
  const model = options.model ? await openModelOutputs(blobs, options.model, signal) : undefined;
  try {
    const modelOutputs = new Set(options.model?.outputs ?? []);
    const fromData: ProfileWanted = {
      ...wanted,
      names: new Set([...wanted.names].filter((name) => !modelOutputs.has(name))),
      ...(dataset.featureViews?.size ? { featureViews: dataset.featureViews } : {}),
    };
    // Columns read only to score the model or to place a row in a segment.
    const helperNames = new Set([
      ...(model?.inputs ?? []),
      ...slices.filter((s) => s.source === 'input').map((s) => s.feature),
    ]);
    const helper: ProfileWanted = { ...fromData, names: helperNames, kinds: new Map() };
    let profiled: Map<string, string> | undefined;
    let helpers: Map<string, string> | undefined;
    const rows: Array<Record<string, Scalar>> = [];
    for await (const row of readDatasetRows(blobs, dataset.sha256, dataset.format, { signal })) {
      if (!profiled || !helpers) {
        const columns = dataset.columns ?? Object.keys(row);
        profiled = planColumns(columns, fromData);
        helpers = helperNames.size > 0 ? planColumns(columns, helper) : new Map();
      }
      const plain: Record<string, Scalar> = {};
      for (const [column, feature] of helpers) plain[feature] = row[column] ?? null;
      for (const [column, feature] of profiled) plain[feature] = row[column] ?? null;
      rows.push(plain);
    }
    const names = [...new Set(profiled?.values() ?? [])];
    if (model && rows.length > 0) {
      await model.score(rows, signal);
      names.push(...model.outputs.filter((name) => !names.includes(name)));
    }
    const sources = new Map(wanted.sources ?? []);
    for (const name of model?.outputs ?? []) sources.set(name, 'output');
    const profileWanted: ProfileWanted = { names: new Set(names), kinds: wanted.kinds, sources };
    const segmentRows = new Map<string, Array<Record<string, Scalar>>>();
    for (const slice of slices) {
      for (const segment of segmentsOf(slice)) if (!segmentRows.has(segment)) segmentRows.set(segment, []);
      for (const row of rows) {
        const segment = segmentOf(slice, row[slice.feature]);
        if (segment !== undefined) segmentRows.get(segment)!.push(row);
      }
    }
    const shares = 1 + segmentRows.size;
    const limits = {
      ...options.limits,
      sampleSize: Math.max(1, Math.floor((options.limits.sampleSize ?? profileSampleBudget) / shares)),
    };
    const profile = (part: ReadonlyArray<Record<string, Scalar>>) =>
      profileDataset(inOrder(part), {
        columns: names,
        wanted: profileWanted,
        limits,
        sampleBudget: Math.floor(profileSampleBudget / shares),
      });
    const features = names.length > 0 ? await profile(rows) : [];
    const segments: SegmentProfileRecord[] = [];
    for (const [segment, part] of segmentRows) {
      segments.push({ segment, rows: part.length, features: part.length > 0 ? await profile(part) : [] });
    }
    return { features, segments, unprofiled: [...(model?.unavailable ?? [])] };
  } finally {
    await model?.close();
  }
}

async function* inOrder<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

/** A new profile record with a fresh id `rp_…`. */
export function newProfileRecord(
  modelName: string,
  modelVersion: number,
  sourceRef: string,
  features: FeatureProfileRecord[],
  now: Date,
  parts: Partial<Omit<ReferenceProfileParts, 'features'>> = {},
): ReferenceProfileRecord {
  return {
    id: `rp_${randomUUID().replaceAll('-', '')}`,
    modelName,
    modelVersion,
    sourceRef,
    features,
    ...(parts.segments?.length ? { segments: parts.segments } : {}),
    ...(parts.unprofiled?.length ? { unprofiled: parts.unprofiled } : {}),
    createTime: now.toISOString(),
  };
}
