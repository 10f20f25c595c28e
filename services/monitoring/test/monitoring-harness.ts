import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { type BlobStore, blobUri, createFsBlobs } from '@flywheel/blobs';
import { createMemoryBus, type MemoryBus } from '@flywheel/bus';
import type { Env } from '@flywheel/core';
import { decodeEvent, eventKindOf, fromWireMessage, newEvent } from '@flywheel/events';
import { type Value, ValueSchema } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { PredictionLoggedSchema } from '@flywheel/proto/flywheel/events/v1/prediction_pb.js';
import { MonitoringService } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { createRpcClient, type RpcClient } from '@flywheel/rpc';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import { loadMonitoringConfig, wireMonitoring } from '../src/index.ts';

export type MonitoringClient = RpcClient<(typeof MonitoringService)['method']>;

/** A monitoring service in this process, on an in-process bus and blob dir the test shares, with a client. */
export interface MonitoringHarness {
  readonly service: InProcessService;
  readonly client: MonitoringClient;
  readonly bus: MemoryBus;
  readonly blobs: BlobStore;
  /** Payloads of the events of `schema`'s type on the bus so far, oldest first. */
  events<S extends DescMessage>(schema: S): MessageShape<S>[];
  /** Puts bytes in the shared blob store; resolves their `blob:sha256:` URI. */
  putBlob(bytes: Uint8Array): Promise<string>;
  /** Publishes one `prediction.logged` batch, one prediction per row (inputs by name), made `at` (epoch ms, default now). */
  logPredictions(batch: PredictionBatch): Promise<string>;
  /** Stops the service and starts it again on the same data dir, bus and blobs. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface PredictionBatch {
  modelName: string;
  modelVersion: number;
  deploymentName?: string;
  rows: ReadonlyArray<Readonly<Record<string, number | string | null>>>;
  /** Outputs per row, e.g. `{ probability: 0.7 }`. */
  outputs?: ReadonlyArray<Readonly<Record<string, number>>>;
  /** Request id of each row (default: a fresh one per batch, rows by index). */
  requestIds?: readonly string[];
  at?: number;
}

/** A proto Value of `v`; null is a Value with no kind (missing). */
export function value(v: number | string | null): Value {
  if (v === null) return create(ValueSchema, {});
  return create(ValueSchema, {
    kind: typeof v === 'number' ? { case: 'doubleValue', value: v } : { case: 'stringValue', value: v },
  });
}

export async function startMonitoring(
  options: { bus?: MemoryBus; blobs?: BlobStore; env?: Env; registryAddress?: string } = {},
): Promise<MonitoringHarness> {
  const bus = options.bus ?? createMemoryBus();
  const blobs =
    options.blobs ??
    createFsBlobs({ dir: join(mkdtempSync(join(tmpdir(), 'flywheel-mon-blobs-')), 'blobs') });
  const env: Env = {
    FLYWHEEL_MONITORING_WINDOW_SWEEP_INTERVAL: '100ms',
    // No registry unless given: one on the default port (an embedded platform another test
    // started) must not answer for this one. Port 1 refuses connections at once.
    FLYWHEEL_REGISTRY_GRPC_ADDRESS: options.registryAddress ?? '127.0.0.1:1',
    ...options.env,
  };
  const start = (dataDir?: string) =>
    startInProcess('monitoring', {
      load: loadMonitoringConfig,
      wire: wireMonitoring,
      shared: { bus, blobs },
      env,
      ...(dataDir ? { dataDir } : {}),
    });
  let service = await start();
  let client: MonitoringClient = createRpcClient(MonitoringService, { address: service.address });
  let batches = 0;
  const harness: MonitoringHarness = {
    get service() {
      return service;
    },
    get client() {
      return client;
    },
    bus,
    blobs,
    events(schema) {
      return bus
        .retained(eventKindOf(schema).type)
        .map((message) => decodeEvent(schema, fromWireMessage(message)));
    },
    async putBlob(bytes) {
      return blobUri((await blobs.put(bytes)).sha256);
    },
    async logPredictions(batch) {
      batches++;
      const at = batch.at ?? Date.now();
      const event = newEvent(
        PredictionLoggedSchema,
        {
          modelName: batch.modelName,
          modelVersion: BigInt(batch.modelVersion),
          deploymentName: batch.deploymentName ?? batch.modelName,
          sampleRate: 1,
          predictions: batch.rows.map((row, i) => ({
            requestId: batch.requestIds?.[i] ?? `req-${batches}-${i}`,
            rowIndex: 0,
            time: timestampFromMs(at),
            inputs: Object.fromEntries(Object.entries(row).map(([k, v]) => [k, value(v)])),
            outputs: Object.fromEntries(
              Object.entries(batch.outputs?.[i] ?? {}).map(([k, v]) => [k, value(v)]),
            ),
          })),
        },
        { source: 'test/serving' },
      );
      await bus.publish([event]);
      return event.id;
    },
    async restart() {
      client.close();
      const dataDir = service.dataDir;
      await service.stop();
      service = await start(dataDir);
      client = createRpcClient(MonitoringService, { address: service.address });
    },
    async stop() {
      client.close();
      await service.stop();
      if (!options.bus) await bus.close();
      if (!options.blobs) await blobs.close();
    },
  };
  return harness;
}
