import { type BlobConfig, type BlobStore, createBlobStore, readBlobConfig } from '@flywheel/blobs';
import { type BusConfig, createEventBus, type EventBus, readBusConfig } from '@flywheel/bus';
import type { ConfigReader, Logger } from '@flywheel/core';
import { eventTypes, fromWireMessage } from '@flywheel/events';
import {
  createDocumentStore,
  createOutboxRelay,
  type DocumentStore,
  readStoreConfig,
  type StoreConfig,
} from '@flywheel/store';
import { topicsFirst } from './topics-first-bus.ts';

/** Which adapters a service runs on: memory/Kafka/NATS bus, embedded/Mongo store, fs/S3 blobs. */
export interface InfraConfig {
  bus: BusConfig;
  store: StoreConfig;
  blobs: BlobConfig;
}

/** The ports a service stands on. The store is the service's own; the bus and blobs are shared. */
export interface Infra {
  readonly bus: EventBus;
  readonly store: DocumentStore;
  readonly blobs: BlobStore;
}

/** Reads `FLYWHEEL_BUS…`, `FLYWHEEL_STORE…`/`FLYWHEEL_MONGO…` (per service) and `FLYWHEEL_BLOBS…`/`FLYWHEEL_S3…`. */
export function readInfraConfig(reader: ConfigReader, service: string): InfraConfig {
  return {
    bus: readBusConfig(reader),
    store: readStoreConfig(reader, { service }),
    blobs: readBlobConfig(reader),
  };
}

export interface OpenInfraOptions {
  log: Logger;
  /** Adapters owned by someone else (embedded mode shares one in-process bus and one blob dir). */
  shared?: { bus?: EventBus; blobs?: BlobStore };
}

/**
 * Opens the adapters and starts the outbox relay that publishes what the store's writes carry.
 * Creates the topics of every Flywheel event type (and their DLQs) on the bus, idempotently, in the
 * background (see {@link topicsFirst}): it resolves without waiting for the bus's admin round-trips,
 * and publishing and subscribing wait for the topics. `close()` stops the relay, then closes what
 * this call opened.
 */
export async function openInfra(
  config: InfraConfig,
  options: OpenInfraOptions,
): Promise<Infra & { close(): Promise<void> }> {
  const { log, shared = {} } = options;
  const busLog = log.child({ port: 'bus' });
  // The topics first: their round-trips overlap the store's connection.
  const bus = topicsFirst(shared.bus ?? (await createEventBus(config.bus, { log: busLog })), eventTypes(), {
    log: busLog,
    ownsBus: !shared.bus,
  });
  let store: DocumentStore;
  try {
    store = await createDocumentStore(config.store, { log: log.child({ port: 'store' }) });
  } catch (error) {
    await bus.close();
    throw error;
  }
  const blobs = shared.blobs ?? (await createBlobStore(config.blobs, { log: log.child({ port: 'blobs' }) }));
  const relay = createOutboxRelay({
    store,
    log: log.child({ component: 'outbox-relay' }),
    publish: (entries, callOptions) =>
      bus.publish(
        entries.map((e) => fromWireMessage({ key: e.key, value: e.value, headers: { ...e.headers } })),
        callOptions,
      ),
  });
  relay.start();
  return {
    bus,
    store,
    blobs,
    close: async () => {
      await relay.stop();
      await bus.close();
      await store.close();
      if (!shared.blobs) await blobs.close();
    },
  };
}
