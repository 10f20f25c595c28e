// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline templates are literal ${...} strings.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  OrchestratorService,
  RunState,
  StepState,
} from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { type SpawnedService, spawnService } from '@flywheel/runtime/testing';
import { waitFor } from '@flywheel/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { stepOf, submit, waitForFinal } from './orchestrator-harness.ts';

// A fan-out survives a SIGKILL of its orchestrator: iterations that finished are not run again,
// the one still running is adopted (the local executor's detached process), the rest run after.
const dir = mkdtempSync(join(tmpdir(), 'flywheel-orchestrator-fan-out-crash-'));
const started: SpawnedService[] = [];

/** A real orchestrator process on this test's store and work dirs (kept across restarts). */
async function startOrchestrator() {
  const service = await spawnService(
    'orchestrator',
    {
      FLYWHEEL_BUS: 'memory',
      FLYWHEEL_STORE: 'embedded',
      FLYWHEEL_STORE_DIR: join(dir, 'store'),
      FLYWHEEL_BLOBS: 'fs',
      FLYWHEEL_BLOBS_DIR: join(dir, 'blobs'),
      FLYWHEEL_ORCHESTRATOR_WORK_DIR: join(dir, 'jobs'),
      FLYWHEEL_TELEMETRY: 'off',
    },
    { timeoutMs: 90_000 },
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

const startsOf = (marker: string) =>
  existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').filter(Boolean).sort() : [];

describe('an orchestrator killed mid-fan-out', () => {
  it('resumes: finished iterations are kept, the running one is adopted, the rest run once', async () => {
    const marker = join(dir, 'starts');
    const go = join(dir, 'go');
    // Marks its start with its index; iteration 1 waits (bounded) for the test's go.
    const script =
      "const fs = require('node:fs');" +
      'const index = process.argv[1];' +
      `fs.appendFileSync(${JSON.stringify(marker)}, index + '\\n');` +
      'const finish = () => fs.writeFileSync(process.env.FLYWHEEL_OUTPUTS_FILE, JSON.stringify({ index: Number(index) }));' +
      "if (index !== '1') finish();" +
      'else { const until = Date.now() + 120000;' +
      `const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(go)}) || Date.now() > until) { clearInterval(t); finish(); } }, 100); }`;
    const first = await startOrchestrator();
    const run = await submit(first.client, {
      steps: [
        {
          name: 'shard',
          kind: {
            case: 'command',
            value: { command: [process.execPath, '-e', script, '${for_each.index}'] },
          },
          forEach: { items: '["a", "b", "c", "d"]', parallelism: 2 },
        },
      ],
    });
    // Iterations 0, 2 and 3 done; 1 running in its own process.
    await waitFor(
      async () => {
        const { run: now } = await first.client.getRun({ runId: run.id });
        const iterations = now ? stepOf(now, 'shard').iterations : [];
        const states = iterations.map((it) => it.state);
        return states.length === 4 &&
          states.filter((s) => s === StepState.SUCCEEDED).length === 3 &&
          iterations[1]?.attempts[0]?.executorRef
          ? true
          : undefined;
      },
      { timeoutMs: 60_000, what: 'three iterations to finish and the second to run' },
    );
    first.client.close();
    first.service.process.kill('SIGKILL');
    await first.exited;

    const second = await startOrchestrator();
    writeFileSync(go, '');
    const done = await waitForFinal(second.client, run.id, 60_000);
    second.client.close();
    expect(done.state).toBe(RunState.SUCCEEDED);
    expect(startsOf(marker)).toEqual(['0', '1', '2', '3']);
    const shard = stepOf(done, 'shard');
    expect(shard.iterations.map((it) => it.attempts.length)).toEqual([1, 1, 1, 1]);
    expect(shard.outputs).toEqual({ index: [0, 1, 2, 3] });
  }, 240_000);
});
