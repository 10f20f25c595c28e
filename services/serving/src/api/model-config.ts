import { create } from '@bufbuild/protobuf';
import {
  DataType,
  type ModelConfig,
  ModelConfigSchema,
  ModelInstanceGroup_Kind,
} from '@flywheel/proto/inference/model_config_pb.js';
import type { ServedModels } from '../deployments/served-models.ts';
import type { TensorSpec } from '../runtime/model-runner.ts';
import type { OipDatatype } from '../runtime/oip-datatypes.ts';

/**
 * Triton's `max_batch_size` for a batched model served without dynamic batching: serving puts no
 * row limit of its own on a request (only the message size bounds it), and Triton has no "no limit"
 * value (0 means "not batched"), so the largest int32.
 */
export const unlimitedBatchSize = 2_147_483_647;

/** A tensor as Triton's model configuration states it. */
interface ConfigTensor {
  name: string;
  dataType: keyof typeof DataType;
  dims: number[];
}

/** The Triton model configuration of a deployment's live model (shared by gRPC and REST). */
export interface ModelConfigDescription {
  name: string;
  platform: 'onnxruntime_onnx';
  backend: 'onnxruntime';
  maxBatchSize: number;
  input: ConfigTensor[];
  output: ConfigTensor[];
  instanceGroup: { name: string; kind: 'KIND_CPU'; count: number }[];
  dynamicBatching?: { preferredBatchSize: number[]; maxQueueDelayMicroseconds: number };
}

/**
 * The configuration of deployment `name`'s live model, from its ONNX signature and the runtime
 * settings it was loaded with. The model counts as batched (`max_batch_size` > 0, the first
 * dimension left out of `dims`) when every input and output has a variable first dimension; its
 * `max_batch_size` is the dynamic batcher's, else {@link unlimitedBatchSize}.
 *
 * @throws AppError not_found for an unknown deployment or another version; unavailable when no
 *   version is loaded (checked like an inference request's target).
 */
export function modelConfigOf(served: ServedModels, name: string, version: string): ModelConfigDescription {
  const lease = served.acquire(name, version);
  lease.release();
  const { runner, runtime } = lease.model;
  const { inputs, outputs } = runner.signature;
  const batched = [...inputs, ...outputs].every(
    (spec) => spec.shape.length > 0 && typeof spec.shape[0] !== 'number',
  );
  const batching = runtime?.dynamicBatching;
  const tensor = (spec: TensorSpec): ConfigTensor => ({
    name: spec.name,
    dataType: dataTypeOf(spec.datatype),
    dims: (batched ? spec.shape.slice(1) : spec.shape).map((dim) => (typeof dim === 'number' ? dim : -1)),
  });
  return {
    name,
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    maxBatchSize: batched ? (batching?.maxBatchSize ?? unlimitedBatchSize) : 0,
    input: inputs.map(tensor),
    output: outputs.map(tensor),
    instanceGroup: [
      {
        name: `${name}_0`,
        kind: 'KIND_CPU',
        count: runner.instances ?? Math.max(1, runtime?.instanceCount ?? 1),
      },
    ],
    ...(batching
      ? {
          dynamicBatching: {
            preferredBatchSize: [...batching.preferredBatchSizes],
            maxQueueDelayMicroseconds: batching.maxQueueDelayUs,
          },
        }
      : {}),
  };
}

/** Triton's DataType of an OIP datatype (BYTES is Triton's TYPE_STRING). */
function dataTypeOf(datatype: OipDatatype): keyof typeof DataType {
  return datatype === 'BYTES' ? 'TYPE_STRING' : (`TYPE_${datatype}` as keyof typeof DataType);
}

/** The configuration as the gRPC ModelConfigResponse carries it. */
export function modelConfigMessage(config: ModelConfigDescription): ModelConfig {
  const tensor = (t: ConfigTensor) => ({
    name: t.name,
    dataType: DataType[t.dataType],
    dims: t.dims.map(BigInt),
  });
  return create(ModelConfigSchema, {
    name: config.name,
    platform: config.platform,
    backend: config.backend,
    maxBatchSize: config.maxBatchSize,
    input: config.input.map(tensor),
    output: config.output.map(tensor),
    instanceGroup: config.instanceGroup.map((group) => ({
      name: group.name,
      kind: ModelInstanceGroup_Kind.CPU,
      count: group.count,
    })),
    ...(config.dynamicBatching
      ? {
          dynamicBatching: {
            preferredBatchSize: config.dynamicBatching.preferredBatchSize,
            maxQueueDelayMicroseconds: BigInt(config.dynamicBatching.maxQueueDelayMicroseconds),
          },
        }
      : {}),
  });
}

/**
 * The configuration as Triton's REST `GET …/config` answers it: the ModelConfig's fields by their
 * proto names, enums by name, integers as JSON numbers (as Triton writes them).
 */
export function modelConfigJson(config: ModelConfigDescription): Record<string, unknown> {
  const tensor = (t: ConfigTensor) => ({ name: t.name, data_type: t.dataType, dims: t.dims });
  return {
    name: config.name,
    platform: config.platform,
    backend: config.backend,
    max_batch_size: config.maxBatchSize,
    input: config.input.map(tensor),
    output: config.output.map(tensor),
    instance_group: config.instanceGroup,
    ...(config.dynamicBatching
      ? {
          dynamic_batching: {
            preferred_batch_size: config.dynamicBatching.preferredBatchSize,
            max_queue_delay_microseconds: config.dynamicBatching.maxQueueDelayMicroseconds,
          },
        }
      : {}),
  };
}
