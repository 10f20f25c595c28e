// biome-ignore-all lint/suspicious/noTemplateCurlyInString: rule templates are ${…} in plain strings
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { createMemoryBus, type MemoryBus } from '@flywheel/bus';
import { decodeEvent, eventKindOf, fromWireMessage, newEvent } from '@flywheel/events';
import { RunSource } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import { DriftDetectedSchema } from '@flywheel/proto/flywheel/events/v1/monitoring_pb.js';
import {
  PipelineRunRequestedSchema,
  RunSuppressedSchema,
} from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import { SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { createRpcClient, type RpcClient } from '@flywheel/rpc';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import { realServers, waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSchedulerConfig, wireScheduler } from '../src/index.ts';
import { fakeClock, hour, minute, retrainSpec } from './scheduler-harness.ts';

// Issue 9: two scheduler replicas on one real MongoDB-wire database, on one clock. Every cron tick
// fires exactly once (no double, no miss), and a burst of trigger events delivered to both (as a
// redelivery would) starts exactly one run per condition.
const servers = realServers();
const database = `fw-sched-replicas-${process.pid}-${Date.now()}`;
const clock = fakeClock('2024-05-20T10:00:30Z');

interface Replica {
  service: InProcessService;
  bus: MemoryBus;
  client: RpcClient<(typeof SchedulerService)['method']>;
}

async function replica(instance: string): Promise<Replica> {
  const bus = createMemoryBus();
  const service = await startInProcess('scheduler', {
    load: loadSchedulerConfig,
    wire: (host, config) => wireScheduler(host, config, { now: clock.now }),
    shared: { bus },
    dataDir: mkdtempSync(join(tmpdir(), `flywheel-scheduler-${instance}-`)),
    env: {
      FLYWHEEL_SCHEDULER_TICK: '10ms',
      FLYWHEEL_STORE: 'mongo',
      FLYWHEEL_MONGO_URL: servers.mongoUrl,
      FLYWHEEL_MONGO_DATABASE: database,
      FLYWHEEL_INSTANCE_ID: instance,
    },
  });
  return { service, bus, client: createRpcClient(SchedulerService, { address: service.address }) };
}

describe('two scheduler replicas on one database', () => {
  let replicas: Replica[] = [];
  beforeAll(async () => {
    replicas = [await replica('scheduler-a'), await replica('scheduler-b')];
  }, 120_000);
  afterAll(async () => {
    for (const r of replicas) {
      r.client.close();
      await r.service.stop();
      await r.bus.close();
    }
  });

  /** The events of `schema`'s type both replicas published, once per event id (a redelivery is not a second event). */
  const published = <S extends typeof PipelineRunRequestedSchema | typeof RunSuppressedSchema>(schema: S) => {
    const byId = new Map<string, ReturnType<typeof decodeEvent<S>>>();
    for (const r of replicas) {
      for (const message of r.bus.retained(eventKindOf(schema).type)) {
        const event = fromWireMessage(message);
        byId.set(event.id, decodeEvent(schema, event));
      }
    }
    return [...byId.values()];
  };
  const scheduled = () =>
    published(PipelineRunRequestedSchema).filter((r) => r.trigger?.source === RunSource.SCHEDULE);
  const triggered = () =>
    published(PipelineRunRequestedSchema).filter((r) => r.trigger?.source === RunSource.TRIGGER);

  it('fire every cron tick exactly once over ten ticks, and one run per trigger condition', async () => {
    const [a, b] = replicas as [Replica, Replica];
    await a.client.createPipeline({ pipeline: { name: 'retrain-weather', spec: retrainSpec() } });
    await b.client.createSchedule({
      schedule: {
        name: 'every-minute',
        pipelineName: 'retrain-weather',
        cron: '* * * * *',
        parameters: { model_name: 'w', tick_time: '${schedule.tick_time}' },
      },
    });
    const expected: string[] = [];
    for (let tick = 1; tick <= 10; tick++) {
      clock.advance(minute);
      expected.push(new Date(Date.parse('2024-05-20T10:00:00Z') + tick * minute).toISOString());
      await waitFor(() => scheduled().length >= tick, { timeoutMs: 30_000, what: `tick ${tick} to fire` });
    }

    await a.client.createTriggerRule({
      triggerRule: {
        name: 'retrain-on-drift',
        eventType: 'drift.detected',
        pipelineName: 'retrain-weather',
        parameters: { model_name: '${event.model_name}' },
        cooldown: durationFromMs(hour),
        enabled: true,
      },
    });
    const models = ['m1', 'm2', 'm3', 'm4', 'm5'];
    const burst = models.flatMap((modelName) =>
      Array.from({ length: 4 }, () =>
        newEvent(
          DriftDetectedSchema,
          { modelName, statistic: 0.5 },
          { source: 'flywheel/monitoring', time: new Date(clock.now()) },
        ),
      ),
    );
    // The same events to both replicas: each decides every one of them.
    await Promise.all(replicas.map((r) => r.bus.publish(burst)));
    await waitFor(
      () =>
        triggered().length +
          published(RunSuppressedSchema).filter((s) => s.trigger?.source === RunSource.TRIGGER).length >=
        burst.length,
      {
        timeoutMs: 60_000,
        what: 'every drift event to be decided',
      },
    );

    expect(
      triggered()
        .map((r) => r.parameters?.model_name)
        .sort(),
    ).toEqual(models);
    const ticks = scheduled().map((r) => r.parameters?.tick_time);
    expect([...ticks].sort()).toEqual(expected);
  }, 240_000);
});
