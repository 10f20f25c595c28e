import { randomUUID } from 'node:crypto';
import type { BlobStore } from '@flywheel/blobs';
import type { Logger } from '@flywheel/core';
import { type Column, cellsOf } from '@flywheel/datasets';
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
import { rowsOf } from './dataset-columns.ts';
import type { ProfileLimits } from './feature-profile.ts';
import { type ModelOutputs, type ModelOutputsSpec, openModelOutputs } from './model-outputs.ts';
import {
  type ProfileTable,
  type ProfileWanted,
  planColumns,
  profileDataset,
  profileSampleBudget,
} from './profile-dataset.ts';
import { readDatasetColumns } from './read-dataset-columns.ts';
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
    let profiled = new Map<string, string>();
    let helpers = new Map<string, string>();
    const read = await readDatasetColumns(blobs, dataset.sha256, dataset.format, {
      signal,
      columns: (available) => {
        const columns = dataset.columns ?? available;
        profiled = planColumns(columns, fromData);
        helpers = helperNames.size > 0 ? planColumns(columns, helper) : new Map();
        return [...new Set([...helpers.keys(), ...profiled.keys()])];
      },
    });
    // The table by feature name: a profiled column wins over a helper one for the same feature.
    const columns = new Map<string, Column>();
    for (const [column, feature] of [...helpers, ...profiled]) {
      const values = read.columns.get(column);
      if (values) columns.set(feature, values);
    }
    const names = [...new Set(profiled.values())];
    if (model && read.rows > 0) {
      for (const [name, column] of await scoredOutputs(model, columns, read.rows, signal)) {
        columns.set(name, column);
      }
      names.push(...model.outputs.filter((name) => !names.includes(name)));
    }
    const sources = new Map(wanted.sources ?? []);
    for (const name of model?.outputs ?? []) sources.set(name, 'output');
    const profileWanted: ProfileWanted = { names: new Set(names), kinds: wanted.kinds, sources };
    const table: ProfileTable = {
      rows: read.rows,
      columns: new Map(names.map((name) => [name, columns.get(name) ?? missingColumn(read.rows)])),
    };
    const segmentRows = new Map<string, number[]>();
    for (const slice of slices) {
      for (const segment of segmentsOf(slice)) if (!segmentRows.has(segment)) segmentRows.set(segment, []);
      const column = columns.get(slice.feature);
      const cells = column ? cellsOf(column) : [];
      for (let i = 0; i < read.rows; i++) {
        const segment = segmentOf(slice, cells[i] ?? null);
        if (segment !== undefined) segmentRows.get(segment)!.push(i);
      }
    }
    const shares = 1 + segmentRows.size;
    const limits = {
      ...options.limits,
      sampleSize: Math.max(1, Math.floor((options.limits.sampleSize ?? profileSampleBudget) / shares)),
    };
    const profile = (part: ProfileTable) =>
      profileDataset(part, {
        wanted: profileWanted,
        limits,
        sampleBudget: Math.floor(profileSampleBudget / shares),
      });
    const features = names.length > 0 ? await profile(table) : [];
    const segments: SegmentProfileRecord[] = [];
    for (const [segment, indices] of segmentRows) {
      const at = Int32Array.from(indices);
      const part: ProfileTable = {
        rows: at.length,
        columns: new Map([...table.columns].map(([name, column]) => [name, rowsOf(column, at)])),
      };
      segments.push({ segment, rows: at.length, features: at.length > 0 ? await profile(part) : [] });
    }
    return { features, segments, unprofiled: [...(model?.unavailable ?? [])] };
  } finally {
    await model?.close();
  }
}

/**
 * The model's outputs over the table's rows, as columns: the scorer takes rows, so only the model's
 * inputs are put into row objects (the profiled columns are not).
 */
async function scoredOutputs(
  model: ModelOutputs,
  columns: ReadonlyMap<string, Column>,
  rows: number,
  signal: AbortSignal,
): Promise<Map<string, Column>> {
  const inputs = model.inputs.map((name) => [name, columns.get(name)] as const);
  const inputCells = inputs.map(([name, column]) => [name, column ? cellsOf(column) : []] as const);
  const scored: Array<Record<string, Scalar>> = Array.from({ length: rows }, (_, i) => {
    const row: Record<string, Scalar> = {};
    for (const [name, cells] of inputCells) row[name] = cells[i] ?? null;
    return row;
  });
  await model.score(scored, signal);
  return new Map(
    model.outputs.map((name) => [name, cellColumn(scored.map((row) => row[name] ?? null))] as const),
  );
}

/** Cells as a column: packed when all are numbers or missing. */
function cellColumn(cells: Scalar[]): Column {
  if (!cells.every((cell) => cell === null || typeof cell === 'number'))
    return { type: 'cells', values: cells };
  return { type: 'numbers', values: Float64Array.from(cells, (cell) => (cell === null ? Number.NaN : cell)) };
}

function missingColumn(rows: number): Column {
  return { type: 'numbers', values: new Float64Array(rows).fill(Number.NaN) };
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
