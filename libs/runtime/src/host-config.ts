import { hostname } from 'node:os';
import { type EventSecurityConfig, readEventSecurityConfig } from '@flywheel/bus';
import { type ConfigReader, type LogLevel, logLevels } from '@flywheel/core';
import { type AuthConfig, readAuthConfig, readTlsConfig, type TlsConfig } from '@flywheel/rpc';
import {
  defaultZipkinEndpoint,
  parseTelemetryExporters,
  type TelemetryExporter,
} from '@flywheel/telemetry/sdk';

/** The six services and the port each listens on by default (scheduler 7101 … monitoring 7106). */
export const servicePorts = {
  scheduler: 7101,
  orchestrator: 7102,
  registry: 7103,
  'feature-store': 7104,
  serving: 7105,
  monitoring: 7106,
} as const;

export type ServiceName = keyof typeof servicePorts;

/** The variable a service's gRPC address is read from: `FLYWHEEL_<SERVICE>_GRPC_ADDRESS` (`feature-store` → `FEATURE_STORE`). */
export function grpcAddressVariable(service: ServiceName): string {
  return `FLYWHEEL_${service.toUpperCase().replaceAll('-', '_')}_GRPC_ADDRESS`;
}

/** The variable a service's metrics address is read from: `FLYWHEEL_<SERVICE>_METRICS_ADDRESS`. */
export function metricsAddressVariable(service: ServiceName): string {
  return `FLYWHEEL_${service.toUpperCase().replaceAll('-', '_')}_METRICS_ADDRESS`;
}

/**
 * The metrics address when none is set: the gRPC host, the gRPC port + 100 (scheduler 7201 …
 * monitoring 7206), or port 0 (a free one) when gRPC picks a free port too.
 */
export function defaultMetricsAddress(grpcAddress: string): string {
  const colon = grpcAddress.lastIndexOf(':');
  const host = grpcAddress.slice(0, colon);
  const port = Number(grpcAddress.slice(colon + 1));
  return `${host}:${port === 0 ? 0 : port + 100}`;
}

/**
 * Where peers are reached: the same `FLYWHEEL_<PEER>_GRPC_ADDRESS` each peer binds to, default
 * `127.0.0.1:<its default port>`.
 */
export function readPeers<const P extends ServiceName>(
  reader: ConfigReader,
  peers: readonly P[],
): Record<P, string> {
  const out = {} as Record<P, string>;
  for (const peer of peers) {
    const address = reader.string(grpcAddressVariable(peer), `127.0.0.1:${servicePorts[peer]}`);
    if (!/^[^\s]+:\d{1,5}$/.test(address) || address.endsWith(':0')) {
      reader.problem(grpcAddressVariable(peer), `must be host:port of a running ${peer}, got "${address}"`);
    }
    out[peer] = address;
  }
  return out;
}

/** How a service process serves, logs and traces; the same variables for all six services. */
export interface HostConfig {
  /** `host:port` the gRPC server binds; port 0 picks a free one. */
  grpcAddress: string;
  logLevel: LogLevel;
  /** Where spans are exported (`FLYWHEEL_TELEMETRY`, a comma list); empty: `off`. */
  telemetry: readonly TelemetryExporter[];
  otlpEndpoint: string;
  /** Zipkin's span collector (`FLYWHEEL_ZIPKIN_ENDPOINT`), for the `zipkin` exporter. */
  zipkinEndpoint: string;
  maxMessageBytes: number;
  defaultDeadlineMs: number;
  shutdownGraceMs: number;
  /**
   * Team of the one local principal calls run as until the kernel verifies callers
   * (`FLYWHEEL_LOCAL_TEAM`, default `default`): resources created without a team belong to it.
   */
  localTeam: string;
  /**
   * Which replica this process is (`FLYWHEEL_INSTANCE_ID`, default `<hostname>/<service>`): stable
   * across its restarts, one process per id at a time. A restarted instance takes over the
   * consumer claims its previous (dead) process left at once instead of after their lease.
   */
  instanceId: string;
  /**
   * How long dedupe records of consumed events are kept, ms (`FLYWHEEL_DEDUPE_RETENTION`, default
   * `168h`, at least `1h`): keep it at least as long as the bus keeps events (Kafka's default is 7 days).
   */
  dedupeRetentionMs: number;
  /**
   * Put before every consumer group of the service (`FLYWHEEL_CONSUMER_GROUP_PREFIX`, default
   * empty; letters, digits, `_`, `-`): deployments (or test runs) sharing one broker then never
   * share a group. Empty (unset): the bus's topic prefix stands in, see {@link consumerGroupPrefixOf}.
   */
  consumerGroupPrefix: string;
  /**
   * The Prometheus endpoint (`FLYWHEEL_METRICS`, `on` | `off`, default on): `GET /metrics` on
   * `address` (`FLYWHEEL_<SERVICE>_METRICS_ADDRESS`, default {@link defaultMetricsAddress}),
   * HTTPS when the host serves TLS. Off: no endpoint, no process metrics, no per-call metrics.
   */
  metrics: { enabled: boolean; address: string };
  /** Who may call (`FLYWHEEL_AUTH_*`, see `@flywheel/rpc` readAuthConfig); off by default. */
  auth: AuthConfig;
  /**
   * Transport security of the gRPC server, the HTTP APIs and the clients to peers
   * (`FLYWHEEL_TLS_*`, see `@flywheel/rpc` readTlsConfig); off by default.
   */
  tls: TlsConfig;
  /**
   * The file holding the service's own token (`FLYWHEEL_SERVICE_TOKEN_FILE`, mode 0600), sent as
   * `authorization: Bearer …` on its calls to peers — how a service proves who it is where its
   * peers take tokens but ask for no client certificate. Absent: no token sent.
   */
  serviceTokenFile?: string;
  /**
   * Serve gRPC server reflection (`FLYWHEEL_GRPC_REFLECTION`, `on` | `off`): default on with auth
   * off (grpcurl and Python clients discover the API), off with auth on.
   */
  reflection: boolean;
  /**
   * Who may publish what (`FLYWHEEL_EVENT_PRODUCERS`, `FLYWHEEL_EVENT_KEYS_FILE`,
   * `FLYWHEEL_EVENT_SIGNING_KEY_FILE`, see `@flywheel/bus` readEventSecurityConfig); the
   * producer allow-list is on by default when auth is. Absent: nothing restricted, nothing signed.
   */
  events?: EventSecurityConfig;
}

