import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { type BlobStore, blobUri, createFsBlobs } from '@flywheel/blobs';
import { createMemoryBus, type MemoryBus } from '@flywheel/bus';
import { decodeEvent, eventKindOf, fromWireMessage, newEvent } from '@flywheel/events';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { type Value, ValueSchema } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { DatasetArrivedSchema } from '@flywheel/proto/flywheel/events/v1/data_pb.js';
import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { createRpcClient, type RpcClient } from '@flywheel/rpc';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import { loadFeatureStoreConfig, wireFeatureStore } from '../src/index.ts';

/** A feature store in this process, on a shared in-process bus and blob dir, with a client. */
export interface FeatureStoreHarness {
  readonly service: InProcessService;
  readonly client: RpcClient<(typeof FeatureStoreService)['method']>;
  readonly bus: MemoryBus;
  readonly blobs: BlobStore;
  /** Base URL of the Feast-style HTTP API, `http://127.0.0.1:<port>`. */
  readonly http: string;
  /** Payloads of the events of `schema`'s type on the bus so far, oldest first. */
  events<S extends DescMessage>(schema: S): MessageShape<S>[];
  /** Puts `bytes` in the shared blob store and publishes `dataset.arrived` for it; resolves the URI. */
  publishDataset(dataset: string, bytes: Uint8Array, format?: DatasetFormat): Promise<string>;
  stop(): Promise<void>;
}

/** `env`: extra settings of the service, e.g. `FLYWHEEL_FEATURE_STORE_QUALITY_FLUSH_INTERVAL`. */
export async function startFeatureStore(env: Record<string, string> = {}): Promise<FeatureStoreHarness> {
  const bus = createMemoryBus();
  const blobs = createFsBlobs({ dir: join(mkdtempSync(join(tmpdir(), 'flywheel-fs-blobs-')), 'blobs') });
  let httpAddress = '';
  const service = await startInProcess('feature-store', {
    load: loadFeatureStoreConfig,
    wire: async (host, config) => {
      const wiring = await wireFeatureStore(host, config);
      httpAddress = wiring.httpAddress;
      return wiring;
    },
    shared: { bus, blobs },
    env,
  });
  const client = createRpcClient(FeatureStoreService, { address: service.address });
  return {
    service,
    client,
    bus,
    blobs,
    http: `http://${httpAddress}`,
    events(schema) {
      return bus
        .retained(eventKindOf(schema).type)
        .map((message) => decodeEvent(schema, fromWireMessage(message)));
    },
    async publishDataset(dataset, bytes, format = DatasetFormat.JSONL) {
      const ref = await blobs.put(bytes);
      const uri = blobUri(ref.sha256);
      await bus.publish([
        newEvent(
          DatasetArrivedSchema,
          { dataset, uri, format, sha256: ref.sha256 },
          { source: 'test/data-pipeline' },
        ),
      ]);
      return uri;
    },
    async stop() {
      client.close();
      await service.stop();
      await bus.close();
      await blobs.close();
    },
  };
}

/** The offline store adapters every offline-store contract test runs against. */
export const offlineStores = ['document', 'duckdb'] as const;

/** Settings selecting `offline`, with a fresh Parquet cache dir for `duckdb`. */
export function offlineEnv(offline: (typeof offlineStores)[number]): Record<string, string> {
  return {
    FLYWHEEL_FEATURE_STORE_OFFLINE: offline,
    FLYWHEEL_FEATURE_STORE_DUCKDB_CACHE_DIR: mkdtempSync(join(tmpdir(), 'flywheel-fs-parquet-')),
  };
}

/** Epoch ms of an RFC 3339 time, for readable fixtures. */
export function ms(iso: string): number {
  return Date.parse(iso);
}

/** A Timestamp of an RFC 3339 time. */
export function ts(iso: string) {
  return timestampFromMs(Date.parse(iso));
}

/** Wire values for fixtures. */
export const v = {
  str: (value: string): Value => create(ValueSchema, { kind: { case: 'stringValue', value } }),
  dbl: (value: number): Value => create(ValueSchema, { kind: { case: 'doubleValue', value } }),
  i64: (value: bigint): Value => create(ValueSchema, { kind: { case: 'int64Value', value } }),
  null: (): Value => create(ValueSchema),
};

/** A wire value as a plain JS value, for readable assertions (null when unset, lists as arrays). */
export function plain(value: Value | undefined): unknown {
  if (!value) return null;
  const kind = value.kind;
  switch (kind.case) {
    case undefined:
      return null;
    case 'timestampValue':
      return new Date(Number(kind.value.seconds) * 1000 + kind.value.nanos / 1e6).toISOString();
    case 'stringListValue':
    case 'int64ListValue':
    case 'floatListValue':
    case 'doubleListValue':
    case 'boolListValue':
      return [...kind.value.values];
    default:
      return kind.value;
  }
}
