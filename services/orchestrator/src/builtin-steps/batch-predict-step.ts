import type { MessageInitShape } from '@bufbuild/protobuf';
import { blobUri, parseBlobUri } from '@flywheel/blobs';
import { AppError, isAppError } from '@flywheel/core';
import { formatCsvLine, parseCsv } from '@flywheel/datasets';
import type {
  InferTensorContents,
  ModelInferRequest_InferInputTensorSchema,
  ModelMetadataResponse_TensorMetadata,
} from '@flywheel/proto/inference/grpc_service_pb.js';
import { parquetReadObjects } from 'hyparquet';
import type { BuiltinStepDeps } from './builtin-step-deps.ts';
import { stepParameters } from './step-parameters.ts';
import type { BuiltinStep } from './step-types.ts';

type Row = Record<string, unknown>;
type InputInit = MessageInitShape<typeof ModelInferRequest_InferInputTensorSchema>;

/**
 * Built-in step `batch-predict`: scores a data set from the shared blob store through a serving
 * deployment and writes the scored rows back as a new blob. It calls serving over the Open
 * Inference Protocol (ModelMetadata, then ModelInfer in batches) rather than running the model
 * itself, so a batch job is served exactly like online traffic: the deployment's live version,
 * its dynamic batching, its traffic split. Each model input is read from the data set column of
 * the same name (numbers for FP32/FP64/INT32/INT64 inputs of shape [N] or [N, 1], text for
 * BYTES).
 *
 * | parameter       | type    | meaning |
 * |-----------------|---------|---------|
 * | `dataset_uri`   | string  | `blob:sha256:<hex>` of a CSV (header row) or Parquet file |
 * | `deployment`    | string  | the serving deployment (OIP model name) |
 * | `model_version` | string? | a version the deployment has loaded; default its live one |
 * | `format`        | string? | `csv` or `parquet`; default: Parquet when the file starts with `PAR1` |
 * | `output_format` | string? | `jsonl` (default) or `csv` |
 * | `batch_size`    | number? | rows per ModelInfer call, 1 to 10 000; default 256 |
 *
 * Each output row is the input row with every model output added (a one-column output as a
 * number, wider ones as lists) and `model_version`. Outputs: `uri`, `sha256`, `size_bytes`,
 * `rows`, `format`, `model_versions` (rows per version that answered).
 *
 * Throws invalid_argument naming `parameters.<name>` for bad parameters, a data set lacking a
 * column the model needs, or a value that is not a number; failed_precondition when the
 * orchestrator has no serving peer; what serving answers otherwise (not_found for an unknown
 * deployment, unavailable while it loads — retriable).
 */
