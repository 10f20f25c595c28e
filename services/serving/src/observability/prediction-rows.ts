import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { type Tensor, TensorSchema, type ValueSchema } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import type { PredictionSchema } from '@flywheel/proto/flywheel/events/v1/prediction_pb.js';
import type { TensorValue } from '../runtime/model-runner.ts';
import type { OipDatatype, TensorData } from '../runtime/oip-datatypes.ts';
import { encodeRaw } from '../runtime/raw-tensors.ts';

type PredictionInit = MessageInitShape<typeof PredictionSchema>;
type ValueInit = MessageInitShape<typeof ValueSchema>;

/** Which features enrichment looked up for which entities: logged with the predictions for skew checks. */
export interface ServedLookup {
  /** The view's join key the entity ids were looked up by. */
  readonly joinKey: string;
  /** One entity id per request row. */
  readonly entityIds: readonly string[];
  /** Model input → feature reference "<view>:<feature>", for the inputs looked up. */
  readonly features: Readonly<Record<string, string>>;
}

/** One inference request, kept for logging off the request path. */
export interface PredictionSample {
  readonly deploymentName: string;
  readonly modelName: string;
  readonly team: string;
  readonly modelVersion: number;
  readonly requestId: string;
  /** When it was answered, epoch ms. */
  readonly timeMs: number;
  /** Server-side latency, ns. */
  readonly latencyNs: bigint;
  readonly inputs: ReadonlyMap<string, TensorValue>;
  readonly outputs: ReadonlyMap<string, TensorValue>;
  /** Rows (the first dimension of the inputs). */
  readonly rows: number;
  /** The features enrichment looked up, when it did: logged as each row's `served_features`. */
  readonly served?: ServedLookup;
}

/**
 * One Prediction per row of a request. Each input and output is logged by name: a row of a [N] or
 * [N, 1] tensor as a scalar, a row of [N, k…] as a list, a scalar tensor as itself on every row.
 * Numbers are logged as `double_value` (floats) or `int64_value` (integers), BOOL as `bool_value`,
 * BYTES as `string_value`, so a per-feature input reads as the feature's value. Tensors whose first
 * dimension is not the request's row count are left out of the per-row values.
 */
export function predictionsOf(sample: PredictionSample, includeTensors: boolean): PredictionInit[] {
  const predictions: PredictionInit[] = [];
  const seconds = sample.latencyNs / 1_000_000_000n;
  const latency = { seconds, nanos: Number(sample.latencyNs - seconds * 1_000_000_000n) };
  const time = timestampFromMs(sample.timeMs);
  for (let row = 0; row < sample.rows; row++) {
    const inputTensors: Tensor[] = [];
    const outputTensors: Tensor[] = [];
    predictions.push({
      requestId: sample.requestId,
      rowIndex: row,
      time,
      latency,
      inputs: valuesOfRow(sample.inputs, row, sample.rows, includeTensors ? inputTensors : undefined),
      outputs: valuesOfRow(sample.outputs, row, sample.rows, includeTensors ? outputTensors : undefined),
      inputTensors,
      outputTensors,
      ...(sample.served ? { servedFeatures: servedFeaturesOf(sample.served, row) } : {}),
    });
  }
  return predictions;
}

function servedFeaturesOf(served: ServedLookup, row: number) {
  const id = served.entityIds[row] ?? served.entityIds[0] ?? '';
  return {
    entityKey: { [served.joinKey]: { kind: { case: 'stringValue' as const, value: id } } },
    features: { ...served.features },
  };
}

function valuesOfRow(
  tensors: ReadonlyMap<string, TensorValue>,
  row: number,
  rows: number,
  rawTensors: Tensor[] | undefined,
): Record<string, ValueInit> {
  const values: Record<string, ValueInit> = {};
  for (const [name, tensor] of tensors) {
    if (tensor.shape.length === 0) {
      values[name] = loggedValue(tensor.datatype, tensor.data, false);
      rawTensors?.push(
        create(TensorSchema, { name, datatype: tensor.datatype, rawContents: encodeRaw(tensor) }),
      );
      continue;
    }
    if (tensor.shape[0] !== rows) continue;
    const perRow = tensor.shape.slice(1).reduce((product, dim) => product * dim, 1);
    const slice = sliceOf(tensor.data, row * perRow, (row + 1) * perRow);
    values[name] = loggedValue(tensor.datatype, slice, perRow !== 1);
    rawTensors?.push(
      create(TensorSchema, {
        name,
        datatype: tensor.datatype,
        shape: [1n, ...tensor.shape.slice(1).map(BigInt)],
        rawContents: encodeRaw({ datatype: tensor.datatype, data: slice }),
      }),
    );
  }
  return values;
}

function sliceOf(data: TensorData, start: number, end: number): TensorData {
  return Array.isArray(data) ? data.slice(start, end) : data.subarray(start, end);
}

function loggedValue(datatype: OipDatatype, data: TensorData, list: boolean): ValueInit {
  if (Array.isArray(data)) {
    return list
      ? { kind: { case: 'stringListValue', value: { values: data } } }
      : { kind: { case: 'stringValue', value: data[0] ?? '' } };
  }
  switch (datatype) {
    case 'BOOL': {
      const values = Array.from(data as Uint8Array, (byte) => byte !== 0);
      return list
        ? { kind: { case: 'boolListValue', value: { values } } }
        : { kind: { case: 'boolValue', value: values[0] ?? false } };
    }
    case 'FP16':
    case 'FP32':
    case 'FP64': {
      const values =
        datatype === 'FP16'
          ? Array.from(data as Uint16Array, halfToNumber)
          : Array.from(data as Float32Array | Float64Array);
      return list
        ? { kind: { case: 'doubleListValue', value: { values } } }
        : { kind: { case: 'doubleValue', value: values[0] ?? 0 } };
    }
    default: {
      const values = Array.from(data as ArrayLike<number | bigint>, (value) =>
        BigInt.asIntN(64, BigInt(value)),
      );
      return list
        ? { kind: { case: 'int64ListValue', value: { values } } }
        : { kind: { case: 'int64Value', value: values[0] ?? 0n } };
    }
  }
}

/** An IEEE 754 half-precision value, from its 16 bits. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
