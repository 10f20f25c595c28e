import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { type BlobStore, createFsBlobs } from '@flywheel/blobs';
import { createMemoryBus, type MemoryBus } from '@flywheel/bus';
import { AppError } from '@flywheel/core';
import { decodeEvent, eventKindOf, fromWireMessage } from '@flywheel/events';
import { type TinyOnnxModelOptions, tinyOnnxModel } from '@flywheel/ml';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import { expect, onTestFinished } from 'vitest';
import { loadRegistryConfig, wireRegistry } from '../src/index.ts';

function connect(address: string) {
  return createRpcClient(RegistryService, { address, defaultTimeoutMs: 20_000 });
}

export type RegistryClient = ReturnType<typeof connect>;

export interface RunningRegistry {
  service: InProcessService;
  client: RegistryClient;
  bus: MemoryBus;
  /** The shared blob store the registry uses, as other services (and the test) see it. */
  blobs: BlobStore;
  /** The file holding a blob in the shared fs blob store (its layout), to tamper with it. */
  blobFile(sha256: string): string;
  /** Stops the service (idempotent); the test's cleanup does it too. */
  stop(): Promise<void>;
}

/**
 * Starts the real registry in this process on embedded adapters in `dataDir` (a fresh temp dir
 * unless given), sharing an in-process bus and an fs blob store with the test, as embedded mode
 * shares them between services; and a gRPC client to it. Both are closed when the test finishes.
 */
export async function startRegistry(
  options: { dataDir?: string; bus?: MemoryBus } = {},
): Promise<RunningRegistry> {
  const bus = options.bus ?? createMemoryBus();
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'flywheel-registry-test-'));
  const blobsDir = join(dataDir, 'shared-blobs');
  const blobs = createFsBlobs({ dir: blobsDir });
  const service = await startInProcess('registry', {
    load: loadRegistryConfig,
    wire: wireRegistry,
    shared: { bus, blobs },
    dataDir,
  });
  const client = connect(service.address);
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      client.close();
      await service.stop();
      await blobs.close();
    })();
    return stopped;
  };
  onTestFinished(stop);
  const blobFile = (sha256: string) => join(blobsDir, 'sha256', sha256.slice(0, 2), sha256);
  return { service, client, bus, blobs, blobFile, stop };
}

/** Every event of `schema`'s type the bus holds, decoded, oldest first. */
export function eventsOf<S extends DescMessage>(bus: MemoryBus, schema: S): MessageShape<S>[] {
  return bus.retained(eventKindOf(schema).type).map((wire) => decodeEvent(schema, fromWireMessage(wire)));
}

/** The ids of every event of `schema`'s type the bus holds. */
export function eventIdsOf(bus: MemoryBus, schema: DescMessage): string[] {
  return bus.retained(eventKindOf(schema).type).map((wire) => fromWireMessage(wire).id);
}

/** The AppError `promise` rejects with, after checking its code (and field, when given). */
export async function rejection(
  promise: Promise<unknown>,
  code: AppError['code'],
  field?: string,
): Promise<AppError> {
  const thrown = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(thrown, `expected the call to fail with ${code}`).toBeInstanceOf(AppError);
  const error = thrown as AppError;
  expect({ code: error.code, message: error.message }).toMatchObject({ code });
  if (field !== undefined) expect(error.field).toBe(field);
  return error;
}

/**
 * A real (tiny) ONNX model, one per `text`: the registry loads each artifact and reads its
 * signature, so stand-in bytes are refused. `signature` defaults to x FP32 [-1, 1] → y.
 */
export function artifactBytes(text: string, signature?: TinyOnnxModelOptions): Uint8Array {
  return tinyOnnxModel({ ...signature, tag: text });
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