/**
 * The prefix of a service's consumer groups: `FLYWHEEL_CONSUMER_GROUP_PREFIX`, or when that is
 * unset the bus's `FLYWHEEL_TOPIC_PREFIX` with its dots made `-` (`staging.eu-1.` →
 * `staging-eu-1-`). Environments that share a broker through topic prefixes must not share
 * consumer groups either: Kafka groups are cluster-wide, and one group across two environments'
 * topics would rebalance between them and starve its members.
 */
export function consumerGroupPrefixOf(
  host: Pick<HostConfig, 'consumerGroupPrefix'>,
  bus: { readonly topicPrefix?: string },
): string {
  if (host.consumerGroupPrefix) return host.consumerGroupPrefix;
  return (bus.topicPrefix ?? '').replaceAll('.', '-');
}

const teamPattern = /^[a-z0-9][a-z0-9._-]*$/;
const instancePattern = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/;
const minDedupeRetentionMs = 3_600_000;
const groupPrefixPattern = /^[A-Za-z0-9_-]{0,100}$/;

/**
 * Reads the host settings of one service from `env`:
 * `FLYWHEEL_<SERVICE>_GRPC_ADDRESS` (else `FLYWHEEL_GRPC_ADDRESS`, else `127.0.0.1:<defaultPort>`),
 * `FLYWHEEL_LOG_LEVEL`, `FLYWHEEL_TELEMETRY` (off, or a comma list of console, otlp-proto |
 * otlp-json, zipkin), `FLYWHEEL_OTLP_ENDPOINT`, `FLYWHEEL_ZIPKIN_ENDPOINT`,
 * `FLYWHEEL_MAX_MESSAGE_BYTES`, `FLYWHEEL_DEFAULT_DEADLINE`, `FLYWHEEL_SHUTDOWN_GRACE`,
 * `FLYWHEEL_LOCAL_TEAM`, `FLYWHEEL_INSTANCE_ID`, `FLYWHEEL_DEDUPE_RETENTION`,
 * `FLYWHEEL_CONSUMER_GROUP_PREFIX`, `FLYWHEEL_METRICS`, `FLYWHEEL_<SERVICE>_METRICS_ADDRESS`, `FLYWHEEL_AUTH_*`, `FLYWHEEL_TLS_*`, `FLYWHEEL_GRPC_REFLECTION`
 * and `FLYWHEEL_EVENT_*`.
 * Collects problems into `reader`; the caller calls `reader.done()` once its own settings are read.
 */
