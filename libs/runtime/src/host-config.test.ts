import { hostname } from 'node:os';
import { ConfigReader } from '@flywheel/core';
import { describe, expect, it } from 'vitest';
import {
  defaultMetricsAddress,
  grpcAddressVariable,
  readHostConfig,
  readPeers,
  type ServiceName,
  servicePorts,
} from './host-config.ts';

/** The problems `done()` throws, or '' when there are none. */
function problemsOf(reader: ConfigReader): string {
  try {
    reader.done();
    return '';
  } catch (error) {
    expect(error).toMatchObject({ code: 'invalid_argument' });
    return (error as Error).message;
  }
}

describe('grpcAddressVariable', () => {
  it.each([
    ['scheduler', 'FLYWHEEL_SCHEDULER_GRPC_ADDRESS'],
    ['orchestrator', 'FLYWHEEL_ORCHESTRATOR_GRPC_ADDRESS'],
    ['registry', 'FLYWHEEL_REGISTRY_GRPC_ADDRESS'],
    ['feature-store', 'FLYWHEEL_FEATURE_STORE_GRPC_ADDRESS'],
    ['serving', 'FLYWHEEL_SERVING_GRPC_ADDRESS'],
    ['monitoring', 'FLYWHEEL_MONITORING_GRPC_ADDRESS'],
  ] as const)('%s reads %s', (service, variable) => {
    expect(grpcAddressVariable(service)).toBe(variable);
  });

  it('covers every service, each on its own default port', () => {
    const ports = Object.values(servicePorts);
    expect(new Set(ports).size).toBe(ports.length);
    expect(Object.keys(servicePorts)).toHaveLength(6);
  });
});

