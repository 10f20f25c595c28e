import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OrchestratorService, RunState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { type SpawnedService, spawnService } from '@flywheel/runtime/testing';
import { waitFor } from '@flywheel/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeStep, stepOf, submit, waitForFinal } from './orchestrator-harness.ts';

// Issue 9, D7: after a SIGKILL the job's detached process kept running and the restarted
// orchestrator started a second copy; attempts cut short by a crash never counted toward
// max_attempts, so a step that crashed the orchestrator looped forever. The local executor records
// the job's pid and /proc start time before the command runs and adopts a job still running (its
// exit code and outputs are files in the job directory); lost attempts count.
const dir = mkdtempSync(join(tmpdir(), 'flywheel-orchestrator-crash-'));
const started: SpawnedService[] = [];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A real orchestrator process on `name`'s store and work dirs (kept across restarts). */
async function startOrchestrator(name: string) {
  const service = await spawnService(
    'orchestrator',
    {
      FLYWHEEL_BUS: 'memory',
      FLYWHEEL_STORE: 'embedded',
      FLYWHEEL_STORE_DIR: join(dir, name, 'store'),
      FLYWHEEL_BLOBS: 'fs',
      FLYWHEEL_BLOBS_DIR: join(dir, name, 'blobs'),
      FLYWHEEL_ORCHESTRATOR_WORK_DIR: join(dir, name, 'jobs'),
      FLYWHEEL_TELEMETRY: 'off',
    },
    { timeoutMs: 60_000 },
  );
  started.push(service);
  const exited = new Promise<void>((resolve) => {
    if (service.process.exitCode !== null || service.process.signalCode !== null) resolve();
    else service.process.once('exit', () => resolve());
  });
  return { service, exited, client: createRpcClient(OrchestratorService, { address: service.address }) };
}

afterEach(async () => {
  for (const service of started.splice(0)) {
    if (service.process.exitCode === null && service.process.signalCode === null) await service.stop();
  }
});

const markerLines = (path: string) =>
  existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0;

describe('an orchestrator killed mid-step', () => {
  it('adopts the job still running after a restart: the command starts once, the run finishes', async () => {
    const marker = join(dir, 'adopt-marker');
    const go = join(dir, 'adopt-go');
    // Marks each start, waits (bounded) for the test's go, then succeeds with an output.
    const script =
      "const fs = require('node:fs');" +
      `fs.appendFileSync(${JSON.stringify(marker)}, 'started\\n');` +
      'const until = Date.now() + 120000;' +
      `const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(go)}) || Date.now() > until) {` +
      'clearInterval(t); fs.writeFileSync(process.env.FLYWHEEL_OUTPUTS_FILE, JSON.stringify({ done: true })); } }, 100);';
    const first = await startOrchestrator('adopt');
    const run = await submit(first.client, { steps: [nodeStep('slow', script)] });
    const pid = await waitFor(
      async () => {
        const { run: now } = await first.client.getRun({ runId: run.id });
        const attempt = now ? stepOf(now, 'slow').attempts[0] : undefined;
        return markerLines(marker) === 1 && attempt?.executorRef ? Number(attempt.executorRef) : undefined;
      },
      { timeoutMs: 30_000, what: 'the step to start' },
    );
    first.client.close();
    first.service.process.kill('SIGKILL');
    await first.exited;
    expect(alive(pid)).toBe(true); // detached: it outlives the orchestrator

    const second = await startOrchestrator('adopt');
    writeFileSync(go, '');
    const done = await waitForFinal(second.client, run.id, 60_000);
    second.client.close();
    expect(done.state).toBe(RunState.SUCCEEDED);
    expect(markerLines(marker)).toBe(1);
    const step = stepOf(done, 'slow');
    expect(step.attempts).toHaveLength(1);
    expect(step.outputs).toEqual({ done: true });
  }, 180_000);

  it('a step that keeps killing the orchestrator fails the run after max_attempts, not loops', async () => {
    const marker = join(dir, 'crash-marker');
    // Marks its start, SIGKILLs the orchestrator (its wrapper's parent) and its own process group.
    const script =
      "const fs = require('node:fs');" +
      `fs.appendFileSync(${JSON.stringify(marker)}, 'started\\n');` +
      "const parentOf = (pid) => Number(fs.readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1].split(' ')[1]);" +
      'const orchestrator = parentOf(process.ppid);' +
      "if (fs.readFileSync('/proc/' + orchestrator + '/cmdline', 'utf8').includes('orchestrator')) process.kill(orchestrator, 'SIGKILL');" +
      "process.kill(-process.ppid, 'SIGKILL');";
    let runId: string | undefined;
    let final: Awaited<ReturnType<typeof waitForFinal>> | undefined;
    for (let start = 1; start <= 5 && !final; start++) {
      const orchestrator = await startOrchestrator('crash');
      if (!runId) {
        const run = await submit(
          orchestrator.client,
          { steps: [nodeStep('crasher', script, { retry: { maxAttempts: 2 } })] },
          { requestId: 'crash-loop' },
        );
        runId = run.id;
      }
      const id = runId;
      final = await Promise.race([
        orchestrator.exited.then(() => undefined),
        waitForFinal(orchestrator.client, id, 60_000),
      ]).catch(() => undefined);
      orchestrator.client.close();
    }
    expect(final?.state).toBe(RunState.FAILED);
    expect(markerLines(marker)).toBe(2);
    const step = stepOf(final!, 'crasher');
    expect(step.attempts).toHaveLength(2);
    expect(final?.failure?.message).toMatch(/exit code|orchestrator/);
  }, 240_000);
});
