import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryBus, type EventBus } from '@flywheel/bus';
import { AppError, ConfigReader, type Logger, silentLogger } from '@flywheel/core';
import { newEvent } from '@flywheel/events';
import { counterOf } from '@flywheel/metrics';
import { ModelVersionRegisteredSchema } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { Health, HealthCheckResponse_ServingStatus } from '@flywheel/proto/grpc/health/v1/health_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { sampleSum, scrapePrometheus, waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { readHostConfig } from './host-config.ts';
import { readInfraConfig } from './infra.ts';
import { consumerHealthName, runService, type ServiceHost } from './run-service.ts';

/** The memory bus, except that its subscriptions' ready() waits for `join()`: a group slow to join. */
function slowToJoinBus(): { bus: EventBus; join(): void } {
  const inner = createMemoryBus();
  let join!: () => void;
  const joined = new Promise<void>((resolve) => {
    join = resolve;
  });
  const bus: EventBus = {
    publish: (events, options) => inner.publish(events, options),
    ensureTopics: (topics, options) => inner.ensureTopics(topics, options),
    consumerLag: (group, topics, options) => inner.consumerLag(group, topics, options),
    subscribe: (options) => {
      const subscription = inner.subscribe(options);
      return {
        [Symbol.asyncIterator]: () => subscription[Symbol.asyncIterator](),
        close: () => subscription.close(),
        ready: async (callOptions) => {
          await new Promise<void>((resolve, reject) => {
            callOptions?.signal?.addEventListener('abort', () =>
              reject(new AppError('cancelled', 'stopped')),
            );
            void joined.then(resolve);
          });
          await subscription.ready(callOptions);
        },
      };
    },
    close: () => inner.close(),
  };
  return { bus, join };
}

/** A logger that keeps the messages it was given. */
function recordingLogger(): Logger & { messages: string[] } {
  const messages: string[] = [];
  const log: Logger & { messages: string[] } = {
    messages,
    debug: () => {},
    info: (message) => messages.push(message),
    warn: (message) => messages.push(message),
    error: (message) => messages.push(message),
    child: () => log,
  };
  return log;
}

