// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline and rule templates are ${…} in plain strings
import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { createMemoryBus, type MemoryBus } from '@flywheel/bus';
import { decodeEvent, eventKindOf, fromWireMessage, newEvent } from '@flywheel/events';
import type { PipelineSpecSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { DriftDetectedSchema } from '@flywheel/proto/flywheel/events/v1/monitoring_pb.js';
import { SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { createRpcClient, type RpcClient } from '@flywheel/rpc';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import { loadSchedulerConfig, wireScheduler } from '../src/index.ts';

/** A clock tests move by hand: the scheduler reads time only from it. */
export interface FakeClock {
  now(): number;
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void;
}

export function fakeClock(startIso: string): FakeClock {
  let time = Date.parse(startIso);
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
  };
}

export const minute = 60_000;
export const hour = 60 * minute;

/** A scheduler in this process on its own in-process bus and a fake clock, with a client. */
export interface SchedulerHarness {
  readonly service: InProcessService;
  readonly client: RpcClient<(typeof SchedulerService)['method']>;
  readonly bus: MemoryBus;
  readonly clock: FakeClock;
  /** The events of `schema`'s type on the bus so far, oldest first, with their CloudEvent ids. */
  events<S extends DescMessage>(schema: S): { id: string; payload: MessageShape<S> }[];
  /** Publishes one `drift.detected` per payload in one batch, as monitoring would; resolves their event ids. */
  publishDrift(...payloads: MessageInitShape<typeof DriftDetectedSchema>[]): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startScheduler(
  options: { clock?: FakeClock; dataDir?: string; env?: Record<string, string> } = {},
): Promise<SchedulerHarness> {
  const bus = createMemoryBus();
  const clock = options.clock ?? fakeClock('2024-05-20T00:00:00Z');
  const service = await startInProcess('scheduler', {
    load: loadSchedulerConfig,
    wire: (host, config) => wireScheduler(host, config, { now: clock.now }),
    shared: { bus },
    env: { FLYWHEEL_SCHEDULER_TICK: '10ms', ...options.env },
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  });
  const client = createRpcClient(SchedulerService, { address: service.address });
  return {
    service,
    client,
    bus,
    clock,
    events(schema) {
      return bus.retained(eventKindOf(schema).type).map((message) => {
        const event = fromWireMessage(message);
        return { id: event.id, payload: decodeEvent(schema, event) };
      });
    },
    async publishDrift(...payloads) {
      const events = payloads.map((payload) =>
        newEvent(DriftDetectedSchema, payload, {
          source: 'flywheel/monitoring',
          time: new Date(clock.now()),
        }),
      );
      await bus.publish(events);
      return events.map((event) => event.id);
    },
    async stop() {
      client.close();
      await service.stop();
      await bus.close();
    },
  };
}

/**
 * The retrain pipeline of the closed loop: training set → train → evaluate → register → promote,
 * taking `model_name` (required), `drift_statistic` and `reason` (default "manual").
 */
export function retrainSpec(): MessageInitShape<typeof PipelineSpecSchema> {
  return {
    parameters: [
      { name: 'model_name', required: true },
      { name: 'drift_statistic' },
      { name: 'reason', defaultValue: { kind: { case: 'stringValue', value: 'manual' } } },
      { name: 'tick_time' },
    ],
    steps: [
      { name: 'training-set', kind: { case: 'builtin', value: { name: 'build-training-set' } } },
      {
        name: 'train',
        kind: { case: 'builtin', value: { name: 'train' } },
        dependsOn: ['training-set'],
        parameters: {
          training_set_id: '${steps.training-set.outputs.training_set_id}',
          model: '${params.model_name}',
        },
      },
      { name: 'evaluate', kind: { case: 'builtin', value: { name: 'evaluate' } }, dependsOn: ['train'] },
      { name: 'register', kind: { case: 'builtin', value: { name: 'register' } }, dependsOn: ['evaluate'] },
      {
        name: 'promote',
        kind: { case: 'builtin', value: { name: 'promote' } },
        dependsOn: ['register'],
        condition: '${steps.evaluate.outputs.passed} == true',
      },
    ],
    outputs: { model_version: '${steps.register.outputs.model_version}' },
  };
}
