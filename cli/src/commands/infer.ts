import { readFileSync } from 'node:fs';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { parseCsv } from '@flywheel/datasets';
import type { ModelInferRequest_InferInputTensorSchema } from '@flywheel/proto/inference/grpc_service_pb.js';
import {
  GRPCInferenceService,
  type ModelInferResponse,
  type ModelMetadataResponse,
} from '@flywheel/proto/inference/grpc_service_pb.js';
import type { Command } from 'commander';
import type { Cli } from '../cli-context.ts';
import { CliError, exitCodes } from '../exit-codes.ts';
import { table } from '../output/output.ts';
import type { Run } from '../program.ts';

type InputTensor = MessageInitShape<typeof ModelInferRequest_InferInputTensorSchema>;
type Row = Record<string, unknown>;

/** One tensor in KServe v2 JSON (`{"name","shape","datatype","data"}`): what `-o json` prints. */
interface V2Tensor {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown[];
}

/** `flywheel infer <deployment> --json file | --csv file`: Open Inference Protocol ModelInfer. */
export function inferCommand(program: Command, run: Run): void {
  run(
    program
      .command('infer <deployment>')
      .description(
        'run inference (OIP ModelInfer) on rows from a CSV (a header of input names) or JSON file (rows, or KServe v2 {"inputs": […]})',
      )
      .option('--json <file>', 'JSON: an array of row objects, or a KServe v2 inference request')
      .option('--csv <file>', 'CSV with a header row naming the model inputs')
      .option('--version <version>', 'a version the deployment serves (default: its traffic split)')
      .option('--id <id>', 'request id, echoed in the response and in prediction.logged'),
    async (
      cli: Cli,
      deployment: string,
      options: { json?: string; csv?: string; version?: string; id?: string },
    ) => {
      if (Boolean(options.json) === Boolean(options.csv)) {
        throw new CliError('give one of --json <file> or --csv <file>', exitCodes.usage);
      }
      const oip = await cli.services().client(GRPCInferenceService, 'serving');
      const metadata = await oip.modelMetadata({ name: deployment, version: options.version ?? '' });
      const { inputs, rowCount } = options.csv
        ? tensorsOfRows(rowsOfCsv(options.csv), metadata, `--csv ${options.csv}`)
        : tensorsOfJson(options.json!, metadata);
      const response = await oip.modelInfer({
        modelName: deployment,
        modelVersion: options.version ?? '',
        id: options.id ?? '',
        inputs,
      });
      const outputs = v2Outputs(response);
      cli.out.result(
        { model_name: response.modelName, model_version: response.modelVersion, id: response.id, outputs },
        () => rowsTable(outputs, rowCount),
      );
    },
  );
}

function readText(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`${option} ${path}: ${(error as Error).message}`, exitCodes.failure);
  }
}

function rowsOfCsv(path: string): Row[] {
  const records = parseCsv(readText(path, '--csv'));
  const [header, ...body] = records;
  if (!header)
    throw new CliError(`--csv ${path}: empty, expected a header row of input names`, exitCodes.usage);
  return body.map((record) =>
    Object.fromEntries(header.fields.map((name, i) => [name, record.fields[i] ?? ''])),
  );
}

function tensorsOfJson(
  path: string,
  metadata: ModelMetadataResponse,
): { inputs: InputTensor[]; rowCount: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readText(path, '--json'));
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`--json ${path}: not JSON: ${(error as Error).message}`, exitCodes.usage);
  }
  if (Array.isArray(parsed)) return tensorsOfRows(parsed as Row[], metadata, `--json ${path}`);
  const v2 = (parsed as { inputs?: V2Tensor[] }).inputs;
  if (!Array.isArray(v2)) {
    throw new CliError(`--json ${path}: expected an array of rows or {"inputs": [...]}`, exitCodes.usage);
  }
  const inputs = v2.map((t) => tensor(t.name, t.datatype, t.shape, t.data.flat(Number.POSITIVE_INFINITY)));
  return { inputs, rowCount: v2[0]?.shape[0] ?? 0 };
}

/**
 * Rows to one tensor per model input: a column per input of shape [N] or [N,1], or — for a model
 * with a single [N,k] input — the k columns of each row, in file order.
 */
