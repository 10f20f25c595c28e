import type { BlobStore } from '@flywheel/blobs';
import {
  createEventAdmission,
  createIdempotentHandler,
  type EventBus,
  type EventHandler,
  handleEvents,
  type SubscribeOptions,
  type Subscription,
  signerFor,
} from '@flywheel/bus';
import {
  AppError,
  abortError,
  backoffMs,
  type CallOptions,
  deadlineSignal,
  delay,
  type Logger,
  runActingAs,
} from '@flywheel/core';
import { installEventSigner } from '@flywheel/events';
import { createMetricsRegistry, type MetricsRegistry, sendMetrics } from '@flywheel/metrics';
import {
  type Authenticator,
  createAuthenticator,
  createRpcServer,
  type HttpServer,
  httpMethodNotAllowed,
  localPrincipal,
  type PeerClientOptions,
  type Principal,
  type RpcServer,
  readServiceToken,
  serviceTokenHeaders,
  startHttpServer,
  type TlsConfig,
} from '@flywheel/rpc';
import { createJsonLogger } from '@flywheel/telemetry';
import { startTelemetry } from '@flywheel/telemetry/sdk';
import { consumerGroupPrefixOf, type HostConfig } from './host-config.ts';
import { outcomeCounter, watchConsumerLag, watchOutboxBacklog } from './host-metrics.ts';
import { type Infra, type InfraConfig, openInfra } from './infra.ts';

/** What a service adds to its host: its handlers and consumers, and how to let go of its resources. */
export interface ServiceWiring {
  /** Closes what the wiring opened, after the server and consumers stopped. */
  close?(): Promise<void>;
}

/** A service's consumer never starts from latest (`fromBeginning` is not its to choose): a group must not skip what it has not handled. */
export interface ConsumeOptions extends Omit<SubscribeOptions, 'group' | 'fromBeginning'> {
  /**
   * Consumer group, starting with the service's name (its Kafka ACLs grant groups by that prefix);
   * default `<service>`, after `FLYWHEEL_CONSUMER_GROUP_PREFIX` (unset: the topic
   * prefix, see consumerGroupPrefixOf). Each consume() of
   * a service needs its own group.
   */
  group?: string;
}

/** Everything a service's wiring gets from its host. */
export interface ServiceHost {
  readonly name: string;
  readonly server: RpcServer;
  readonly log: Logger;
  readonly infra: Infra;
  /**
   * The service's Prometheus registry (every series labelled `service=<name>`), served on the
   * host's metrics endpoint: the kernel's per-RPC metrics are in it; the wiring adds its own
   * with `counterOf`/`gaugeOf`/`histogramOf` from `@flywheel/metrics`.
   */
  readonly metrics: MetricsRegistry;
  /**
   * Who calls: the authenticator when `FLYWHEEL_AUTH=on` (the gRPC server already checks it; an
   * HTTP API passes it to startHttpServer), else the one local principal every call runs as.
   */
  readonly auth: { readonly authenticator?: Authenticator; readonly localPrincipal: Principal };
  /**
   * Transport security (`FLYWHEEL_TLS_*`): the gRPC server already serves with it; an HTTP API
   * passes it to startHttpServer, a client to a peer to createRpcClient.
   */
  readonly tls: TlsConfig;
  /**
   * What every client to a peer service is made with: `createRpcClient(S, { address,
   * ...host.peerClient })` — the host's TLS and, with `FLYWHEEL_SERVICE_TOKEN_FILE`, the service's
   * own token on every call (a call's own `authorization` header still wins).
   */
  readonly peerClient: PeerClientOptions;
  /** Aborts when the service starts stopping. */
  readonly signal: AbortSignal;
  /**
   * Consumes events with `handler` until the service stops: idempotent by event id (dedupe records
   * in the service's store, kept `FLYWHEEL_DEDUPE_RETENTION`; claims of this instance's previous
   * process are taken over at once), each event in a consumer span continuing the producer's
   * trace, retries then DLQ. Resolves once the consumer is registered — it never waits for the
   * group: the subscription joins in the background, so the service serves calls meanwhile. Its
   * health entry {@link consumerHealthName}(group) is NOT_SERVING until the group is joined, then
   * SERVING; {@link RunningService.ready} waits for every group. Rejects `internal` for a group
   * already used.
   */
  consume(options: ConsumeOptions, handler: EventHandler): Promise<HostedConsumer>;
}

