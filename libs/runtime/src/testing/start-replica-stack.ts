import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { type BlobStore, createFsBlobs } from '@flywheel/blobs';
import type { EventBus, Subscription } from '@flywheel/bus';
import { createKafkaBus } from '@flywheel/bus/kafka';
import type { Env } from '@flywheel/core';
import type { CloudEvent } from '@flywheel/events';
import { createRpcClient, type RpcClient } from '@flywheel/rpc';
import type { RealServers } from '@flywheel/testing';
import type { HostConfig, ServiceName } from '../host-config.ts';
import type { InfraConfig } from '../infra.ts';
import { type InProcessService, type StartInProcessOptions, startInProcess } from './start-in-process.ts';

export interface ReplicaStackOptions {
  /** A name unique to this test run: instance ids are `<run>/<instance>`, prefixes start with it. */
  run: string;
  /** The shared real servers (`realServers()`). */
  servers: RealServers;
  /**
   * How this run keeps apart from other tests on the shared broker: its own topics
   * (`FLYWHEEL_TOPIC_PREFIX=<run>.`, the default) or only its own consumer groups
   * (`FLYWHEEL_CONSUMER_GROUP_PREFIX=<run>-`).
   */
  isolate?: 'topics' | 'groups';
}

export interface StartReplicaOptions<C> extends Omit<StartInProcessOptions<C>, 'shared'> {
  /** Its FLYWHEEL_INSTANCE_ID is `<run>/<instance>`. */
  instance: string;
  /** On the shared MongoDB-wire store, in this database; without it, the embedded store of its own. */
  database?: string;
}

/** Services of one test on one Kafka bus, one blob store and (for replicas) one MongoDB-wire database. */
export interface ReplicaStack {
  /** The blob store every service of the stack shares (a temp dir). */
  readonly blobs: BlobStore;
  /** `<run>.` when the stack has topics of its own. */
  readonly topicPrefix: string | undefined;
  /** Starts a service on the stack's bus and blobs; {@link ReplicaStack.close} stops it. */
  start<C extends { host: HostConfig; infra: InfraConfig }>(
    name: ServiceName,
    options: StartReplicaOptions<C>,
  ): Promise<InProcessService>;
  /** The test's own Kafka bus on the stack's topics (one, made on first use), to publish and observe. */
  bus(): EventBus;
  /**
   * What the services announce on `topics`, read back by an observer group of its own and kept
   * once per event id (two outbox relays may publish one entry: at-least-once, same id), in
   * arrival order. Resolves once the group has joined.
   */
  observe(topics: readonly string[]): Promise<ReadonlyMap<string, CloudEvent>>;
  /** A client of `address` (20 s default deadline) that {@link ReplicaStack.close} closes. */
  client<S extends GenServiceMethods>(service: GenService<S>, address: string): RpcClient<S>;
  /** Closes observers and clients, stops the services (last started first, each once), closes the bus and the blobs. */
  close(): Promise<void>;
}

/**
 * The setup of tests that run two replicas of a service as production does: distinct instance
 * ids, one Kafka bus, one MongoDB-wire database, one blob store. Register
 * `onTestFinished(() => stack.close())` right after creating it.
 */
export function startReplicaStack(options: ReplicaStackOptions): ReplicaStack {
  const { run, servers } = options;
  const blobs = createFsBlobs({ dir: mkdtempSync(join(tmpdir(), 'flywheel-replicas-blobs-')) });
  const topicPrefix = options.isolate === 'groups' ? undefined : `${run}.`;
  const busEnv: Env = {
    FLYWHEEL_BUS: 'kafka',
    ...servers.kafkaEnv,
    ...(topicPrefix === undefined
      ? { FLYWHEEL_CONSUMER_GROUP_PREFIX: `${run}-` }
      : { FLYWHEEL_TOPIC_PREFIX: topicPrefix }),
  };
  const started: InProcessService[] = [];
  const clients: { close(): void }[] = [];
  const observers: Subscription[] = [];
  let bus: EventBus | undefined;
  const ownBus = (): EventBus => {
    bus ??= createKafkaBus({
      ...servers.kafka,
      ...(topicPrefix === undefined ? {} : { topicPrefix }),
      clientId: `${run}-test`,
    });
    return bus;
  };
  return {
    blobs,
    topicPrefix,
    bus: ownBus,
    observe: async (topics) => {
      const seen = new Map<string, CloudEvent>();
      const observer = ownBus().subscribe({
        topics: [...topics],
        group: `${run}-observer${observers.length === 0 ? '' : `-${observers.length + 1}`}`,
        concurrency: 16,
      });
      observers.push(observer);
      void (async () => {
        for await (const delivery of observer) {
          if (!seen.has(delivery.event.id)) seen.set(delivery.event.id, delivery.event);
          await delivery.ack();
        }
      })();
      await observer.ready({ timeoutMs: 60_000 });
      return seen;
    },
    start: async (name, { instance, database, env, ...start }) => {
      const service = await startInProcess(name, {
        ...start,
        shared: { blobs },
        env: {
          ...busEnv,
          ...(database === undefined
            ? {}
            : {
                FLYWHEEL_STORE: 'mongo',
                FLYWHEEL_MONGO_URL: servers.mongoUrl,
                FLYWHEEL_MONGO_DATABASE: database,
              }),
          FLYWHEEL_INSTANCE_ID: `${run}/${instance}`,
          ...env,
        },
      });
      started.push(service);
      return service;
    },
    client: (service, address) => {
      const client = createRpcClient(service, { address, defaultTimeoutMs: 20_000 });
      clients.push(client);
      return client;
    },
    close: async () => {
      for (const observer of observers.splice(0)) await observer.close();
      for (const client of clients.splice(0)) client.close();
      for (const service of started.splice(0).reverse()) await service.stop();
      await bus?.close();
      await blobs.close();
    },
  };
}
