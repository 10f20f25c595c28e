import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { AppError } from '@flywheel/core';
import type { ValueSchema } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import {
  FeatureStatus,
  FeatureStoreService,
} from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import {
  type ModelInferRequest,
  type ModelInferRequest_InferInputTensor,
  ModelInferRequest_InferInputTensorSchema,
} from '@flywheel/proto/inference/grpc_service_pb.js';
import { createRpcClient, type PeerClientOptions } from '@flywheel/rpc';
import type { FeatureEnrichmentRecord } from '../deployments/deployment-records.ts';
import type { ServedLookup } from '../observability/prediction-rows.ts';
import type { ModelSignature } from '../runtime/model-runner.ts';
import { numberOf } from '../runtime/number-of.ts';

/** A request with its inputs completed, and what was looked up (none when nothing was missing). */
export interface EnrichedRequest {
  readonly request: ModelInferRequest;
  readonly served?: ServedLookup;
}

/**
 * Completes a request's missing inputs from the feature store (see FeatureEnrichment in
 * serving.proto); returns the request unchanged when it gives every mapped input.
 *
 * @throws AppError invalid_argument naming the entity field when the entity id is missing, or an
 *   entity is unknown / a feature is null or expired for it; what GetOnlineFeatures throws
 *   (unavailable, deadline_exceeded…) when the feature store cannot answer.
 */
export type EnrichInputs = (
  request: ModelInferRequest,
  signature: ModelSignature,
  enrichment: FeatureEnrichmentRecord,
  options: { signal: AbortSignal },
) => Promise<EnrichedRequest>;

export interface FeatureEnrichment {
  enrich: EnrichInputs;
  close(): void;
}

const statusText: Partial<Record<FeatureStatus, string>> = {
  [FeatureStatus.NULL_VALUE]: 'is null',
  [FeatureStatus.NOT_FOUND]: 'has no value',
  [FeatureStatus.EXPIRED]: 'is expired (older than the view TTL)',
};

const numericTypes = new Set(['FP32', 'FP64', 'INT32', 'INT64']);

/** Looks features up with the REAL feature store's GetOnlineFeatures at `address`. */
export function createFeatureEnrichment(options: {
  address: string;
  timeoutMs?: number;
  /** The host's peer client options (TLS, the service's token). */
  peer?: PeerClientOptions;
}): FeatureEnrichment {
  const client = createRpcClient(FeatureStoreService, {
    address: options.address,
    ...options.peer,
  });
  const timeoutMs = options.timeoutMs ?? 2_000;

  const enrich: EnrichInputs = async (request, signature, enrichment, { signal }) => {
    const given = new Set(request.inputs.map((input) => input.name));
    const missing = Object.entries(enrichment.features).filter(([input]) => !given.has(input));
    if (missing.length === 0) return { request };
    const entity = entityIdsOf(request, enrichment.entityKey);
    if (!entity) {
      throw AppError.invalidArgument(
        'inputs',
        `inputs ${missing.map(([input]) => `"${input}"`).join(', ')} are missing; give them, or the entity id as the BYTES input or request parameter "${enrichment.entityKey}" to look them up in the feature store`,
      );
    }
    const specs = missing.map(([input, reference]) => {
      const spec = signature.inputs.find((candidate) => candidate.name === input);
      if (!spec || !numericTypes.has(spec.datatype)) {
        throw new AppError(
          'failed_precondition',
          `feature enrichment maps "${reference}" to input "${input}", which the model does not have as a number input`,
        );
      }
      return { input, reference, spec };
    });
    const response = await client.getOnlineFeatures(
      {
        features: specs.map((s) => s.reference),
        entityKeys: entity.ids.map((id) => ({
          joinKeys: { [enrichment.joinKey]: { kind: { case: 'stringValue', value: id } } },
        })),
        ...requestDataOf(request, enrichment.entityKey, entity.ids.length),
      },
      { signal, timeoutMs },
    );
    const rows = entity.ids.length;
    const raw = request.rawInputContents.length > 0;
    const inputs: ModelInferRequest_InferInputTensor[] = [];
    const rawContents: Uint8Array[] = [];
    // The entity input goes unless the model itself declares it.
    const keepEntity = signature.inputs.some((spec) => spec.name === enrichment.entityKey);
    request.inputs.forEach((input, i) => {
      if (input.name === enrichment.entityKey && entity.from === 'input' && !keepEntity) return;
      inputs.push(input);
      if (raw && request.rawInputContents[i]) rawContents.push(request.rawInputContents[i]);
    });
    specs.forEach(({ input, reference, spec }) => {
      const column = response.featureNames.indexOf(reference);
      const values = entity.ids.map((id, row) => {
        const vector = response.results[row];
        const status = vector?.statuses[column];
        const value = vector?.values[column];
        const number = value ? numberOf(value) : undefined;
        if (status !== FeatureStatus.PRESENT || number === undefined) {
          throw AppError.invalidArgument(
            entity.from === 'input' ? `inputs.${enrichment.entityKey}` : `parameters.${enrichment.entityKey}`,
            `feature ${reference} of ${enrichment.entityKey} "${id}" ${statusText[status ?? FeatureStatus.NOT_FOUND] ?? 'is not a number'} in the feature store`,
          );
        }
        return number;
      });
      const shape = spec.shape.length === 1 ? [BigInt(rows)] : [BigInt(rows), 1n];
      const tensor = { name: input, datatype: spec.datatype, shape };
      if (raw) {
        inputs.push(create(ModelInferRequest_InferInputTensorSchema, tensor));
        rawContents.push(rawBytes(spec.datatype, values));
      } else {
        inputs.push(
          create(ModelInferRequest_InferInputTensorSchema, {
            ...tensor,
            contents: typedContents(spec.datatype, values),
          }),
        );
      }
    });
    return {
      request: { ...request, inputs, rawInputContents: rawContents },
      served: {
        joinKey: enrichment.joinKey,
        entityIds: entity.ids,
        features: Object.fromEntries(specs.map((s) => [s.input, s.reference])),
      },
    };
  };

  return { enrich, close: () => client.close() };
}

