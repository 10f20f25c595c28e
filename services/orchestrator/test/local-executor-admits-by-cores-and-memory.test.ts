import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobState, LogStream, RunState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalProcessExecutor } from '../src/index.ts';
import {
  nodeStep,
  startOrchestrator,
  stepOf,
  submit,
  type TestOrchestrator,
  waitForFinal,
} from './orchestrator-harness.ts';

// Issue 15: the local executor ran every job at once whatever it requested. It now admits a job
// once the cores and memory it requests are free (here a machine of 2 cores and 1000 MiB).
describe('the local executor admits jobs by cores and memory', () => {
  let orchestrator: TestOrchestrator;
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-local-admission-'));

  beforeAll(async () => {
    orchestrator = await startOrchestrator({
      executors: [
        createLocalProcessExecutor({ killGraceMs: 2_000, capacity: { cpu: 2, memoryMib: 1000, gpu: 0 } }),
      ],
      env: { FLYWHEEL_ORCHESTRATOR_MAX_CONCURRENT_JOBS: '16' },
    });
  });
  afterAll(async () => {
    await orchestrator.stop();
  });

  /** Marks itself running in `<group>/running`, records how many were, waits for `<group>/go`. */
  const blocking = (group: string, name: string) => {
    const at = JSON.stringify(join(dir, group));
    return (
      "const fs = require('node:fs'); const path = require('node:path');" +
      `const running = path.join(${at}, 'running'); const mine = path.join(running, ${JSON.stringify(name)});` +
      'fs.writeFileSync(mine, "");' +
      `fs.appendFileSync(path.join(${at}, 'seen'), fs.readdirSync(running).length + '\\n');` +
      'const until = Date.now() + 300000;' +
      `const t = setInterval(() => { if (fs.existsSync(path.join(${at}, 'go')) || Date.now() > until) {` +
      'clearInterval(t); fs.rmSync(mine); fs.writeFileSync(process.env.FLYWHEEL_OUTPUTS_FILE, "{}"); } }, 100);'
    );
  };
  const systemLines = async (runId: string, stepName: string) => {
    const lines: string[] = [];
    for await (const message of orchestrator.client.streamJobLogs({ runId, stepName }))
      for (const line of message.lines) if (line.stream === LogStream.SYSTEM) lines.push(line.text);
    return lines;
  };

  async function runGroup(group: string, requests: { cpu?: number; memoryMib?: number }[], admitted: number) {
    mkdirSync(join(dir, group, 'running'), { recursive: true });
    const names = requests.map((_, i) => `job-${i}`);
    const run = await submit(orchestrator.client, {
      steps: requests.map((resources, i) => ({
        ...nodeStep(names[i]!, blocking(group, names[i]!), { resources }),
      })),
    });
    const running = () => readdirSync(join(dir, group, 'running')).length;
    try {
      await waitFor(() => running() === admitted, { timeoutMs: 60_000, what: `${admitted} jobs to run` });
      // The others are queued: none has started.
      const { run: now } = await orchestrator.client.getRun({ runId: run.id });
      const started = names.filter((n) => stepOf(now!, n).attempts.some((a) => a.state === JobState.RUNNING));
      expect(started).toHaveLength(admitted);
    } finally {
      writeFileSync(join(dir, group, 'go'), '');
    }
    const done = await waitForFinal(orchestrator.client, run.id, 120_000);
    expect(done.state).toBe(RunState.SUCCEEDED);
    // Each job counted the jobs running when it started: never more than were admitted.
    const seen = readFileSync(join(dir, group, 'seen'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number);
    expect(seen).toHaveLength(requests.length);
    expect(Math.max(...seen)).toBeLessThanOrEqual(admitted);
    // The jobs that waited said so in their log, with what was held.
    const waiting: string[] = [];
    for (const n of names)
      if ((await systemLines(run.id, n)).some((l) => l.startsWith('waiting for'))) waiting.push(n);
    return waiting;
  }

  it('runs 2 one-core jobs of 4 at once on 2 cores; the others wait, then run', async () => {
    const waiting = await runGroup('cores', [{ cpu: 1 }, { cpu: 1 }, { cpu: 1 }, { cpu: 1 }], 2);
    expect(waiting).toHaveLength(2);
  }, 240_000);

  it('runs one 600 MiB job at a time in 1000 MiB', async () => {
    const waiting = await runGroup('memory', [{ memoryMib: 600 }, { memoryMib: 600 }], 1);
    expect(waiting).toHaveLength(1);
  }, 240_000);

  it('refuses at submit a job asking more cores than the executor has', async () => {
    const error = await submit(orchestrator.client, {
      steps: [nodeStep('big', '', { resources: { cpu: 3 } })],
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'invalid_argument',
      field: 'inline_pipeline.spec.steps[0].resources.cpu',
    });
    expect((error as Error).message).toContain('3 cores requested, the local executor has 2');
  });
});