export function createBatchPredictStep(deps: Pick<BuiltinStepDeps, 'blobs' | 'inference'>): BuiltinStep {
  return async (ctx) => {
    const params = stepParameters(ctx.parameters);
    const datasetUri = params.string('dataset_uri');
    const deployment = params.string('deployment');
    const modelVersion = params.optionalString('model_version') ?? '';
    const format = params.optionalString('format');
    if (format !== undefined && format !== 'csv' && format !== 'parquet') {
      throw AppError.invalidArgument('parameters.format', `must be "csv" or "parquet", got "${format}"`);
    }
    const outputFormat = params.optionalString('output_format') ?? 'jsonl';
    if (outputFormat !== 'jsonl' && outputFormat !== 'csv') {
      throw AppError.invalidArgument(
        'parameters.output_format',
        `must be "jsonl" or "csv", got "${outputFormat}"`,
      );
    }
    const batchSize = params.optionalNumber('batch_size', 256);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
      throw AppError.invalidArgument(
        'parameters.batch_size',
        `must be an integer from 1 to 10000, got ${batchSize}`,
      );
    }
    let sha256: string;
    try {
      sha256 = parseBlobUri(datasetUri);
    } catch (error) {
      throw AppError.invalidArgument('parameters.dataset_uri', AppError.from(error).message, {
        cause: error,
      });
    }
    const inference = deps.inference;
    if (!inference) {
      throw new AppError(
        'failed_precondition',
        'batch-predict needs the serving peer (FLYWHEEL_SERVING_GRPC_ADDRESS)',
      );
    }
    const { signal } = ctx;
    const bytes = await deps.blobs.getBytes(sha256, { signal });
    const parquet = format === 'parquet' || (format === undefined && startsWithPar1(bytes));
    const rows = parquet ? await readParquet(bytes) : csvRows(new TextDecoder().decode(bytes));
    const metadata = await inference.modelMetadata({ name: deployment, version: modelVersion }, { signal });
    const columns = rows.length > 0 ? new Set(Object.keys(rows[0]!)) : new Set<string>();
    for (const input of metadata.inputs) {
      if (rows.length > 0 && !columns.has(input.name)) {
        throw AppError.invalidArgument(
          'parameters.dataset_uri',
          `has no column "${input.name}", which deployment "${deployment}" needs as an input`,
        );
      }
    }

    const scored: Row[] = [];
    const versions: Record<string, number> = {};
    for (let start = 0; start < rows.length; start += batchSize) {
      const batch = rows.slice(start, start + batchSize);
      const response = await inference.modelInfer(
        {
          modelName: deployment,
          modelVersion,
          id: `${ctx.runId}/${ctx.stepName}/${start}`,
          inputs: metadata.inputs.map((input) => tensorOf(input, batch, start)),
        },
        { signal },
      );
      versions[response.modelVersion] = (versions[response.modelVersion] ?? 0) + batch.length;
      const outputs = response.outputs.map((output, i) => {
        const values = valuesOf(output.datatype, output.contents, response.rawOutputContents[i]);
        const width = batch.length === 0 ? 0 : values.length / batch.length;
        return { name: output.name, values, width };
      });
      batch.forEach((row, r) => {
        const out: Row = { ...row };
        for (const output of outputs) {
          out[output.name] =
            output.width === 1
              ? output.values[r]
              : output.values.slice(r * output.width, (r + 1) * output.width);
        }
        out.model_version = response.modelVersion;
        scored.push(out);
      });
    }
    const text =
      outputFormat === 'csv'
        ? toCsv(scored)
        : scored.map((row) => JSON.stringify(row)).join('\n') + (scored.length ? '\n' : '');
    const ref = await deps.blobs.put(new TextEncoder().encode(text), { signal });
    ctx.log.info('data set scored', { deployment, rows: scored.length, sha256: ref.sha256 });
    return {
      uri: blobUri(ref.sha256),
      sha256: ref.sha256,
      size_bytes: ref.size,
      rows: scored.length,
      format: outputFormat,
      model_versions: versions,
    };
  };
}

function startsWithPar1(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x41 && bytes[2] === 0x52 && bytes[3] === 0x31;
}

async function readParquet(bytes: Uint8Array): Promise<Row[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  try {
    const rows = (await parquetReadObjects({ file })) as Row[];
    // Parquet INT64 columns arrive as bigint; rows are written back as JSON.
    return rows.map((row) =>
      Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])),
    );
  } catch (error) {
    throw AppError.invalidArgument(
      'parameters.dataset_uri',
      `is not a readable Parquet file: ${AppError.from(error).message}`,
      {
        cause: error,
      },
    );
  }
}

/** Rows of a CSV with a header row (RFC 4180 quoting); every value a string. */
function csvRows(text: string): Row[] {
  let records: string[][];
  try {
    records = parseCsv(text).map((record) => record.fields);
  } catch (error) {
    if (!isAppError(error, 'invalid_argument')) throw error;
    throw AppError.invalidArgument('parameters.dataset_uri', `is not readable CSV: ${error.message}`, {
      cause: error,
    });
  }
  const [header, ...body] = records;
  if (!header) return [];
  return body.map((values, r) => {
    if (values.length !== header.length) {
      throw AppError.invalidArgument(
        'parameters.dataset_uri',
        `CSV row ${r + 2} has ${values.length} fields, the header ${header.length}`,
      );
    }
    return Object.fromEntries(header.map((name, j) => [name, values[j]]));
  });
}

