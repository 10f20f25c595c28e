// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline templates are literal ${...} strings.
import type { JsonObject, MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { type CloudEvent, decodeEvent, newEvent } from '@flywheel/events';
import { FailureKind, type PipelineSpecSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { RunSource } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import {
  JobStartedSchema,
  JobSucceededSchema,
  PipelineRunFailedSchema,
  PipelineRunRequestedSchema,
  PipelineRunStartedSchema,
  PipelineRunSucceededSchema,
} from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import { RunState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltinSteps } from '../src/index.ts';
import {
  builtinStep,
  recordPipelineEvents,
  startOrchestrator,
  type TestOrchestrator,
  waitForFinal,
} from './orchestrator-harness.ts';

/** When the drift the requests name was detected (the lead time's start, carried to every step). */
const driftDetectedAt = Date.parse('2026-12-02T17:00:00.250Z');

interface RequestExtra {
  spec?: MessageInitShape<typeof PipelineSpecSchema>;
  parameters?: JsonObject;
}

function runRequested(runId: string, extra: RequestExtra = {}): CloudEvent {
  return newEvent(
    PipelineRunRequestedSchema,
    {
      runId,
      runRequestId: `request-of-${runId}`,
      pipelineName: 'retrain-weather',
      pipelineRevision: 3n,
      team: 'forecasting',
      trigger: {
        source: RunSource.TRIGGER,
        triggerRuleName: 'on-drift',
        key: 'weather',
        event: { id: `drift-of-${runId}`, type: 'drift.detected', time: timestampFromMs(driftDetectedAt) },
      },
      principal: { subject: 'service:scheduler', team: 'forecasting' },
      ...extra,
    },
    { source: 'flywheel/scheduler' },
  );
}

/**
 * An undecodable event with the run's key: delivered after every earlier event of that key
 * (events of one key are handled in order, one at a time), it lands in the DLQ — so once it is
 * there, the earlier ones have been handled.
 */
function barrierEvent(runId: string): CloudEvent {
  const real = runRequested(runId);
  return { ...real, id: crypto.randomUUID(), data: new Uint8Array([0xff, 0xff, 0xff]) };
}

describe('pipeline.run-requested', () => {
  let orchestrator: TestOrchestrator;
  let recorder: ReturnType<typeof recordPipelineEvents>;
  const calls = new Map<string, number>();
  /** The trigger event each step attempt was given, by `<run>/<step>`. */
  const triggerEvents = new Map<string, unknown>();
  const builtins: BuiltinSteps = {
    count: async ({ runId, stepName, parameters, trigger }) => {
      calls.set(`${runId}/${stepName}`, (calls.get(`${runId}/${stepName}`) ?? 0) + 1);
      triggerEvents.set(`${runId}/${stepName}`, trigger.event);
      return { seen: parameters.threshold ?? null };
    },
  };
  const spec = {
    parameters: [{ name: 'threshold' }],
    steps: [
      builtinStep('train', 'count', { parameters: { threshold: '${params.threshold}' } }),
      builtinStep('register', 'count', { dependsOn: ['train'] }),
    ],
  };

  beforeAll(async () => {
    orchestrator = await startOrchestrator({ builtins });
    recorder = recordPipelineEvents(orchestrator.bus);
  });
  afterAll(async () => {
    await recorder.close();
    await orchestrator.stop();
  });

  it('starts the run under the event run id once, however often the request comes', async () => {
    const runId = crypto.randomUUID();
    const request = runRequested(runId, { spec, parameters: { threshold: 0.3 } });
    const duplicate = { ...request, id: crypto.randomUUID() };
    await orchestrator.bus.publish([request, request, duplicate, barrierEvent(runId)]);
    await waitFor(
      () => orchestrator.bus.retained('pipeline.run-requested.dlq').some((m) => m.key === runId),
      { what: 'the barrier event in the DLQ' },
    );

    const run = await waitForFinal(orchestrator.client, runId);
    expect(run.state).toBe(RunState.SUCCEEDED);
    expect(run).toMatchObject({
      id: runId,
      pipelineName: 'retrain-weather',
      pipelineRevision: 3n,
      team: 'forecasting',
      runRequestId: `request-of-${runId}`,
      parameters: { threshold: 0.3 },
    });
    const triggerEvent = {
      id: `drift-of-${runId}`,
      type: 'drift.detected',
      time: timestampFromMs(driftDetectedAt),
    };
    expect(run.trigger).toMatchObject({
      source: RunSource.TRIGGER,
      triggerRuleName: 'on-drift',
      key: 'weather',
      event: triggerEvent,
    });
    // The steps see why the run exists: the register step records that event in the version's lineage.
    expect(triggerEvents.get(`${runId}/register`)).toMatchObject(triggerEvent);
    expect(run.principal?.subject).toBe('service:scheduler');
    expect(calls.get(`${runId}/train`)).toBe(1);
    expect(calls.get(`${runId}/register`)).toBe(1);

    const { runs } = await orchestrator.client.listRuns({ pipelineName: 'retrain-weather' });
    expect(runs.filter((r) => r.id === runId)).toHaveLength(1);

    const events = await waitFor(() => {
      const mine = recorder.events.filter((e) => e.subject === runId);
      return mine.some((e) => e.type === 'pipeline.run-succeeded') && mine.length >= 6 ? mine : undefined;
    });
    expect(events.filter((e) => e.type === 'pipeline.run-started')).toHaveLength(1);
  });

  it('emits pipeline and job events in order, each keyed by the run id', async () => {
    const runId = crypto.randomUUID();
    await orchestrator.bus.publish([runRequested(runId, { spec, parameters: { threshold: 0.5 } })]);
    await waitForFinal(orchestrator.client, runId);
    const expected = [
      'run.queued',
      'run.admitted',
      'pipeline.run-started',
      'job.started',
      'job.succeeded',
      'job.started',
      'job.succeeded',
      'pipeline.run-succeeded',
    ];
    const events = await waitFor(() => {
      const mine = recorder.events.filter((e) => e.subject === runId);
      return mine.length >= expected.length ? mine : undefined;
    });
    expect(events).toHaveLength(expected.length);
    for (const event of events) {
      expect(event.key).toBe(runId);
      expect(event.source).toBe('flywheel/orchestrator');
    }
    // Each event was written after the one before it; the bus may interleave topics, the times may not.
    const ordered = [...events].sort(
      (a, b) => a.time.localeCompare(b.time) || expected.indexOf(a.type) - expected.indexOf(b.type),
    );
    const steps = ordered
      .filter((e) => e.type.startsWith('job.'))
      .map((e) =>
        e.type === 'job.started'
          ? `started ${decodeEvent(JobStartedSchema, e).stepName}`
          : `succeeded ${decodeEvent(JobSucceededSchema, e).stepName}`,
      );
    expect(steps).toEqual(['started train', 'succeeded train', 'started register', 'succeeded register']);
    expect(ordered.slice(0, 3).map((e) => e.type)).toEqual([
      'run.queued',
      'run.admitted',
      'pipeline.run-started',
    ]);
    expect(ordered.at(-1)?.type).toBe('pipeline.run-succeeded');
    const started = decodeEvent(PipelineRunStartedSchema, ordered[2]!);
    expect(started).toMatchObject({
      runId,
      pipelineName: 'retrain-weather',
      team: 'forecasting',
      parameters: { threshold: 0.5 },
    });
    const succeeded = decodeEvent(PipelineRunSucceededSchema, ordered.at(-1)!);
    expect(succeeded.runId).toBe(runId);
    const trained = events.find(
      (e) => e.type === 'job.succeeded' && decodeEvent(JobSucceededSchema, e).stepName === 'train',
    );
    expect(decodeEvent(JobSucceededSchema, trained!).outputs).toEqual({ seen: 0.5 });
  });

  it('records an invalid request as a failed run, saying why', async () => {
    const runId = crypto.randomUUID();
    await orchestrator.bus.publish([
      runRequested(runId, {
        spec: {
          steps: [
            builtinStep('a', 'count', { dependsOn: ['b'] }),
            builtinStep('b', 'count', { dependsOn: ['a'] }),
          ],
        },
      }),
    ]);
    const run = await waitForFinal(orchestrator.client, runId);
    expect(run.state).toBe(RunState.FAILED);
    expect(run.failure?.kind).toBe(FailureKind.INVALID);
    expect(run.failure?.message).toContain('cycle');
    const event = await waitFor(() =>
      recorder.events.find((e) => e.type === 'pipeline.run-failed' && e.subject === runId),
    );
    expect(decodeEvent(PipelineRunFailedSchema, event).failure?.kind).toBe(FailureKind.INVALID);
  });

  it('dead-letters a request without a run id', async () => {
    const event = newEvent(PipelineRunRequestedSchema, { pipelineName: 'nameless' }, { source: 'test' });
    await orchestrator.bus.publish([event]);
    const letter = await waitFor(() =>
      orchestrator.bus.retained('pipeline.run-requested.dlq').find((m) => m.headers.ce_id === event.id),
    );
    expect(letter.headers['flywheel-dlq-reason']).toContain('run id');
  });
});
