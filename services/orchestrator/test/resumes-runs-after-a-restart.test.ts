// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline templates are literal ${...} strings.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailureKind } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { JobState, RunState, StepState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { BuiltinSteps } from '../src/index.ts';
import {
  builtinStep,
  nodeStep,
  startOrchestrator,
  stepOf,
  submit,
  type TestOrchestrator,
  waitForFinal,
} from './orchestrator-harness.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Attempt 1 runs until it is stopped; later attempts finish at once.
const untilRestarted =
  "const fs = require('node:fs');" +
  "if (process.env.FLYWHEEL_ATTEMPT === '1') { console.log('first attempt'); setInterval(() => {}, 1000); }" +
  'else fs.writeFileSync(process.env.FLYWHEEL_OUTPUTS_FILE, JSON.stringify({ attempt: Number(process.env.FLYWHEEL_ATTEMPT) }));';

describe('a restarted orchestrator', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flywheel-orchestrator-restart-'));
  const calls: string[] = [];
  const builtins: BuiltinSteps = {
    prepare: async ({ runId }) => {
      calls.push(`prepare ${runId}`);
      return { rows: 100 };
    },
    // The first attempt blocks until the service stops it; the next one completes.
    train: async ({ attempt, signal, parameters }) => {
      calls.push(`train attempt ${attempt}`);
      if (attempt === 1) {
        await new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
        );
      }
      return { attempt, rows: parameters.rows ?? null };
    },
    publish: async ({ outputs }) => ({ trainedBy: outputs.train?.attempt ?? null }),
  };
  let current: TestOrchestrator | undefined;
  afterAll(async () => {
    await current?.stop();
  });

  it('resumes unfinished runs: steps that were running run again, finished ones are kept', async () => {
    const first = await startOrchestrator({ builtins, dataDir });
    current = first;
    const run = await submit(first.client, {
      steps: [
        builtinStep('prepare', 'prepare'),
        builtinStep('train', 'train', {
          dependsOn: ['prepare'],
          parameters: { rows: '${steps.prepare.outputs.rows}' },
        }),
        nodeStep('side', untilRestarted, { dependsOn: ['prepare'] }),
        builtinStep('publish', 'publish', { dependsOn: ['train', 'side'] }),
      ],
    });
    const pid = await waitFor(async () => {
      const { run: now } = await first.client.getRun({ runId: run.id });
      if (!now) return undefined;
      const train = stepOf(now, 'train').attempts[0];
      const side = stepOf(now, 'side').attempts[0];
      return train?.state === JobState.RUNNING && side?.state === JobState.RUNNING
        ? Number(side.executorRef)
        : undefined;
    });

    await first.stop();
    current = undefined;
    await waitFor(() => !alive(pid), { what: 'the first attempt process to be stopped with the service' });

    const second = await startOrchestrator({ builtins, dataDir });
    current = second;
    const done = await waitForFinal(second.client, run.id);
    expect(done.state).toBe(RunState.SUCCEEDED);
    expect(calls.filter((c) => c.startsWith('prepare'))).toHaveLength(1);
    expect(calls.filter((c) => c.startsWith('train'))).toEqual(['train attempt 1', 'train attempt 2']);

    const train = stepOf(done, 'train');
    expect(train.state).toBe(StepState.SUCCEEDED);
    expect(train.attempts.map((a) => a.state)).toEqual([JobState.FAILED, JobState.SUCCEEDED]);
    expect(train.attempts[0]?.failure).toMatchObject({ kind: FailureKind.EXECUTOR });
    expect(train.attempts[0]?.failure?.message).toContain('interrupted');
    expect(train.outputs).toEqual({ attempt: 2, rows: 100 });
    expect(stepOf(done, 'side').outputs).toEqual({ attempt: 2 });
    expect(stepOf(done, 'publish').outputs).toEqual({ trainedBy: 2 });
    expect(stepOf(done, 'prepare').attempts).toHaveLength(1);
  });
});