/** Host and infra config on the embedded adapters in a fresh temp dir, on a free port. */
function embeddedConfig(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-run-service-'));
  const reader = new ConfigReader({
    FLYWHEEL_REGISTRY_GRPC_ADDRESS: '127.0.0.1:0',
    FLYWHEEL_STORE_DIR: join(dir, 'store'),
    FLYWHEEL_BLOBS_DIR: join(dir, 'blobs'),
    FLYWHEEL_SHUTDOWN_GRACE: '5s',
    ...env,
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

  it("refuses a group that does not start with the service's name (Kafka ACLs grant groups by that prefix)", async () => {
    let refused: unknown;
    const service = await runService({
      name: 'registry',
      config: embeddedConfig(),
      log: silentLogger,
      startTelemetry: false,
      wire: async (host) => {
        await host
          .consume({ topics: ['dataset.arrived'], group: 'serving-x' }, async () => {})
          .catch((error: unknown) => {
            refused = error;
          });
        return {};
      },
    });
    await service.stop();
    expect(refused).toMatchObject({
      code: 'internal',
      message: expect.stringContaining('registry: consumer group "serving-x" must start with "registry"'),
    });
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

  it('stops one consumer on request: later events are not handled, its group can be used again', async () => {
    const shared = createMemoryBus();
    const seen: string[] = [];
    let host!: ServiceHost;
    const service = await runService({
      name: 'registry',
      config: embeddedConfig(),
      log: silentLogger,
      startTelemetry: false,
      shared: { bus: shared },
      wire: (given) => {
        host = given;
        return {};
      },
    });
    const event = (id: string) =>
      newEvent(ModelVersionRegisteredSchema, { modelName: id }, { source: 'test', id });
    const first = await host.consume(
      { group: 'registry-watch', topics: ['model.version-registered'] },
      async (e) => {
        seen.push(`first:${e.id}`);
      },
    );
    expect(first.group).toBe('registry-watch');
    await service.ready();
    await shared.publish([event('a')]);
    await waitFor(() => seen.includes('first:a'), { what: 'a handled' });
    await first.stop();
    await shared.publish([event('b')]);
    // The group again: it resumes after what the stopped consumer committed.
    await host.consume({ group: 'registry-watch', topics: ['model.version-registered'] }, async (e) => {
      seen.push(`second:${e.id}`);
    });
    await waitFor(() => seen.includes('second:b'), { what: 'b handled by the new consumer' });
    await service.stop();
    await shared.close();
    expect(seen).toEqual(['first:a', 'second:b']);
  });

  it('serves gRPC before its consumer groups have joined; health and ready() say when they have', async () => {
    const { bus, join } = slowToJoinBus();
    const log = recordingLogger();
    const seen: string[] = [];
    let host!: ServiceHost;
    const service = await runService({
      name: 'registry',
      config: embeddedConfig(),
      log,
      startTelemetry: false,
      shared: { bus },
      wire: async (h) => {
        host = h;
        h.server.add(RegistryService, {
          getModel: async (request) => ({ model: { name: request.modelName } }),
        });
        await h.consume({ topics: ['model.version-registered'] }, async (event) => {
          seen.push(event.id);
        });
        await h.consume({ topics: ['dataset.arrived'], group: 'registry-datasets' }, async () => {});
        return {};
      },
    });
    const address = `127.0.0.1:${service.port}`;
    const health = createRpcClient(Health, { address, defaultTimeoutMs: 5000 });
    const registry = createRpcClient(RegistryService, { address, defaultTimeoutMs: 5000 });
    try {
      let ready = false;
      const readying = service.ready().then(() => {
        ready = true;
      });
      expect((await health.check({ service: '' })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      expect((await registry.getModel({ modelName: 'churn' })).model?.name).toBe('churn');
      for (const group of ['registry', 'registry-datasets']) {
        expect((await health.check({ service: consumerHealthName(group) })).status).toBe(
          HealthCheckResponse_ServingStatus.NOT_SERVING,
        );
      }
      expect(ready).toBe(false);
      expect(log.messages).toContain('serving');
      expect(log.messages).not.toContain('consumers ready');
      await expect(service.ready({ timeoutMs: 50 })).rejects.toMatchObject({ code: 'deadline_exceeded' });

      join();
      await readying;
      for (const group of ['registry', 'registry-datasets']) {
        expect((await health.check({ service: consumerHealthName(group) })).status).toBe(
          HealthCheckResponse_ServingStatus.SERVING,
        );
      }
      await waitFor(() => log.messages.includes('consumers ready'), { what: 'the consumers ready line' });
      expect(log.messages.indexOf('serving')).toBeLessThan(log.messages.indexOf('consumers ready'));
      const event = newEvent(ModelVersionRegisteredSchema, { modelName: 'churn' }, { source: 'test' });
      await host.infra.bus.publish([event]);
      await waitFor(() => seen.includes(event.id), { what: 'the consumer to handle the event' });
    } finally {
      health.close();
      registry.close();
      await service.stop();
      await bus.close();
    }
  });

  it('serves gRPC before its topics are created; publishing and consuming wait for them', async () => {
    const inner = createMemoryBus();
    let create!: () => void;
    const created = new Promise<void>((resolve) => {
      create = resolve;
    });
    const subscribed: string[] = [];
    const published: string[] = [];
    // The memory bus, except that creating topics takes until `create()`: a slow broker admin.
    const bus: EventBus = {
      publish: async (events, options) => {
        published.push(...events.map((event) => event.id));
        await inner.publish(events, options);
      },
      ensureTopics: async (topics, options) => {
        await created;
        await inner.ensureTopics(topics, options);
      },
      consumerLag: (group, topics, options) => inner.consumerLag(group, topics, options),
      subscribe: (options) => {
        subscribed.push(options.group);
        return inner.subscribe(options);
      },
      close: () => inner.close(),
    };
    const seen: string[] = [];
    let host!: ServiceHost;
    const starting = runService({
      name: 'registry',
      config: embeddedConfig(),
      log: silentLogger,
      startTelemetry: false,
      shared: { bus },
      wire: async (h) => {
        host = h;
        await h.consume({ topics: ['model.version-registered'] }, async (event) => {
          seen.push(event.id);
        });
        return {};
      },
    });
    const service = await Promise.race([
      starting,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('runService waited for the topics')), 10_000),
      ),
    ]);
    const health = createRpcClient(Health, { address: `127.0.0.1:${service.port}`, defaultTimeoutMs: 5000 });
    try {
      expect((await health.check({ service: '' })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      expect((await health.check({ service: consumerHealthName('registry') })).status).toBe(
        HealthCheckResponse_ServingStatus.NOT_SERVING,
      );
      const event = newEvent(ModelVersionRegisteredSchema, { modelName: 'churn' }, { source: 'test' });
      const publishing = host.infra.bus.publish([event]);
      await expect(service.ready({ timeoutMs: 50 })).rejects.toMatchObject({ code: 'deadline_exceeded' });
      expect(subscribed).toEqual([]);
      expect(published).toEqual([]);

      create();
      await publishing;
      await service.ready({ timeoutMs: 30_000 });
      expect(subscribed).toEqual(['registry']);
      expect((await health.check({ service: consumerHealthName('registry') })).status).toBe(
        HealthCheckResponse_ServingStatus.SERVING,
      );
      // Consumed from the beginning: the event published while the topics were being created too.
      await waitFor(() => seen.includes(event.id), { what: 'the consumer to handle the event' });
    } finally {
      health.close();
      await service.stop();
      await bus.close();
    }
  });

  it.each([
    [{ FLYWHEEL_TOPIC_PREFIX: 'staging.eu-1.' }, 'staging-eu-1-'],
    [{ FLYWHEEL_TOPIC_PREFIX: 'staging.', FLYWHEEL_CONSUMER_GROUP_PREFIX: 'blue_' }, 'blue_'],
    [{ FLYWHEEL_CONSUMER_GROUP_PREFIX: 'blue_' }, 'blue_'],
    [{}, ''],
  ])('names its consumer groups after the group prefix, else the topic prefix (%o)', async (env, prefix) => {
    const inner = createMemoryBus();
    const groups: string[] = [];
    const bus: EventBus = {
      ...inner,
      subscribe: (options) => {
        groups.push(options.group);
        return inner.subscribe(options);
      },
    };
    const service = await runService({
      name: 'registry',
      config: embeddedConfig(env),
      log: silentLogger,
      startTelemetry: false,
      shared: { bus },
      wire: async (h) => {
        await h.consume({ topics: ['model.version-registered'] }, async () => {});
        await h.consume({ topics: ['dataset.arrived'], group: 'registry-datasets' }, async () => {});
        return {};
      },
    });
    try {
      await service.ready({ timeoutMs: 30_000 });
      expect(groups.sort()).toEqual([`${prefix}registry`, `${prefix}registry-datasets`]);
    } finally {
      await service.stop();
      await bus.close();
    }
  });

  it('ready() rejects failed_precondition when the service stops before its groups join', async () => {
    const { bus } = slowToJoinBus();
    const service = await runService({
      name: 'registry',
      config: embeddedConfig(),
      log: silentLogger,
      startTelemetry: false,
      shared: { bus },
      wire: async (h) => {
        await h.consume({ topics: ['model.version-registered'] }, async () => {});
        return {};
      },
    });
    const readying = expect(service.ready()).rejects.toMatchObject({ code: 'failed_precondition' });
    await service.stop();
    await readying;
    await bus.close();
  });

  it('serves its registry at GET /metrics on its metrics address, every series labelled with the service; none with FLYWHEEL_METRICS=off', async () => {
    const service = await runService({
      name: 'registry',
      config: embeddedConfig({ FLYWHEEL_REGISTRY_METRICS_ADDRESS: '127.0.0.1:0' }),
      log: silentLogger,
      startTelemetry: false,
      wire: (h) => {
        counterOf(h.metrics, { name: 'flywheel_test_wired_total', help: 'wired' }).inc(2);
        return {};
      },
    });
    try {
      expect(service.metricsAddress).toMatch(/^127\.0\.0\.1:\d+$/);
      const samples = await scrapePrometheus(`http://${service.metricsAddress}/metrics`);
      expect(sampleSum(samples, 'flywheel_test_wired_total', { service: 'registry' })).toBe(2);
      expect(sampleSum(samples, 'nodejs_heap_size_used_bytes', { service: 'registry' })).toBeGreaterThan(0);
      expect(samples.every((sample) => sample.labels.service === 'registry')).toBe(true);
      expect((await fetch(`http://${service.metricsAddress}/other`)).status).toBe(404);
      expect((await fetch(`http://${service.metricsAddress}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await service.stop();
    }
    const off = await runService({
      name: 'registry',
      config: embeddedConfig({ FLYWHEEL_METRICS: 'off' }),
      log: silentLogger,
      startTelemetry: false,
      wire: () => ({}),
    });
    expect(off.metricsAddress).toBeUndefined();
    expect(await off.metrics.getMetricsAsJSON()).toEqual([]);
    await off.stop();
  });

  it("counts its consumers' events by outcome and dead letters, and shows their lag and the outbox backlog", async () => {
    const bus = createMemoryBus();
    const topic = 'model.version-registered';
    const service = await runService({
      name: 'registry',
      config: embeddedConfig({ FLYWHEEL_REGISTRY_METRICS_ADDRESS: '127.0.0.1:0' }),
      log: silentLogger,
      startTelemetry: false,
      shared: { bus },
      wire: async (h) => {
        await h.consume({ topics: [topic], group: 'watcher' }, async (event) => {
          if (event.extensions?.verdict === 'poison') throw AppError.invalidArgument('model_name', 'refused');
        });
        return {};
      },
    });
    try {
      await service.ready();
      const registered = (verdict: string) =>
        newEvent(
          ModelVersionRegisteredSchema,
          { modelName: 'churn' },
          { source: 'test', extensions: { verdict } },
        );
      await bus.publish([registered('ok-1'), registered('poison'), registered('ok-2')]);
      const url = `http://${service.metricsAddress}/metrics`;
      const handled = (outcome: string) => async () =>
        sampleSum(await scrapePrometheus(url), 'flywheel_bus_events_handled_total', {
          topic,
          group: 'watcher',
          outcome,
        });
      await waitFor(async () => (await handled('ok')()) === 2, {
        what: 'two events handled',
        timeoutMs: 20_000,
      });
      expect(await handled('dead_lettered')()).toBe(1);
      const samples = await scrapePrometheus(url);
      expect(sampleSum(samples, 'flywheel_bus_dead_letters_total', { topic, service: 'registry' })).toBe(1);
      expect(samples.find((s) => s.name === 'flywheel_bus_consumer_lag')).toMatchObject({
        labels: { topic, group: 'watcher', service: 'registry' },
        value: 0,
      });
      expect(samples.find((s) => s.name === 'flywheel_outbox_backlog')).toMatchObject({ value: 0 });
    } finally {
      await service.stop();
      await bus.close();
    }
  });
});
