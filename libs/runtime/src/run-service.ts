import type { BlobStore } from '@flywheel/blobs';
import {
  createIdempotentHandler,
  type EventBus,
  type EventHandler,
  handleEvents,
  type SubscribeOptions,
} from '@flywheel/bus';
import { AppError, type Logger } from '@flywheel/core';
import { createRpcServer, type RpcServer } from '@flywheel/rpc';
import { createJsonLogger } from '@flywheel/telemetry';
import { startTelemetry } from '@flywheel/telemetry/sdk';
import type { HostConfig } from './host-config.ts';
import { type Infra, type InfraConfig, openInfra } from './infra.ts';

/** What a service adds to its host: its handlers and consumers, and how to let go of its resources. */
export interface ServiceWiring {
  /** Closes what the wiring opened, after the server and consumers stopped. */
  close?(): Promise<void>;
}

/** A service's consumer never starts from latest (`fromBeginning` is not its to choose): a group must not skip what it has not handled. */
export interface ConsumeOptions extends Omit<SubscribeOptions, 'group' | 'fromBeginning'> {
  /** Consumer group; default `<service>`. Each consume() of a service needs its own group. */
  group?: string;
}

/** Everything a service's wiring gets from its host. */
export interface ServiceHost {
  readonly name: string;
  readonly server: RpcServer;
  readonly log: Logger;
  readonly infra: Infra;
  /** Aborts when the service starts stopping. */
  readonly signal: AbortSignal;
  /**
   * Consumes events with `handler` until the service stops: idempotent by event id (dedupe records
   * in the service's store), each event in a consumer span continuing the producer's trace,
   * retries then DLQ. Resolves once the consumer has joined its group.
   */
  consume(options: ConsumeOptions, handler: EventHandler): Promise<void>;
}

export interface RunServiceOptions {
  name: string;
  config: { host: HostConfig; infra: InfraConfig };
  /** Registers the service's APIs on `host.server` and starts its consumers. */
  wire(host: ServiceHost): Promise<ServiceWiring> | ServiceWiring;
  /** Defaults to a JSON logger on stdout at the configured level. */
  log?: Logger;
  /** Start the OpenTelemetry SDK for this process. Default true; false when the process already did. */
  startTelemetry?: boolean;
  /** Adapters shared with other services in this process (embedded mode). */
  shared?: { bus?: EventBus; blobs?: BlobStore };
}

export interface RunningService {
  readonly name: string;
  readonly port: number;
  readonly log: Logger;
  /** Graceful stop: NOT_SERVING, drain calls in flight, stop consumers, close wiring and adapters, flush traces. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Hosts one service: logger, telemetry, adapters with the outbox relay, gRPC server (health,
 * reflection, deadlines, limits), the service's wiring and consumers, and a graceful stop.
 * Logs `serving` with the bound port once ready.
 */
export async function runService(options: RunServiceOptions): Promise<RunningService> {
  const { config, name } = options;
  const log = options.log ?? createJsonLogger({ level: config.host.logLevel, base: { service: name } });
  const telemetry =
    options.startTelemetry === false
      ? undefined
      : startTelemetry({
          serviceName: name,
          exporter: config.host.telemetry,
          otlpEndpoint: config.host.otlpEndpoint,
        });
  const infra = await openInfra(config.infra, { log, ...(options.shared ? { shared: options.shared } : {}) });
  const server = createRpcServer({
    log,
    maxReceiveMessageBytes: config.host.maxMessageBytes,
    maxSendMessageBytes: config.host.maxMessageBytes,
    defaultDeadlineMs: config.host.defaultDeadlineMs,
  });
  const stopping = new AbortController();
  const consumers: Promise<void>[] = [];
  const groups = new Set<string>();
  const host: ServiceHost = {
    name,
    server,
    log,
    infra,
    signal: stopping.signal,
    consume: async ({ group = name, ...subscribe }, handler) => {
      // Kafka balances a group's partitions across its members whatever they subscribed to: two
      // consumers with different topics in one group starve each other. One group, one consumer.
      if (groups.has(group)) {
        throw new AppError(
          'internal',
          `${name}: consumer group "${group}" is already used; give each consume() its own group`,
        );
      }
      groups.add(group);
      const subscription = infra.bus.subscribe({ ...subscribe, group, fromBeginning: true });
      const once = createIdempotentHandler({ store: infra.store, log }, handler);
      consumers.push(handleEvents(subscription, once, { signal: stopping.signal, log }));
      await subscription.ready();
    },
  };
  const wiring = await options.wire(host);
  const port = await server.listen(config.host.grpcAddress);
  log.info('serving', { address: config.host.grpcAddress, port });
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      log.info('stopping', { graceMs: config.host.shutdownGraceMs });
      await server.close({ graceMs: config.host.shutdownGraceMs });
      stopping.abort();
      await Promise.all(consumers);
      await wiring.close?.();
      await infra.close();
      await telemetry?.shutdown();
      log.info('stopped');
    })();
    return stopped;
  };
  return { name, port, log, stop };
}

/** Runs `stop` on the first SIGINT or SIGTERM, then exits 0 (1 if stopping failed). */
export function stopOnSignals(stop: () => Promise<void>, log: Logger): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info('signal received', { signal });
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error('stop failed', { error });
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