/** A consumer started by {@link ServiceHost.consume}. */
export interface HostedConsumer {
  /** The consumer group, prefix included. */
  readonly group: string;
  /**
   * Stops this consumer before the service stops (e.g. the thing it consumed for was deleted):
   * closes its subscription (drain, commit) and frees its group name for a later consume(). Its
   * health entry becomes SERVING (nothing to wait for) and it no longer counts for {@link RunningService.ready}.
   * Idempotent.
   */
  stop(): Promise<void>;
}

/** The health entry of a consumer group: `flywheel.consumer.<group>`. */
export function consumerHealthName(group: string): string {
  return `flywheel.consumer.${group}`;
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
  /** The service's Prometheus registry (see {@link ServiceHost.metrics}). */
  readonly metrics: MetricsRegistry;
  /**
   * `host:port` its `GET /metrics` is served on (the bound port when configured with port 0), also
   * logged with `serving` as `metricsAddress`; undefined with `FLYWHEEL_METRICS=off`.
   */
  readonly metricsAddress: string | undefined;
  /**
   * Resolves once every consumer group has joined (logged once as `consumers ready`; at once when
   * there are none). Rejects `deadline_exceeded` after `timeoutMs` (default 60 s) — the groups go
   * on trying — and `failed_precondition` when the service stops first.
   */
  ready(options?: CallOptions): Promise<void>;
  /** Graceful stop: NOT_SERVING, drain calls in flight, stop consumers, close wiring and adapters, flush traces. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Hosts one service: logger, telemetry, adapters with the outbox relay, gRPC server (health,
 * reflection, deadlines, limits), the service's wiring and consumers, and a graceful stop.
 * Serves as soon as the wiring is done, without waiting for consumer groups (a restarted member
 * may wait for a session timeout to rejoin): logs `serving` with the bound port then, health `''`
 * SERVING; logs `consumers ready` once every group has joined (see {@link ServiceHost.consume}).
 */
export async function runService(options: RunServiceOptions): Promise<RunningService> {
  const { config, name } = options;
  const log = options.log ?? createJsonLogger({ level: config.host.logLevel, base: { service: name } });
  const telemetry =
    options.startTelemetry === false
      ? undefined
      : startTelemetry({
          serviceName: name,
          exporters: config.host.telemetry,
          otlpEndpoint: config.host.otlpEndpoint,
          zipkinEndpoint: config.host.zipkinEndpoint,
        });
  const metrics = createMetricsRegistry(name, { processMetrics: config.host.metrics.enabled });
  // Read before anything opens: a refused token file fails the start, naming the file only.
  const serviceToken = config.host.serviceTokenFile
    ? await readServiceToken(config.host.serviceTokenFile)
    : undefined;
  const infra = await openInfra(config.infra, { log, ...(options.shared ? { shared: options.shared } : {}) });
  const auth = {
    localPrincipal: localPrincipal(config.host.localTeam),
    ...(config.host.auth.enabled ? { authenticator: createAuthenticator(config.host.auth) } : {}),
  };
  const server = createRpcServer({
    log,
    ...auth,
    maxReceiveMessageBytes: config.host.maxMessageBytes,
    maxSendMessageBytes: config.host.maxMessageBytes,
    maxSendMessageSetting: 'FLYWHEEL_MAX_MESSAGE_BYTES',
    defaultDeadlineMs: config.host.defaultDeadlineMs,
    reflection: config.host.reflection,
    ...(config.host.metrics.enabled ? { metrics } : {}),
    ...(config.host.tls.enabled ? { tls: config.host.tls } : {}),
  });
  // The service's own identity: its background work (timers, relays) and its event handlers act
  // as it; events it publishes are signed as its source when a signing key is configured.
  const identity = `service:${name}`;
  const events = config.host.events ?? {};
  const admit = createEventAdmission(events);
  const signer = signerFor(events, `flywheel/${name}`);
  const uninstallSigner = signer ? installEventSigner(signer) : undefined;
  const stopping = new AbortController();
  const consumers: Promise<void>[] = [];
  /** Per group: true once joined, false when the service stopped first. Never rejects. */
  const joins: Promise<boolean>[] = [];
  const groups = new Set<string>();
  /** The topics of each running consumer group, for the consumer-lag gauge. */
  const consumed = new Map<string, readonly string[]>();
  if (config.host.metrics.enabled) {
    watchConsumerLag(
      metrics,
      infra.bus,
      () => [...consumed].map(([group, topics]) => ({ group, topics })),
      log,
    );
    watchOutboxBacklog(metrics, infra.store, log);
  }
  // One process per instance id at a time; the incarnation tells this process from its predecessors.
  const instance = { id: config.host.instanceId, incarnation: crypto.randomUUID() };

  const join = async (subscription: Subscription, group: string, signal: AbortSignal): Promise<boolean> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await subscription.ready({ signal, timeoutMs: 30_000 });
        server.setHealth(consumerHealthName(group), 'SERVING');
        log.info('consumer ready', { group });
        return true;
      } catch (error) {
        if (stopping.signal.aborted) return false;
        // Stopped on its own (not the service): it no longer holds readiness back.
        if (signal.aborted) return true;
        const failure = AppError.from(error);
        log.warn('consumer group not joined yet; still trying', { group, attempt, error: failure.message });
        // Refused at once (e.g. `permission_denied` from the broker's ACLs): ask again after a while.
        if (!failure.retriable) await delay(backoffMs(attempt, 1000, 30_000), signal).catch(() => undefined);
      }
    }
  };
  const host: ServiceHost = {
    name,
    server,
    log,
    infra,
    metrics,
    auth,
    tls: config.host.tls,
    peerClient: { tls: config.host.tls, headers: serviceTokenHeaders(serviceToken) },
    signal: stopping.signal,
    consume: async ({ group: named = name, ...subscribe }, handler) => {
      // Kafka ACLs grant a service the groups prefixed with its name (scripts/kafka-acls.ts).
      if (!named.startsWith(name)) {
        throw new AppError(
          'internal',
          `${name}: consumer group "${named}" must start with "${name}" (the Kafka ACLs grant a service's groups by that prefix)`,
        );
      }
      const group = `${consumerGroupPrefixOf(config.host, config.infra.bus)}${named}`;
      // Kafka balances a group's partitions across its members whatever they subscribed to: two
      // consumers with different topics in one group starve each other. One group, one consumer.
      if (groups.has(group)) {
        throw new AppError(
          'internal',
          `${name}: consumer group "${group}" is already used; give each consume() its own group`,
        );
      }
      groups.add(group);
      server.setHealth(consumerHealthName(group), 'NOT_SERVING');
      const subscription = infra.bus.subscribe({
        ...subscribe,
        group,
        fromBeginning: true,
        ...(config.host.metrics.enabled ? { onOutcome: outcomeCounter(metrics, group) } : {}),
      });
      consumed.set(group, subscribe.topics);
      const once = createIdempotentHandler(
        { store: infra.store, log, retentionMs: config.host.dedupeRetentionMs, instance },
        handler,
      );
      const own = new AbortController();
      const signal = AbortSignal.any([stopping.signal, own.signal]);
      // Records of outside topics (raw, or any: CloudEvents or not) come from other systems, not from
      // a Flywheel producer the allow-list names: not admitted here (the broker's ACLs say who writes).
      const outside = subscribe.records === 'raw' || subscribe.records === 'any';
      const admission = outside ? {} : admit ? { admit } : {};
      const handling = handleEvents(subscription, once, { signal, log, actingAs: identity, ...admission });
      consumers.push(handling);
      joins.push(join(subscription, group, signal));
      let stopped: Promise<void> | undefined;
      return {
        group,
        stop: () => {
          stopped ??= (async () => {
            own.abort();
            await handling;
            groups.delete(group);
            consumed.delete(group);
            // Nothing to wait for any more: the entry must not hold the service's health down.
            server.setHealth(consumerHealthName(group), 'SERVING');
          })();
          return stopped;
        },
      };
    },
  };
  const wiring = await runActingAs({ subject: identity, teams: [] }, () => options.wire(host));
  const metricsServer = config.host.metrics.enabled
    ? await serveMetrics(metrics, config.host, name, log)
    : undefined;
  const port = await server.listen(config.host.grpcAddress);
  log.info('serving', {
    address: config.host.grpcAddress,
    port,
    ...(metricsServer ? { metricsAddress: metricsServer.address } : {}),
    auth: config.host.auth.enabled ? 'on' : 'off',
    tls: config.host.tls.enabled
      ? config.host.tls.clientAuth === 'none'
        ? 'on'
        : `mtls-${config.host.tls.clientAuth}`
      : 'off',
    reflection: config.host.reflection ? 'on' : 'off',
    instance: instance.id,
    incarnation: instance.incarnation,
    // Since the process started: how long a restart keeps calls waiting, and the CPU time that
    // took (which a loaded machine does not inflate).
    startupMs: Math.round(process.uptime() * 1000),
    startupCpuMs: cpuMsOf(process.cpuUsage()),
  });
  const wired = [...groups];
  void Promise.all(joins).then((joined) => {
    if (joined.every(Boolean)) log.info('consumers ready', { groups: wired });
  });
  const ready = async (callOptions: CallOptions = {}): Promise<void> => {
    const all = Promise.all(joins).then((joined) => {
      if (!joined.every(Boolean))
        throw new AppError('failed_precondition', `${name} stopped before its consumer groups joined`);
    });
    const signal = deadlineSignal(callOptions, 60_000);
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(abortError(signal));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      all.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  };
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      log.info('stopping', { graceMs: config.host.shutdownGraceMs });
      await server.close({ graceMs: config.host.shutdownGraceMs });
      await metricsServer?.close();
      stopping.abort();
      await Promise.all(consumers);
      await wiring.close?.();
      await infra.close();
      uninstallSigner?.();
      await telemetry?.shutdown();
      log.info('stopped');
    })();
    return stopped;
  };
  return { name, port, log, metrics, metricsAddress: metricsServer?.address, ready, stop };
}

/**
 * `GET /metrics` of the service's registry on its metrics address, open to any scraper (HTTPS when
 * the host serves TLS); any other path is 404.
 */
function serveMetrics(
  registry: MetricsRegistry,
  host: HostConfig,
  service: string,
  log: Logger,
): Promise<HttpServer> {
  return startHttpServer(
    host.metrics.address,
    async (req, res) => {
      const path = new URL(req.url ?? '/', 'http://server').pathname;
      if (path !== '/metrics') throw new AppError('not_found', `${path}: only /metrics is served here`);
      if (req.method !== 'GET' && req.method !== 'HEAD')
        throw httpMethodNotAllowed(req.method ?? '', path, 'GET');
      await sendMetrics(registry, req, res);
    },
    {
      log,
      setting: `FLYWHEEL_${service.toUpperCase().replaceAll('-', '_')}_METRICS_ADDRESS`,
      ...(host.tls.enabled ? { tls: host.tls } : {}),
    },
  );
}

function cpuMsOf(usage: NodeJS.CpuUsage): number {
  return Math.round((usage.user + usage.system) / 1000);
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