export function readHostConfig(reader: ConfigReader, service: ServiceName): HostConfig {
  const variable = grpcAddressVariable(service);
  const grpcAddress =
    reader.optional(variable) ?? reader.string('FLYWHEEL_GRPC_ADDRESS', `127.0.0.1:${servicePorts[service]}`);
  if (!/^[^\s]+:\d{1,5}$/.test(grpcAddress))
    reader.problem(variable, `must be host:port, got "${grpcAddress}"`);
  const metricsVariable = metricsAddressVariable(service);
  const metrics = {
    enabled: reader.oneOf('FLYWHEEL_METRICS', ['on', 'off'], 'on') === 'on',
    address: reader.string(metricsVariable, defaultMetricsAddress(grpcAddress)),
  };
  if (!/^[^\s]+:\d{1,5}$/.test(metrics.address))
    reader.problem(metricsVariable, `must be host:port, got "${metrics.address}"`);
  const telemetry = readTelemetryExporters(reader);
  const localTeam = reader.string('FLYWHEEL_LOCAL_TEAM', 'default');
  if (!teamPattern.test(localTeam) || localTeam.length > 64) {
    reader.problem(
      'FLYWHEEL_LOCAL_TEAM',
      `must be a team name (${teamPattern.source}, ≤ 64), got "${localTeam}"`,
    );
  }
  const host =
    hostname()
      .replace(/[^A-Za-z0-9._:-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '') || 'host';
  const instanceId = reader.string('FLYWHEEL_INSTANCE_ID', `${host}/${service}`);
  if (!instancePattern.test(instanceId)) {
    reader.problem(
      'FLYWHEEL_INSTANCE_ID',
      `must be letters, digits and . _ : / - (up to 200, starting with a letter or digit), got "${instanceId}"`,
    );
  }
  const dedupeRetentionMs = reader.durationMs('FLYWHEEL_DEDUPE_RETENTION', '168h');
  if (dedupeRetentionMs < minDedupeRetentionMs) {
    reader.problem('FLYWHEEL_DEDUPE_RETENTION', `must be at least 1h (the bus's retention or more)`);
  }
  const consumerGroupPrefix = reader.string('FLYWHEEL_CONSUMER_GROUP_PREFIX', '');
  if (!groupPrefixPattern.test(consumerGroupPrefix)) {
    reader.problem(
      'FLYWHEEL_CONSUMER_GROUP_PREFIX',
      `must be letters, digits, _ and - (up to 100), got "${consumerGroupPrefix}"`,
    );
  }
  const auth = readAuthConfig(reader);
  const reflection =
    reader.oneOf('FLYWHEEL_GRPC_REFLECTION', ['on', 'off'], auth.enabled ? 'off' : 'on') === 'on';
  const tls = readTlsConfig(reader);
  const serviceTokenFile = reader.optional('FLYWHEEL_SERVICE_TOKEN_FILE');
  if (auth.enabled && auth.certPrincipalsFile && (!tls.enabled || tls.clientAuth === 'none')) {
    reader.problem(
      'FLYWHEEL_AUTH_CERT_PRINCIPALS',
      'is set but no client certificate is asked for: set FLYWHEEL_TLS=on with FLYWHEEL_TLS_CLIENT_AUTH=request or require',
    );
  }
  return {
    grpcAddress,
    logLevel: reader.oneOf('FLYWHEEL_LOG_LEVEL', logLevels, 'info'),
    telemetry,
    otlpEndpoint: reader.string('FLYWHEEL_OTLP_ENDPOINT', 'http://127.0.0.1:4318/v1/traces'),
    zipkinEndpoint:
      reader.url('FLYWHEEL_ZIPKIN_ENDPOINT', ['http:', 'https:'])?.href ?? defaultZipkinEndpoint,
    maxMessageBytes: reader.int('FLYWHEEL_MAX_MESSAGE_BYTES', 16 * 1024 * 1024, {
      min: 1024,
      max: 2 ** 31 - 1,
    }),
    defaultDeadlineMs: reader.durationMs('FLYWHEEL_DEFAULT_DEADLINE', '30s'),
    shutdownGraceMs: reader.durationMs('FLYWHEEL_SHUTDOWN_GRACE', '10s'),
    localTeam,
    instanceId,
    dedupeRetentionMs,
    consumerGroupPrefix,
    metrics,
    auth,
    tls,
    ...(serviceTokenFile ? { serviceTokenFile } : {}),
    reflection,
    events: readEventSecurityConfig(reader, auth.enabled),
  };
}

/** `FLYWHEEL_TELEMETRY`: `off` (default), one exporter, or a comma list such as `otlp-proto,zipkin`. */
function readTelemetryExporters(reader: ConfigReader): readonly TelemetryExporter[] {
  const parsed = parseTelemetryExporters(reader.string('FLYWHEEL_TELEMETRY', 'off'));
  if (parsed.problem === undefined) return parsed.exporters;
  reader.problem('FLYWHEEL_TELEMETRY', parsed.problem);
  return [];
}