describe('readHostConfig', () => {
  it('defaults every setting', () => {
    const reader = new ConfigReader({});
    expect(readHostConfig(reader, 'registry')).toEqual({
      grpcAddress: '127.0.0.1:7103',
      logLevel: 'info',
      telemetry: [],
      otlpEndpoint: 'http://127.0.0.1:4318/v1/traces',
      zipkinEndpoint: 'http://127.0.0.1:9411/api/v2/spans',
      maxMessageBytes: 16 * 1024 * 1024,
      defaultDeadlineMs: 30_000,
      shutdownGraceMs: 10_000,
      localTeam: 'default',
      instanceId: `${hostname()}/registry`, // this container's hostname needs no cleaning
      dedupeRetentionMs: 7 * 24 * 3_600_000,
      consumerGroupPrefix: '',
      metrics: { enabled: true, address: '127.0.0.1:7203' },
      auth: { enabled: false },
      tls: { enabled: false },
      reflection: true,
      events: {},
    });
    expect(problemsOf(reader)).toBe('');
  });

  it('reads every setting', () => {
    const reader = new ConfigReader({
      FLYWHEEL_FEATURE_STORE_GRPC_ADDRESS: '0.0.0.0:9000',
      FLYWHEEL_LOG_LEVEL: 'debug',
      FLYWHEEL_TELEMETRY: 'otlp-json, zipkin',
      FLYWHEEL_OTLP_ENDPOINT: 'http://collector:4318/v1/traces',
      FLYWHEEL_ZIPKIN_ENDPOINT: 'https://zipkin.example:9411/api/v2/spans',
      FLYWHEEL_MAX_MESSAGE_BYTES: '4096',
      FLYWHEEL_DEFAULT_DEADLINE: '2s',
      FLYWHEEL_SHUTDOWN_GRACE: '500ms',
      FLYWHEEL_LOCAL_TEAM: 'growth',
      FLYWHEEL_INSTANCE_ID: 'node-7/feature-store-0',
      FLYWHEEL_DEDUPE_RETENTION: '336h',
      FLYWHEEL_CONSUMER_GROUP_PREFIX: 'staging-',
      FLYWHEEL_GRPC_REFLECTION: 'off',
      FLYWHEEL_METRICS: 'off',
      FLYWHEEL_FEATURE_STORE_METRICS_ADDRESS: '0.0.0.0:9100',
      FLYWHEEL_EVENT_PRODUCERS: '{"dataset.arrived": ["urn:data-pipeline:nightly"]}',
    });
    const config = readHostConfig(reader, 'feature-store');
    // The JSON goes over the default allow-list: owned types keep their owners.
    expect(config.events?.producers?.get('dataset.arrived')).toEqual(['urn:data-pipeline:nightly']);
    expect(config.events?.producers?.get('prediction.logged')).toEqual(['flywheel/serving']);
    expect(config).toEqual({
      grpcAddress: '0.0.0.0:9000',
      logLevel: 'debug',
      telemetry: ['otlp-json', 'zipkin'],
      otlpEndpoint: 'http://collector:4318/v1/traces',
      zipkinEndpoint: 'https://zipkin.example:9411/api/v2/spans',
      maxMessageBytes: 4096,
      defaultDeadlineMs: 2000,
      shutdownGraceMs: 500,
      localTeam: 'growth',
      instanceId: 'node-7/feature-store-0',
      dedupeRetentionMs: 14 * 24 * 3_600_000,
      consumerGroupPrefix: 'staging-',
      metrics: { enabled: false, address: '0.0.0.0:9100' },
      auth: { enabled: false },
      tls: { enabled: false },
      reflection: false,
      events: { producers: expect.any(Map) },
    });
    expect(problemsOf(reader)).toBe('');
  });

  it.each([
    ['zipkin', ['zipkin'], undefined],
    ['otlp-proto,zipkin', ['otlp-proto', 'zipkin'], undefined],
    ['console , otlp-json', ['console', 'otlp-json'], undefined],
    ['off', [], undefined],
    ['off,zipkin', [], 'FLYWHEEL_TELEMETRY cannot combine off with exporters, got "off,zipkin"'],
    ['zipkin,zipkin', [], 'FLYWHEEL_TELEMETRY names zipkin twice, got "zipkin,zipkin"'],
    ['otlp-proto,otlp-json', [], 'FLYWHEEL_TELEMETRY takes one of otlp-proto and otlp-json'],
    ['otlp,zipkin', [], 'FLYWHEEL_TELEMETRY must be off, or one or more (comma-separated) of'],
    ['zipkin,', [], 'FLYWHEEL_TELEMETRY must be off, or one or more (comma-separated) of'],
  ])('FLYWHEEL_TELEMETRY=%o', (value, exporters, problem) => {
    const reader = new ConfigReader({ FLYWHEEL_TELEMETRY: value });
    expect(readHostConfig(reader, 'serving').telemetry).toEqual(exporters);
    if (problem) expect(problemsOf(reader)).toContain(problem);
    else expect(problemsOf(reader)).toBe('');
  });

  it('FLYWHEEL_ZIPKIN_ENDPOINT must be an http(s) URL, named in the problem', () => {
    const reader = new ConfigReader({
      FLYWHEEL_TELEMETRY: 'zipkin',
      FLYWHEEL_ZIPKIN_ENDPOINT: 'zipkin:9411',
    });
    expect(readHostConfig(reader, 'serving').zipkinEndpoint).toBe('http://127.0.0.1:9411/api/v2/spans');
    expect(problemsOf(reader)).toContain(
      'FLYWHEEL_ZIPKIN_ENDPOINT must be a http: or https: URL, got "zipkin:9411"',
    );
  });

  it('serves metrics beside gRPC by default: its host, its port + 100, a free port when gRPC takes one', () => {
    expect(defaultMetricsAddress('127.0.0.1:7105')).toBe('127.0.0.1:7205');
    expect(defaultMetricsAddress('[::1]:0')).toBe('[::1]:0');
    const config = (env: Record<string, string>) => readHostConfig(new ConfigReader(env), 'serving').metrics;
    expect(config({ FLYWHEEL_SERVING_GRPC_ADDRESS: '0.0.0.0:9000' }).address).toBe('0.0.0.0:9100');
    expect(config({ FLYWHEEL_SERVING_GRPC_ADDRESS: '127.0.0.1:0' }).address).toBe('127.0.0.1:0');
    const reader = new ConfigReader({ FLYWHEEL_SERVING_METRICS_ADDRESS: 'nope', FLYWHEEL_METRICS: 'maybe' });
    readHostConfig(reader, 'serving');
    expect(problemsOf(reader)).toMatch(/FLYWHEEL_SERVING_METRICS_ADDRESS.*host:port/s);
    expect(problemsOf(reader)).toMatch(/FLYWHEEL_METRICS/);
  });

  it("prefers the service's own address variable over FLYWHEEL_GRPC_ADDRESS, port 0 allowed", () => {
    const env = { FLYWHEEL_GRPC_ADDRESS: '10.0.0.1:7000', FLYWHEEL_SERVING_GRPC_ADDRESS: '127.0.0.1:0' };
    expect(readHostConfig(new ConfigReader(env), 'serving').grpcAddress).toBe('127.0.0.1:0');
    expect(readHostConfig(new ConfigReader(env), 'monitoring').grpcAddress).toBe('10.0.0.1:7000');
  });

  it.each([
    ['growth', undefined],
    ['team-a.b_c', undefined],
    ['0ops', undefined],
    ['a'.repeat(64), undefined],
    ['a'.repeat(65), 'FLYWHEEL_LOCAL_TEAM must be a team name'],
    ['Growth', 'FLYWHEEL_LOCAL_TEAM must be a team name'],
    ['-growth', 'FLYWHEEL_LOCAL_TEAM must be a team name'],
    ['team a', 'FLYWHEEL_LOCAL_TEAM must be a team name'],
    ['team/a', 'FLYWHEEL_LOCAL_TEAM must be a team name'],
  ])('FLYWHEEL_LOCAL_TEAM=%o', (team, problem) => {
    const reader = new ConfigReader({ FLYWHEEL_LOCAL_TEAM: team });
    expect(readHostConfig(reader, 'registry').localTeam).toBe(team);
    if (problem)
      expect(problemsOf(reader)).toContain(`${problem} (^[a-z0-9][a-z0-9._-]*$, ≤ 64), got "${team}"`);
    else expect(problemsOf(reader)).toBe('');
  });

  it('collects every bad host setting at once', () => {
    const reader = new ConfigReader({
      FLYWHEEL_REGISTRY_GRPC_ADDRESS: 'nowhere',
      FLYWHEEL_LOG_LEVEL: 'chatty',
      FLYWHEEL_TELEMETRY: 'jaeger',
      FLYWHEEL_MAX_MESSAGE_BYTES: '12',
      FLYWHEEL_DEFAULT_DEADLINE: 'soon',
      FLYWHEEL_SHUTDOWN_GRACE: '-1s',
      FLYWHEEL_INSTANCE_ID: 'has space',
      FLYWHEEL_DEDUPE_RETENTION: '10m',
      FLYWHEEL_CONSUMER_GROUP_PREFIX: 'a.b',
    });
    readHostConfig(reader, 'registry');
    const problems = problemsOf(reader);
    for (const expected of [
      'FLYWHEEL_REGISTRY_GRPC_ADDRESS must be host:port, got "nowhere"',
      'FLYWHEEL_LOG_LEVEL must be one of',
      'FLYWHEEL_TELEMETRY must be off, or one or more (comma-separated) of console, otlp-proto, otlp-json, zipkin, got "jaeger"',
      'FLYWHEEL_MAX_MESSAGE_BYTES must be an integer from 1024 to 2147483647, got "12"',
      'FLYWHEEL_DEFAULT_DEADLINE must be a duration',
      'FLYWHEEL_SHUTDOWN_GRACE must be a duration',
      'FLYWHEEL_INSTANCE_ID must be letters, digits and . _ : / -',
      "FLYWHEEL_DEDUPE_RETENTION must be at least 1h (the bus's retention or more)",
      'FLYWHEEL_CONSUMER_GROUP_PREFIX must be letters, digits, _ and - (up to 100), got "a.b"',
    ]) {
      expect(problems).toContain(expected);
    }
  });
});

