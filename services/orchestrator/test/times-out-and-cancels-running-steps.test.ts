import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { decodeEvent } from '@flywheel/events';
import { FailureKind } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { PipelineRunFailedSchema } from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import { JobState, RunState, StepState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  builtinStep,
  nodeStep,
  recordPipelineEvents,
  startOrchestrator,
  stepOf,
  submit,
  type TestOrchestrator,
  waitForFinal,
} from './orchestrator-harness.ts';

const forever = "console.log('working'); setInterval(() => {}, 1000);";
const stubborn =
  "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('working'); setInterval(() => {}, 1000);";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('timeouts and cancellation', () => {
  let orchestrator: TestOrchestrator;
  let recorder: ReturnType<typeof recordPipelineEvents>;

  beforeAll(async () => {
    orchestrator = await startOrchestrator({ builtins: { ok: async () => ({}) } });
    recorder = recordPipelineEvents(orchestrator.bus);
  });
  afterAll(async () => {
    await recorder.close();
    await orchestrator.stop();
  });

  it('stops an attempt at its timeout and fails the run TIMED_OUT', async () => {
    const run = await submit(orchestrator.client, {
      steps: [
        nodeStep('slow', forever, { timeout: durationFromMs(300) }),
        builtinStep('after', 'ok', { dependsOn: ['slow'] }),
      ],
    });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.FAILED);
    expect(done.failure).toMatchObject({ kind: FailureKind.TIMED_OUT, stepName: 'slow' });
    expect(done.failure?.message).toContain('timeout of 300 ms');
    const slow = stepOf(done, 'slow');
    expect(slow.attempts[0]?.state).toBe(JobState.FAILED);
    const pid = Number(slow.attempts[0]?.executorRef);
    expect(pid).toBeGreaterThan(0);
    await waitFor(() => !alive(pid), { what: `process ${pid} to be gone` });
    expect(stepOf(done, 'after').state).toBe(StepState.SKIPPED);
  });

  it('kills a process that ignores SIGTERM after the grace period', async () => {
    const run = await submit(orchestrator.client, {
      steps: [nodeStep('stubborn', stubborn, { timeout: durationFromMs(300) })],
    });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.failure).toMatchObject({ kind: FailureKind.TIMED_OUT, stepName: 'stubborn' });
    const pid = Number(stepOf(done, 'stubborn').attempts[0]?.executorRef);
    await waitFor(() => !alive(pid), { what: `process ${pid} to be gone` });
  });

  it('applies the pipeline timeout to the whole run', async () => {
    const run = await submit(orchestrator.client, {
      timeout: durationFromMs(400),
      steps: [nodeStep('slow', forever)],
    });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.FAILED);
    expect(done.failure?.kind).toBe(FailureKind.TIMED_OUT);
  });

  it('cancels a running run: its process is stopped, the run ends CANCELLED', async () => {
    const run = await submit(orchestrator.client, {
      steps: [nodeStep('long', forever), builtinStep('next', 'ok', { dependsOn: ['long'] })],
    });
    const pid = await waitFor(async () => {
      const { run: now } = await orchestrator.client.getRun({ runId: run.id });
      const attempt = now && stepOf(now, 'long').attempts[0];
      return attempt?.state === JobState.RUNNING ? Number(attempt.executorRef) : undefined;
    });
    expect(alive(pid)).toBe(true);

    const { run: cancelling } = await orchestrator.client.cancelRun({
      runId: run.id,
      reason: 'superseded by a newer run',
    });
    expect([RunState.CANCELLING, RunState.CANCELLED]).toContain(cancelling?.state);

    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.CANCELLED);
    expect(done.failure).toMatchObject({ kind: FailureKind.CANCELLED });
    expect(done.failure?.message).toContain('superseded by a newer run');
    expect(stepOf(done, 'long').state).toBe(StepState.CANCELLED);
    expect(stepOf(done, 'long').attempts[0]?.state).toBe(JobState.CANCELLED);
    expect(stepOf(done, 'next').state).toBe(StepState.CANCELLED);
    await waitFor(() => !alive(pid), { what: `process ${pid} to be gone` });

    const event = await waitFor(() =>
      recorder.events.find((e) => e.type === 'pipeline.run-failed' && e.subject === run.id),
    );
    expect(decodeEvent(PipelineRunFailedSchema, event).failure?.kind).toBe(FailureKind.CANCELLED);

    const { run: again } = await orchestrator.client.cancelRun({ runId: run.id });
    expect(again?.state).toBe(RunState.CANCELLED);
    expect(again?.endTime).toEqual(done.endTime);
  });

  it('answers NOT_FOUND when cancelling an unknown run', async () => {
    await expect(orchestrator.client.cancelRun({ runId: 'no-such-run' })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('no-such-run'),
    });
  });
});
