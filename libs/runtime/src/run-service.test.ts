import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError, ConfigReader, silentLogger } from '@flywheel/core';
import { newEvent } from '@flywheel/events';
import { ModelVersionRegisteredSchema } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { Health, HealthCheckResponse_ServingStatus } from '@flywheel/proto/grpc/health/v1/health_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { readHostConfig } from './host-config.ts';
import { readInfraConfig } from './infra.ts';
import { runService, type ServiceHost } from './run-service.ts';

/** Host and infra config on the embedded adapters in a fresh temp dir, on a free port. */
function embeddedConfig() {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-run-service-'));
  const reader = new ConfigReader({
    FLYWHEEL_REGISTRY_GRPC_ADDRESS: '127.0.0.1:0',
    FLYWHEEL_STORE_DIR: join(dir, 'store'),
    FLYWHEEL_BLOBS_DIR: join(dir, 'blobs'),
    FLYWHEEL_SHUTDOWN_GRACE: '5s',
  });
  const config = { host: readHostConfig(reader, 'registry'), infra: readInfraConfig(reader, 'registry') };
  reader.done();
  return config;
}

describe('runService on the embedded adapters', () => {
  it('serves health and its API, consumes events, then stops gracefully: in-flight calls finish, wiring closes', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const closed: string[] = [];
    let host!: ServiceHost;
    const service = await runService({
      name: 'registry',
      config: embeddedConfig(),
      log: silentLogger,
      startTelemetry: false,
      wire: async (h) => {
        host = h;
        h.server.add(RegistryService, {
          getModel: async (request) => {
            if (request.modelName === 'slow') {
              entered();
              await gate;
            }
            return { model: { name: request.modelName } };
          },
        });
        await h.consume({ topics: ['model.version-registered'] }, async (event) => {
          seen.push(event.id);
        });
        return {
          close: async () => {
            closed.push(`wiring (signal aborted: ${h.signal.aborted})`);
          },
        };
      },
    });
    const address = `127.0.0.1:${service.port}`;
    expect(service.port).toBeGreaterThan(0);
    const health = createRpcClient(Health, { address, defaultTimeoutMs: 5000 });
    const registry = createRpcClient(RegistryService, { address, defaultTimeoutMs: 5000 });
    try {
      for (const name of ['', RegistryService.typeName]) {
        expect((await health.check({ service: name })).status).toBe(
          HealthCheckResponse_ServingStatus.SERVING,
        );
      }
      expect((await registry.getModel({ modelName: 'churn' })).model?.name).toBe('churn');

      const event = newEvent(ModelVersionRegisteredSchema, { modelName: 'churn' }, { source: 'test' });
      await host.infra.bus.publish([event]);
      await waitFor(() => seen.includes(event.id), { what: 'the consumer to handle the event' });

      const inFlight = registry.getModel({ modelName: 'slow' });
      await inHandler;
      const stopping = service.stop();
      expect(service.stop()).toBe(stopping);
      // The stop has begun once health no longer says SERVING (or new calls are refused).
      await waitFor(
        () =>
          health.check({ service: '' }, { timeoutMs: 1000 }).then(
            (r) => r.status !== HealthCheckResponse_ServingStatus.SERVING,
            () => true,
          ),
        { what: 'the service to stop taking calls' },
      );
      release();
      await expect(inFlight).resolves.toMatchObject({ model: { name: 'slow' } });
      await stopping;
      expect(host.signal.aborted).toBe(true);
      expect(closed).toEqual(['wiring (signal aborted: true)']);
      await expect(health.check({ service: '' }, { timeoutMs: 1000 })).rejects.toBeInstanceOf(AppError);
    } finally {
      release();
      health.close();
      registry.close();
      await service.stop();
    }
  });

  it('refuses a second consume() in the same group with internal', async () => {
    let second: unknown;
    const service = await runService({
      name: 'registry',
      config: embeddedConfig(),
      log: silentLogger,
      startTelemetry: false,
      wire: async (host) => {
        await host.consume({ topics: ['model.version-registered'] }, async () => {});
        await host
          .consume({ topics: ['dataset.arrived'] }, async () => {})
          .catch((error: unknown) => {
            second = error;
          });
        return {};
      },
    });
    await service.stop();
    expect(second).toMatchObject({
      code: 'internal',
      message: 'registry: consumer group "registry" is already used; give each consume() its own group',
    });
  });
});