function tensorsOfRows(
  rows: Row[],
  metadata: ModelMetadataResponse,
  source: string,
): { inputs: InputTensor[]; rowCount: number } {
  if (rows.length === 0) throw new CliError(`${source}: no rows`, exitCodes.usage);
  const columns = Object.keys(rows[0]!);
  const byName = metadata.inputs.every((input) => columns.includes(input.name));
  if (byName) {
    const inputs = metadata.inputs.map((input) => {
      const rank = input.shape.length;
      const shape = rank <= 1 ? [rows.length] : [rows.length, 1];
      return tensor(
        input.name,
        input.datatype,
        shape,
        rows.map((r) => r[input.name]),
      );
    });
    return { inputs, rowCount: rows.length };
  }
  const [only] = metadata.inputs;
  if (metadata.inputs.length === 1 && only && only.shape.length === 2) {
    const width = Number(only.shape[1]);
    if (width > 0 && width !== columns.length) {
      throw new CliError(
        `${source}: input ${only.name} takes ${width} columns per row, got ${columns.length}`,
        exitCodes.usage,
      );
    }
    const values = rows.flatMap((r) => columns.map((c) => r[c]));
    return {
      inputs: [tensor(only.name, only.datatype, [rows.length, columns.length], values)],
      rowCount: rows.length,
    };
  }
  const missing = metadata.inputs.map((i) => i.name).filter((n) => !columns.includes(n));
  throw new CliError(
    `${source}: no column for model input${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (columns: ${columns.join(', ')})`,
    exitCodes.usage,
  );
}

function tensor(name: string, datatype: string, shape: number[], values: unknown[]): InputTensor {
  const numbers = () =>
    values.map((v, i) => {
      const n = typeof v === 'number' ? v : Number(v);
      if (v === '' || v === null || !Number.isFinite(n)) {
        throw new CliError(
          `input ${name}: value ${i + 1} (${JSON.stringify(v)}) is not a number`,
          exitCodes.usage,
        );
      }
      return n;
    });
  const contents: NonNullable<InputTensor['contents']> = {};
  switch (datatype) {
    case 'FP32':
    case 'FP16':
    case 'BF16':
      Object.assign(contents, { fp32Contents: numbers() });
      break;
    case 'FP64':
      Object.assign(contents, { fp64Contents: numbers() });
      break;
    case 'INT64':
      Object.assign(contents, { int64Contents: numbers().map((n) => BigInt(Math.trunc(n))) });
      break;
    case 'INT8':
    case 'INT16':
    case 'INT32':
      Object.assign(contents, { intContents: numbers().map(Math.trunc) });
      break;
    case 'UINT64':
      Object.assign(contents, { uint64Contents: numbers().map((n) => BigInt(Math.trunc(n))) });
      break;
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
      Object.assign(contents, { uintContents: numbers().map(Math.trunc) });
      break;
    case 'BOOL':
      Object.assign(contents, {
        boolContents: values.map((v) => v === true || v === 'true' || v === '1' || v === 1),
      });
      break;
    default:
      Object.assign(contents, { bytesContents: values.map((v) => new TextEncoder().encode(String(v))) });
  }
  return { name, datatype, shape: shape.map(BigInt), contents };
}

/** The response's outputs as KServe v2 JSON tensors (typed contents or raw little-endian bytes). */
function v2Outputs(response: ModelInferResponse): V2Tensor[] {
  return response.outputs.map((output, i) => {
    const c = output.contents;
    const raw = response.rawOutputContents[i];
    let data: unknown[] = [];
    if (raw && raw.length > 0) data = decodeRaw(output.datatype, raw);
    else if (c) {
      data = [
        ...c.fp32Contents,
        ...c.fp64Contents,
        ...c.intContents,
        ...c.int64Contents.map(Number),
        ...c.uintContents,
        ...c.uint64Contents.map(Number),
        ...c.boolContents,
        ...c.bytesContents.map((b) => new TextDecoder().decode(b)),
      ];
    }
    return { name: output.name, datatype: output.datatype, shape: output.shape.map(Number), data };
  });
}

function decodeRaw(datatype: string, raw: Uint8Array): unknown[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const read: Record<string, [number, (offset: number) => unknown]> = {
    FP32: [4, (o) => view.getFloat32(o, true)],
    FP64: [8, (o) => view.getFloat64(o, true)],
    INT32: [4, (o) => view.getInt32(o, true)],
    INT64: [8, (o) => Number(view.getBigInt64(o, true))],
    BOOL: [1, (o) => view.getUint8(o) !== 0],
  };
  const reader = read[datatype];
  if (!reader) return [`<${raw.length} raw bytes>`];
  const [size, at] = reader;
  return Array.from({ length: raw.length / size }, (_, i) => at(i * size));
}

/** One line per row: each output's value(s) for that row. */
function rowsTable(outputs: V2Tensor[], rowCount: number): string {
  const rows = Array.from({ length: rowCount }, (_, row) => [
    String(row + 1),
    ...outputs.map((o) => {
      const width = o.shape.slice(1).reduce((a, b) => a * b, 1);
      const values = o.data.slice(row * width, (row + 1) * width);
      return values
        .map((v) => (typeof v === 'number' ? String(Number(v.toPrecision(6))) : String(v)))
        .join(' ');
    }),
  ]);
  return table(['row', ...outputs.map((o) => o.name)], rows);
}