describe('readPeers', () => {
  it('defaults each peer to 127.0.0.1 on its default port', () => {
    const reader = new ConfigReader({});
    expect(readPeers(reader, ['registry', 'feature-store'])).toEqual({
      registry: '127.0.0.1:7103',
      'feature-store': '127.0.0.1:7104',
    });
    expect(problemsOf(reader)).toBe('');
  });

  it('reads the address each peer binds to', () => {
    const reader = new ConfigReader({ FLYWHEEL_SCHEDULER_GRPC_ADDRESS: 'scheduler.internal:7101' });
    expect(readPeers(reader, ['scheduler'])).toEqual({ scheduler: 'scheduler.internal:7101' });
  });

  it.each([
    ['127.0.0.1:0', 'must be host:port of a running registry, got "127.0.0.1:0"'],
    ['registry', 'must be host:port of a running registry, got "registry"'],
    ['host name:1', 'must be host:port of a running registry, got "host name:1"'],
  ])('rejects %o', (address, problem) => {
    const reader = new ConfigReader({ FLYWHEEL_REGISTRY_GRPC_ADDRESS: address });
    const peers: ServiceName[] = ['registry'];
    readPeers(reader, peers);
    expect(problemsOf(reader)).toContain(`FLYWHEEL_REGISTRY_GRPC_ADDRESS ${problem}`);
  });
});