/**
 * The request's parameters (but the entity key) as the feature store's request data, the same for
 * every row: what on-demand feature views read as `request.<name>`; the feature store uses only
 * the fields a requested on-demand feature reads, and names a missing one.
 */
function requestDataOf(
  request: ModelInferRequest,
  entityKey: string,
  rows: number,
): { requestData?: { values: Record<string, MessageInitShape<typeof ValueSchema>> }[] } {
  const values: Record<string, MessageInitShape<typeof ValueSchema>> = {};
  for (const [name, parameter] of Object.entries(request.parameters)) {
    if (name === entityKey) continue;
    const choice = parameter.parameterChoice;
    switch (choice.case) {
      case 'boolParam':
        values[name] = { kind: { case: 'boolValue', value: choice.value } };
        break;
      case 'int64Param':
        values[name] = { kind: { case: 'int64Value', value: choice.value } };
        break;
      case 'uint64Param':
        if (choice.value <= 2n ** 63n - 1n)
          values[name] = { kind: { case: 'int64Value', value: choice.value } };
        break;
      case 'stringParam':
        values[name] = { kind: { case: 'stringValue', value: choice.value } };
        break;
      case 'doubleParam':
        values[name] = { kind: { case: 'doubleValue', value: choice.value } };
        break;
    }
  }
  if (Object.keys(values).length === 0) return {};
  return { requestData: Array.from({ length: rows }, () => ({ values })) };
}

/** Entity ids of a request: each element of the BYTES input `key`, else the parameter `key`. */
function entityIdsOf(
  request: ModelInferRequest,
  key: string,
): { ids: string[]; from: 'input' | 'parameter' } | undefined {
  const index = request.inputs.findIndex((input) => input.name === key);
  if (index >= 0) {
    const input = request.inputs[index]!;
    if (input.datatype !== 'BYTES') {
      throw AppError.invalidArgument(
        `inputs.${key}`,
        `the entity id input must be BYTES, got ${input.datatype}`,
      );
    }
    const raw = request.rawInputContents[index];
    const ids = raw
      ? bytesElements(raw)
      : (input.contents?.bytesContents ?? []).map((b) => new TextDecoder().decode(b));
    if (ids.length === 0) throw AppError.invalidArgument(`inputs.${key}`, 'holds no entity id');
    return { ids, from: 'input' };
  }
  const choice = request.parameters[key]?.parameterChoice;
  if (!choice || choice.case === undefined) return undefined;
  return { ids: [String(choice.value)], from: 'parameter' };
}

/** Elements of a raw BYTES tensor: each a 4-byte little-endian length, then the bytes. */
function bytesElements(raw: Uint8Array): string[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const ids: string[] = [];
  for (let at = 0; at + 4 <= raw.byteLength; ) {
    const length = view.getUint32(at, true);
    at += 4;
    if (at + length > raw.byteLength)
      throw AppError.invalidArgument('raw_input_contents', 'a BYTES element overruns its tensor');
    ids.push(new TextDecoder().decode(raw.subarray(at, at + length)));
    at += length;
  }
  return ids;
}

function typedContents(datatype: string, values: number[]) {
  switch (datatype) {
    case 'FP32':
      return { fp32Contents: values };
    case 'FP64':
      return { fp64Contents: values };
    case 'INT32':
      return { intContents: values.map(Math.trunc) };
    default:
      return { int64Contents: values.map((v) => BigInt(Math.trunc(v))) };
  }
}

function rawBytes(datatype: string, values: number[]): Uint8Array {
  switch (datatype) {
    case 'FP32':
      return new Uint8Array(Float32Array.from(values).buffer);
    case 'FP64':
      return new Uint8Array(Float64Array.from(values).buffer);
    case 'INT32':
      return new Uint8Array(Int32Array.from(values.map(Math.trunc)).buffer);
    default:
      return new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(Math.trunc(v)))).buffer);
  }
}
