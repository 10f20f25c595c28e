import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blobUri } from '@flywheel/blobs';
import type { AppError } from '@flywheel/core';
import { exportLogisticRegressionOnnx, syntheticBinaryData, trainLogisticRegression } from '@flywheel/ml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltinStepsHarness, startBuiltinStepsHarness } from './builtin-steps-harness.ts';

// blob-to-file and file-to-blob hand blobs to command steps as files and take their files back.
let harness: BuiltinStepsHarness;
const scratch = mkdtempSync(join(tmpdir(), 'flywheel-bridge-'));

beforeAll(async () => {
  harness = await startBuiltinStepsHarness({ featureStore: false });
});

afterAll(async () => {
  await harness?.close();
});

async function failure(step: string, parameters: Record<string, unknown>): Promise<AppError> {
  const error = await harness.run(step, parameters).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (error === undefined) throw new Error(`${step} succeeded; expected it to fail`);
  return error as AppError;
}

describe('blob-to-file', () => {
  it('writes the verified blob under <filesDir>/<run>/<step>/<file_name>, again on a retry', async () => {
    const bytes = new TextEncoder().encode('{"station":"seattle","weather_labels:rained":1}\n');
    const ref = await harness.blobs.put(bytes);
    const parameters = { uri: blobUri(ref.sha256), file_name: 'training-set.jsonl' };
    const at = { runId: 'run-files', stepName: 'training-set-file' };
    const outputs = await harness.run('blob-to-file', parameters, at);
    expect(outputs).toEqual({
      path: join(harness.filesDir, 'run-files', 'training-set-file', 'training-set.jsonl'),
      sha256: ref.sha256,
      size_bytes: bytes.length,
    });
    expect(readFileSync(outputs.path as string)).toEqual(Buffer.from(bytes));
    expect(await harness.run('blob-to-file', parameters, { ...at, attempt: 2 })).toEqual(outputs);
  });

  it('rejects a file name with directories', async () => {
    const ref = await harness.blobs.put(new TextEncoder().encode('x'));
    const error = await failure('blob-to-file', { uri: blobUri(ref.sha256), file_name: '../escape.txt' });
    expect(error).toMatchObject({ code: 'invalid_argument', field: 'parameters.file_name' });
  });

  it('fails not_found for a blob that is not stored', async () => {
    const error = await failure('blob-to-file', { uri: blobUri('0'.repeat(64)) });
    expect(error).toMatchObject({ code: 'not_found' });
  });
});

describe('file-to-blob', () => {
  const data = syntheticBinaryData({ rows: 200, seed: 3 });
  const onnx = exportLogisticRegressionOnnx(trainLogisticRegression(data));
  const modelPath = join(scratch, 'model.onnx');
  writeFileSync(modelPath, onnx);
  const sha256 = createHash('sha256').update(onnx).digest('hex');

  it('stores a command step’s model and checks its digest and format', async () => {
    const outputs = await harness.run('file-to-blob', { path: modelPath, sha256, format: 'onnx' });
    expect(outputs).toEqual({ sha256, uri: blobUri(sha256), size_bytes: onnx.length });
    expect(Buffer.from(await harness.blobs.getBytes(sha256)).equals(Buffer.from(onnx))).toBe(true);
  });

  it('rejects a digest the file does not have', async () => {
    const error = await failure('file-to-blob', { path: modelPath, sha256: 'f'.repeat(64) });
    expect(error).toMatchObject({ code: 'invalid_argument', field: 'parameters.sha256' });
    expect(error.message).toContain(`hashes to ${sha256}`);
  });

  it('rejects a file that is not ONNX when format is onnx', async () => {
    const path = join(scratch, 'notes.txt');
    writeFileSync(path, 'not a model');
    const error = await failure('file-to-blob', { path, format: 'onnx' });
    expect(error).toMatchObject({ code: 'invalid_argument', field: 'parameters.path' });
  });

  it('rejects a relative path and fails not_found for a missing file', async () => {
    expect(await failure('file-to-blob', { path: 'model.onnx' })).toMatchObject({
      code: 'invalid_argument',
      field: 'parameters.path',
    });
    expect(await failure('file-to-blob', { path: join(scratch, 'missing.onnx') })).toMatchObject({
      code: 'not_found',
    });
  });
});
