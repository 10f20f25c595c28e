import { AppError, type ConfigReader, type Logger, silentLogger } from '@flywheel/core';
import type { EventBus } from './event-bus.ts';
import { type KafkaSecurity, readKafkaSecurity } from './kafka/kafka-security.ts';
import { createMemoryBus } from './memory/memory-bus.ts';
import { type NatsSecurity, readNatsSecurity } from './nats/nats-security.ts';
import { topicPrefixProblem } from './topic-names.ts';

/** Settings every adapter shares. */
export interface BusDeliveryConfig {
  /**
   * How long subscriptions retry a retriable failure before dead-lettering it, ms (their
   * `retryBudgetMs` default). `readBusConfig` always sets it; left out, the port's 15 min apply.
   */
  readonly retryBudgetMs?: number;
  /**
   * Put before every topic name on the broker (`FLYWHEEL_TOPIC_PREFIX`, e.g. `staging.`), so
   * environments can share one broker; absent: none. Event types and the topics deliveries report
   * stay unprefixed.
   */
  readonly topicPrefix?: string;
}

/** Which event bus to use, parsed from configuration by {@link readBusConfig}. */
export type BusConfig = BusDeliveryConfig &
  (
    | { readonly kind: 'memory' }
    | {
        readonly kind: 'kafka';
        readonly brokers: readonly string[];
        readonly numPartitions: number;
        /** Consumer session timeout, ms; the heartbeat is a tenth of it. */
        readonly sessionTimeoutMs: number;
        /** TLS and SASL towards the brokers (none: PLAINTEXT). */
        readonly security: KafkaSecurity;
      }
    | {
        readonly kind: 'nats';
        readonly url: string;
        /** TLS and the user towards the servers (none: plain, anonymous). */
        readonly security: NatsSecurity;
      }
  );

export const busKinds = ['memory', 'kafka', 'nats'] as const;

const hostPort = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/;

/**
 * Reads the bus settings: `FLYWHEEL_BUS` = `memory` (default) | `kafka` | `nats`;
 * `FLYWHEEL_BUS_RETRY_BUDGET` (a duration, default `15m`: how long a retriable failure is retried
 * before the event is dead-lettered); with kafka,
 * `FLYWHEEL_KAFKA_BROKERS` (`host:port[,host:port…]`, required) and `FLYWHEEL_KAFKA_PARTITIONS`
 * (partitions of topics the bus creates, default 3) and `FLYWHEEL_KAFKA_SESSION_TIMEOUT` (how long a
 * silent — e.g. killed — member holds its partitions before the group rebalances, default `10s`,
 * 6s…5m: the broker's default bounds; the heartbeat is a tenth of it); with nats, `FLYWHEEL_NATS_URL`
 * (`nats://host:port[,…]`, required) with TLS and a user as {@link readNatsSecurity} reads them; TLS and SASL to Kafka as {@link readKafkaSecurity} reads them; `FLYWHEEL_TOPIC_PREFIX` (default none: letters, digits,
 * `-` and `.`, ending in `.`) is put before every topic name on the broker. Problems are recorded on `reader`; the caller's
 * `reader.done()` reports them.
 */
export function readBusConfig(reader: ConfigReader): BusConfig {
  const kind = reader.oneOf('FLYWHEEL_BUS', busKinds, 'memory');
  const delivery: BusDeliveryConfig = {
    retryBudgetMs: reader.durationMs('FLYWHEEL_BUS_RETRY_BUDGET', '15m'),
    ...readTopicPrefix(reader),
  };
  if (kind === 'kafka') {
    const raw = reader.optional('FLYWHEEL_KAFKA_BROKERS');
    const numPartitions = reader.int('FLYWHEEL_KAFKA_PARTITIONS', 3, { min: 1, max: 10_000 });
    const sessionTimeoutMs = reader.durationMs('FLYWHEEL_KAFKA_SESSION_TIMEOUT', '10s');
    if (sessionTimeoutMs < 6000 || sessionTimeoutMs > 300_000)
      reader.problem('FLYWHEEL_KAFKA_SESSION_TIMEOUT', 'must be from 6s to 5m (the broker refuses others)');
    const security = readKafkaSecurity(reader);
    if (raw === undefined) {
      reader.problem(
        'FLYWHEEL_KAFKA_BROKERS',
        'is required when FLYWHEEL_BUS=kafka (host:port[,host:port…])',
      );
      return { kind, brokers: [], numPartitions, sessionTimeoutMs, security, ...delivery };
    }
    const brokers = raw.split(',').map((broker) => broker.trim().replace(/^kafka:\/\//, ''));
    const bad = brokers.filter((broker) => !hostPort.test(broker));
    if (bad.length > 0)
      reader.problem('FLYWHEEL_KAFKA_BROKERS', `must be host:port entries, got "${bad.join('", "')}"`);
    return { kind, brokers, numPartitions, sessionTimeoutMs, security, ...delivery };
  }
  if (kind === 'nats') {
    const raw = reader.optional('FLYWHEEL_NATS_URL');
    const security = readNatsSecurity(reader);
    if (raw === undefined) {
      reader.problem('FLYWHEEL_NATS_URL', 'is required when FLYWHEEL_BUS=nats (nats://host:port)');
      return { kind, url: '', security, ...delivery };
    }
    for (const url of raw.split(',')) {
      if (!/^(nats|tls):\/\/[^\s/]+$/.test(url.trim()))
        reader.problem('FLYWHEEL_NATS_URL', `must be nats://host:port URLs, got "${url.trim()}"`);
    }
    return { kind, url: raw, security, ...delivery };
  }
  return { kind, ...delivery };
}

function readTopicPrefix(reader: ConfigReader): { topicPrefix?: string } {
  const topicPrefix = reader.optional('FLYWHEEL_TOPIC_PREFIX');
  if (topicPrefix === undefined) return {};
  const problem = topicPrefixProblem(topicPrefix);
  if (problem) reader.problem('FLYWHEEL_TOPIC_PREFIX', problem);
  return { topicPrefix };
}

/**
 * The event bus `config` names, connected lazily (the first publish or subscription connects).
 * Loads the adapter's module (and its client library: kafkajs, @nats-io) only for that adapter, so
 * the embedded bus loads neither. Rejects `invalid_argument` for a config `readBusConfig` would
 * have rejected.
 */
export async function createEventBus(config: BusConfig, deps: { log?: Logger } = {}): Promise<EventBus> {
  const log = deps.log ?? silentLogger;
  const shared = {
    ...(config.retryBudgetMs === undefined ? {} : { retryBudgetMs: config.retryBudgetMs }),
    ...(config.topicPrefix === undefined ? {} : { topicPrefix: config.topicPrefix }),
  };
  switch (config.kind) {
    case 'memory':
      return createMemoryBus({ log, ...shared });
    case 'kafka': {
      const { createKafkaBus } = await import('./kafka/kafka-bus.ts');
      return createKafkaBus({
        brokers: config.brokers,
        ...config.security,
        numPartitions: config.numPartitions,
        sessionTimeoutMs: config.sessionTimeoutMs,
        heartbeatIntervalMs: Math.round(config.sessionTimeoutMs / 10),
        log,
        ...shared,
      });
    }
    case 'nats': {
      if (!config.url) throw AppError.invalidArgument('url', 'a NATS URL is required');
      const { createNatsBus } = await import('./nats/nats-bus.ts');
      return createNatsBus({ url: config.url, security: config.security, log, ...shared });
    }
  }
}
