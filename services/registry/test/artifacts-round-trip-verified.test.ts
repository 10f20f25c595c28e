import { randomBytes } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';
import { ArtifactFormat } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { describe, expect, it } from 'vitest';
import {
  artifactBytes,
  type RegistryClient,
  rejection,
  sha256Hex,
  startRegistry,
} from './registry-harness.ts';

async function* inChunks(bytes: Uint8Array, size: number, sha256 = '') {
  for (let at = 0; at < bytes.length; at += size) {
    const last = at + size >= bytes.length;
    yield { chunk: bytes.subarray(at, at + size), sha256: last ? sha256 : '' };
  }
}

async function download(client: RegistryClient, modelName: string, modelVersion: bigint, offset = 0n) {
  const messages = [];
  for await (const message of client.downloadArtifact({ modelName, modelVersion, offset }))
    messages.push(message);
  return { first: messages[0], bytes: Buffer.concat(messages.map((m) => m.chunk)), messages };
}

describe('artifacts', () => {
  it('uploads in chunks, registers by sha256 and downloads the same bytes with their digest first', async () => {
    const { client, blobs } = await startRegistry();
    // A real ONNX model made over 3 MiB by its doc string, so it spans several chunks.
    const bytes = artifactBytes(randomBytes(2_400_000).toString('base64'));
    const sha256 = sha256Hex(bytes);

    const uploaded = await client.uploadArtifact(inChunks(bytes, 512 * 1024, sha256));
    expect(uploaded.blob).toEqual(
      expect.objectContaining({ sha256, sizeBytes: BigInt(bytes.length), uri: `blob:sha256:${sha256}` }),
    );
    expect(await blobs.stat(sha256)).toEqual({ sha256, size: bytes.length });

    const registered = await client.registerVersion({
      requestId: 'big',
      modelName: 'weather',
      artifactSource: { case: 'artifactSha256', value: sha256 },
      format: ArtifactFormat.ONNX,
    });
    expect(registered.version?.artifact?.blob).toMatchObject({ sha256, sizeBytes: BigInt(bytes.length) });

    const whole = await download(client, 'weather', 1n);
    expect(whole.first?.artifact).toMatchObject({
      format: ArtifactFormat.ONNX,
      blob: { sha256, sizeBytes: BigInt(bytes.length) },
    });
    expect(whole.messages.slice(1).every((m) => m.artifact === undefined)).toBe(true);
    expect(whole.messages.every((m) => m.chunk.length <= 1024 * 1024)).toBe(true);
    expect(sha256Hex(whole.bytes)).toBe(sha256);

    // Resuming at an offset gives the rest, each chunk saying where it starts.
    const offset = 2_000_000n;
    const rest = await download(client, 'weather', 1n, offset);
    expect(rest.first?.offset).toBe(offset);
    expect(Buffer.compare(rest.bytes, Buffer.from(bytes.subarray(Number(offset))))).toBe(0);
    const atEnd = await download(client, 'weather', 1n, BigInt(bytes.length));
    expect(atEnd.bytes.length).toBe(0);
    expect(atEnd.first?.artifact?.blob?.sha256).toBe(sha256);
    await rejection(download(client, 'weather', 1n, BigInt(bytes.length + 1)), 'out_of_range', 'offset');
  });

  it('registers an artifact another service put in the shared blob store', async () => {
    const { client, blobs } = await startRegistry();
    const ref = await blobs.put(artifactBytes('trained by the orchestrator'));
    const registered = await client.registerVersion({
      requestId: 'run-1/register',
      modelName: 'weather',
      artifactSource: { case: 'artifactSha256', value: ref.sha256 },
      format: ArtifactFormat.ONNX,
    });
    expect(registered.version?.artifact?.blob).toMatchObject({
      sha256: ref.sha256,
      sizeBytes: BigInt(ref.size),
    });
  });

  it('refuses an upload whose bytes do not match its sha256, and stores nothing', async () => {
    const { client, blobs } = await startRegistry();
    const bytes = artifactBytes('the real bytes');
    const claimed = sha256Hex(artifactBytes('other bytes'));
    const error = await rejection(
      client.uploadArtifact(inChunks(bytes, 4, claimed)),
      'invalid_argument',
      'sha256',
    );
    expect(error.message).toContain(sha256Hex(bytes));
    expect(await blobs.stat(sha256Hex(bytes))).toBeUndefined();
    const listed = [];
    for await (const blob of blobs.list()) listed.push(blob);
    expect(listed).toEqual([]);

    await rejection(client.uploadArtifact(inChunks(new Uint8Array(0), 4)), 'invalid_argument', 'chunk');
  });

  it('refuses to register a sha256 that is not in the blob store, naming the field', async () => {
    const { client } = await startRegistry();
    const missing = sha256Hex(artifactBytes('never uploaded'));
    const error = await rejection(
      client.registerVersion({
        requestId: 'r',
        modelName: 'weather',
        artifactSource: { case: 'artifactSha256', value: missing },
        format: ArtifactFormat.ONNX,
      }),
      'failed_precondition',
      'artifact_sha256',
    );
    expect(error.message).toContain(missing);
    await rejection(client.getModel({ modelName: 'weather' }), 'not_found');

    await rejection(
      client.registerVersion({
        requestId: 'r',
        modelName: 'weather',
        artifactSource: { case: 'artifactSha256', value: 'ABC' },
        format: ArtifactFormat.ONNX,
      }),
      'invalid_argument',
      'artifact_sha256',
    );
    await rejection(
      client.registerVersion({ requestId: 'r', modelName: 'weather', format: ArtifactFormat.ONNX }),
      'invalid_argument',
      'artifact_source',
    );
    await rejection(
      client.registerVersion({
        requestId: 'r',
        modelName: 'weather',
        artifactSource: { case: 'artifactBytes', value: artifactBytes('x') },
        format: ArtifactFormat.ONNX,
        metrics: { auc: Number.NaN },
      }),
      'invalid_argument',
      'metrics["auc"]',
    );
  });

  it('fails a download of a tampered artifact with data_loss instead of serving it', async () => {
    const { client, blobFile } = await startRegistry();
    const bytes = artifactBytes('weather v1');
    await client.registerVersion({
      requestId: 'r',
      modelName: 'weather',
      artifactSource: { case: 'artifactBytes', value: bytes },
      format: ArtifactFormat.ONNX,
    });
    const file = blobFile(sha256Hex(bytes));
    await chmod(file, 0o644);
    await writeFile(file, artifactBytes('weather v666'));
    await rejection(download(client, 'weather', 1n), 'data_loss');
  });
});
