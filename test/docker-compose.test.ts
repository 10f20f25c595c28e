// docker-compose.yml cannot be run here (no Docker engine): instead each Flywheel process's
// environment in it is fed to that process's own config loader, and what it binds and calls is
// checked against what the file publishes and names.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { addressOf, endpointsOf, type ProcessName, processNames } from './deployment-config.ts';

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: string[];
}

const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;

function envOf(name: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(services[name]?.environment ?? {}).map(([k, v]) => [k, String(v)]),
  );
}

/** Container ports published on the host (`host:container`), each on the same host port. */
function published(name: string): number[] {
  return (services[name]?.ports ?? []).map((mapping) => {
    const [host, container] = mapping.split(':');
    expect(host, `${name} publishes ${mapping} on another host port`).toBe(container);
    return Number(container);
  });
}

describe.each(processNames.map((name) => ({ name })))('docker-compose: $name', ({ name }) => {
  const endpoints = () => endpointsOf(name, envOf(name));

  it('its configuration loads, and it runs its own main module from the image', () => {
    expect(services[name]?.build?.dockerfile).toBe('deploy/Dockerfile');
    expect(services[name]?.command).toEqual([`services/${name}/src/main.ts`]);
    expect(existsSync(join(repoRoot, `services/${name}/src/main.ts`))).toBe(true);
    expect(endpoints).not.toThrow();
  });

  it('binds every interface, and each port it serves (gRPC, /metrics, HTTP) is published', () => {
    const { grpc, metrics, http } = endpoints();
    const served = [grpc, metrics, http].filter((a) => a !== undefined);
    expect(served.length).toBeGreaterThan(0);
    for (const address of served) expect(address.host).toBe('0.0.0.0');
    expect(published(name).sort()).toEqual(served.map((a) => a.port).sort());
  });

  it('its healthcheck asks its own gRPC health (the console: GET /healthz) on the port it binds', () => {
    const test = services[name]?.healthcheck?.test ?? [];
    const { grpc, http } = endpoints();
    if (name === 'console') expect(test.join(' ')).toContain(`http://127.0.0.1:${http?.port}/healthz`);
    else expect(test).toEqual(['CMD', 'node', 'scripts/health-check.ts', `127.0.0.1:${grpc?.port}`]);
    expect(existsSync(join(repoRoot, 'scripts/health-check.ts'))).toBe(true);
  });

  it('calls each peer at a compose service that binds that port', () => {
    for (const [peer, at] of Object.entries(endpoints().peers)) {
      expect(at.host, `${name} → ${peer}`).toBe(peer);
      expect(services[peer], `${name} → ${peer}: no such compose service`).toBeDefined();
      expect(endpointsOf(peer as ProcessName, envOf(peer)).grpc?.port, `${name} → ${peer}`).toBe(at.port);
    }
  });
});

describe('docker-compose: the infrastructure', () => {
  it('every depends_on names a service, and those waited for as healthy have a healthcheck', () => {
    for (const [name, service] of Object.entries(services)) {
      const deps = service.depends_on ?? [];
      const entries = Array.isArray(deps)
        ? deps.map((d) => [d, 'service_started'] as const)
        : Object.entries(deps).map(([d, c]) => [d, c.condition] as const);
      for (const [dep, condition] of entries) {
        expect(services[dep], `${name} depends on ${dep}`).toBeDefined();
        if (condition === 'service_healthy') expect(services[dep]?.healthcheck, dep).toBeDefined();
      }
    }
  });

  it('the services reach Kafka, MongoDB, MinIO (with its root credentials) and the collector by service name', () => {
    const env = envOf('serving');
    expect(services[env.FLYWHEEL_KAFKA_BROKERS?.split(':')[0] ?? '']).toBeDefined();
    expect(services[new URL(env.FLYWHEEL_MONGO_URL ?? '').hostname]).toBeDefined();
    expect(services[new URL(env.FLYWHEEL_S3_ENDPOINT ?? '').hostname]).toBeDefined();
    expect(services[new URL(env.FLYWHEEL_OTLP_ENDPOINT ?? '').hostname]).toBeDefined();
    const minio = envOf('minio');
    expect([env.FLYWHEEL_S3_ACCESS_KEY, env.FLYWHEEL_S3_SECRET_KEY]).toEqual([
      minio.MINIO_ROOT_USER,
      minio.MINIO_ROOT_PASSWORD,
    ]);
    const kafka = envOf('kafka');
    expect(kafka.KAFKA_ADVERTISED_LISTENERS).toBe(`PLAINTEXT://${env.FLYWHEEL_KAFKA_BROKERS}`);
    expect(addressOf(env.FLYWHEEL_KAFKA_BROKERS ?? '').port).toBe(9092);
  });

  it('the files it mounts exist', () => {
    for (const service of Object.values(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('./')) expect(existsSync(join(repoRoot, source)), source).toBe(true);
      }
    }
  });
});
