import { timestampMs } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';
import type {
  ModelLineage,
  ModelSignature,
  TensorSpec,
} from '@flywheel/proto/flywheel/common/v1/model_pb.js';
import type { LineageRecord, Pairs, SignatureRecord, TensorRecord } from '../records/registry-records.ts';
import { toPairs } from '../records/registry-records.ts';

// Request parts → stored shapes, with the semantic checks the .proto rules cannot express.

/** The signature as stored; `invalid_argument` for a bad dimension or a tensor name used twice. */
export function signatureRecord(signature: ModelSignature | undefined): SignatureRecord | null {
  if (!signature || (signature.inputs.length === 0 && signature.outputs.length === 0)) return null;
  return {
    inputs: tensors(signature.inputs, 'signature.inputs'),
    outputs: tensors(signature.outputs, 'signature.outputs'),
  };
}

function tensors(specs: readonly TensorSpec[], field: string): TensorRecord[] {
  const seen = new Set<string>();
  return specs.map((spec, i) => {
    if (seen.has(spec.name)) {
      throw AppError.invalidArgument(`${field}[${i}].name`, `"${spec.name}" is named twice`);
    }
    seen.add(spec.name);
    const shape = spec.shape.map((dim, d) => {
      if (dim < -1n || dim > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw AppError.invalidArgument(
          `${field}[${i}].shape[${d}]`,
          `must be -1 (dynamic) or a size ≥ 0, got ${dim}`,
        );
      }
      return Number(dim);
    });
    return { name: spec.name, datatype: spec.datatype, shape };
  });
}

/** Metrics as stored; `invalid_argument` for NaN or an infinite value. */
export function metricPairs(metrics: Readonly<Record<string, number>>): Pairs<number> {
  for (const [name, value] of Object.entries(metrics)) {
    if (!Number.isFinite(value)) {
      throw AppError.invalidArgument(`metrics["${name}"]`, `must be a finite number, got ${value}`);
    }
  }
  return toPairs(metrics);
}

/** Lineage as stored, parents deduplicated in the order given. */
export function lineageRecord(lineage: ModelLineage | undefined): LineageRecord {
  const parents = new Map<string, { modelName: string; version: number }>();
  for (const [i, parent] of (lineage?.parentVersions ?? []).entries()) {
    if (parent.modelVersion > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw AppError.invalidArgument(`lineage.parent_versions[${i}].model_version`, 'is too large');
    }
    const version = Number(parent.modelVersion);
    parents.set(`${parent.modelName}/${version}`, { modelName: parent.modelName, version });
  }
  return {
    trainingSetRef: lineage?.trainingSetRef ?? '',
    pipelineRunId: lineage?.pipelineRunId ?? '',
    pipelineName: lineage?.pipelineName ?? '',
    codeVersion: lineage?.codeVersion ?? '',
    parentVersions: [...parents.values()],
    ...featureServiceOf(lineage),
    ...triggerEventOf(lineage),
  };
}

/** The event that started the producing run: it names the event (id and type), its time is optional. */
function triggerEventOf(lineage: ModelLineage | undefined): Pick<LineageRecord, 'triggerEvent'> {
  const event = lineage?.triggerEvent;
  if (!event) return {};
  if (event.id === '') throw AppError.invalidArgument('lineage.trigger_event.id', 'is required');
  if (event.type === '') throw AppError.invalidArgument('lineage.trigger_event.type', 'is required');
  const timeMs = event.time ? timestampMs(event.time) : 0;
  if (!Number.isFinite(timeMs) || timeMs < 0) {
    throw AppError.invalidArgument('lineage.trigger_event.time', 'must be a valid time after 1970');
  }
  return {
    triggerEvent: { id: event.id, type: event.type, source: event.source, subject: event.subject, timeMs },
  };
}

/** The lineage's feature service: a version needs a name, and a name a version (≥ 1). */
function featureServiceOf(lineage: ModelLineage | undefined): Pick<LineageRecord, 'featureService'> {
  const name = lineage?.featureService ?? '';
  const version = lineage?.featureServiceVersion ?? 0n;
  if (name === '') {
    if (version !== 0n)
      throw AppError.invalidArgument('lineage.feature_service_version', 'needs feature_service');
    return {};
  }
  if (version < 1n || version > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw AppError.invalidArgument('lineage.feature_service_version', 'must be the version used (≥ 1)');
  }
  return { featureService: { name, version: Number(version) } };
}

/** A request's int64 (a version, an offset) as a number; `invalid_argument` naming `field` beyond 2^53. */
export function safeNumber(value: bigint, field: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw AppError.invalidArgument(field, `is out of range: ${value}`);
  }
  return Number(value);
}