function toCsv(rows: readonly Row[]): string {
  if (rows.length === 0) return '';
  const header = Object.keys(rows[0]!);
  const cell = (value: unknown): string =>
    Array.isArray(value) ? JSON.stringify(value) : String(value ?? '');
  return `${[formatCsvLine(header), ...rows.map((row) => formatCsvLine(header.map((name) => cell(row[name]))))].join('\n')}\n`;
}

/** One input tensor for a batch of rows, from the column named like the input. */
function tensorOf(
  input: ModelMetadataResponse_TensorMetadata,
  batch: readonly Row[],
  start: number,
): InputInit {
  const rank = input.shape.length;
  if (rank > 2 || (rank === 2 && input.shape[1]! > 1n)) {
    throw AppError.invalidArgument(
      'parameters.deployment',
      `input "${input.name}" has shape [${input.shape.join(', ')}]; batch-predict feeds one column per input ([N] or [N, 1])`,
    );
  }
  const shape = rank <= 1 ? [BigInt(batch.length)] : [BigInt(batch.length), 1n];
  const base = { name: input.name, datatype: input.datatype, shape };
  if (input.datatype === 'BYTES') {
    return {
      ...base,
      contents: {
        bytesContents: batch.map((row) => new TextEncoder().encode(String(row[input.name] ?? ''))),
      },
    };
  }
  const numbers = batch.map((row, r) => {
    const raw = row[input.name];
    const value =
      typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
    if (!Number.isFinite(value)) {
      throw AppError.invalidArgument(
        'parameters.dataset_uri',
        `row ${start + r + 1}, column "${input.name}": ${JSON.stringify(raw)} is not a number`,
      );
    }
    return value;
  });
  switch (input.datatype) {
    case 'FP32':
      return { ...base, contents: { fp32Contents: numbers } };
    case 'FP64':
      return { ...base, contents: { fp64Contents: numbers } };
    case 'INT32':
      return { ...base, contents: { intContents: numbers.map(Math.trunc) } };
    case 'INT64':
      return { ...base, contents: { int64Contents: numbers.map((n) => BigInt(Math.trunc(n))) } };
    default:
      throw AppError.invalidArgument(
        'parameters.deployment',
        `input "${input.name}" is ${input.datatype}; batch-predict feeds FP32, FP64, INT32, INT64 and BYTES inputs`,
      );
  }
}

/** An output's elements as JSON values, from typed contents or raw little-endian bytes. */
function valuesOf(
  datatype: string,
  contents: InferTensorContents | undefined,
  raw: Uint8Array | undefined,
): unknown[] {
  if (raw && raw.byteLength > 0) {
    const buffer = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
    switch (datatype) {
      case 'FP32':
        return Array.from(new Float32Array(buffer));
      case 'FP64':
        return Array.from(new Float64Array(buffer));
      case 'INT32':
        return Array.from(new Int32Array(buffer));
      case 'INT64':
        return Array.from(new BigInt64Array(buffer), Number);
      default:
        return Array.from(raw);
    }
  }
  if (!contents) return [];
  if (contents.fp32Contents.length) return contents.fp32Contents;
  if (contents.fp64Contents.length) return contents.fp64Contents;
  if (contents.intContents.length) return contents.intContents;
  if (contents.int64Contents.length) return contents.int64Contents.map(Number);
  if (contents.uintContents.length) return contents.uintContents;
  if (contents.uint64Contents.length) return contents.uint64Contents.map(Number);
  if (contents.boolContents.length) return contents.boolContents;
  if (contents.bytesContents.length) return contents.bytesContents.map((b) => new TextDecoder().decode(b));
  return [];
}
