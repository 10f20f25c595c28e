import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryBus } from '@flywheel/bus';
import {
  JobState,
  OrchestratorService,
  RunState,
  StepState,
} from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { type SpawnedService, spawnService } from '@flywheel/runtime/testing';
import { realServers, waitFor } from '@flywheel/testing';
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

// Issue 9: two replicas of the orchestrator on one store. Before, every replica executed whatever
// it found active when it started and nothing else: a run whose replica died stayed RUNNING until
// that replica came back, and CancelRun on a replica that did not execute the run ended it
// CANCELLED while its steps went on running on the other. Runs are now owned through a lease.
const servers = realServers();
const dir = mkdtempSync(join(tmpdir(), 'flywheel-orchestrator-replicas-'));
const database = `fw-orch-replicas-${process.pid}-${Date.now()}`;
const lease = '2s';
const mongoEnv = {
  FLYWHEEL_STORE: 'mongo',
  FLYWHEEL_MONGO_URL: servers.mongoUrl,
  FLYWHEEL_MONGO_DATABASE: database,
  FLYWHEEL_ORCHESTRATOR_RUN_LEASE: lease,
};
const bus = createMemoryBus();
const calls: string[] = [];

/** Built-ins that record which replica ran them. */
function builtinsOf(instance: string): BuiltinSteps {
  return {
    prepare: async () => {
      calls.push(`${instance} prepare`);
      return { rows: 1 };
    },
    // Outlasts several leases: a replica that did not renew would lose the run meanwhile.
    slow: async ({ signal }) => {
      calls.push(`${instance} slow`);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, 5000);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            reject(signal.reason);
          },
          { once: true },
        );
      });
      return { slept: true };
    },
    publish: async () => {
      calls.push(`${instance} publish`);
      return {};
    },
    block: async ({ signal }) => {
      calls.push(`${instance} block`);
      await new Promise((_, reject) =>
        signal.addEventListener(
          'abort',
          () => {
            calls.push(`${instance} block stopped`);
            reject(signal.reason);
          },
          { once: true },
        ),
      );
      return {};
    },
  };
}

const replica = (instance: string): Promise<TestOrchestrator> =>
  startOrchestrator({
    builtins: builtinsOf(instance),
    bus,
    dataDir: join(dir, instance),
    env: { ...mongoEnv, FLYWHEEL_INSTANCE_ID: instance },
  });

const running: TestOrchestrator[] = [];
const spawned: SpawnedService[] = [];
const orphans: number[] = [];
afterAll(async () => {
  for (const service of running.splice(0)) await service.stop();
  for (const service of spawned.splice(0))
    if (service.process.exitCode === null && service.process.signalCode === null) await service.stop();
  for (const pid of orphans) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {}
  }
});

const markerLines = (path: string, text: string) =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => line === text).length
    : 0;

describe('two orchestrator replicas on one store', () => {
  it('a run submitted to A is executed by A only, each step once, across several leases', async () => {
    const a = await replica('replica-a');
    running.push(a);
    const b = await replica('replica-b');
    running.push(b);
    const run = await submit(a.client, {
      steps: [
        builtinStep('prepare', 'prepare'),
        builtinStep('slow', 'slow', { dependsOn: ['prepare'] }),
        builtinStep('publish', 'publish', { dependsOn: ['slow'] }),
      ],
    });
    const done = await waitForFinal(b.client, run.id, 60_000);
    expect(done.state).toBe(RunState.SUCCEEDED);
    expect(calls.filter((c) => !c.includes('block'))).toEqual([
      'replica-a prepare',
      'replica-a slow',
      'replica-a publish',
    ]);
  }, 120_000);

  it('CancelRun sent to B stops the steps of a run A owns', async () => {
    const [a, b] = running as [TestOrchestrator, TestOrchestrator];
    const run = await submit(a.client, { steps: [builtinStep('block', 'block')] });
    await waitFor(
      async () => {
        const { run: now } = await b.client.getRun({ runId: run.id });
        return now && stepOf(now, 'block').attempts[0]?.state === JobState.RUNNING;
      },
      { timeoutMs: 30_000, what: 'the step to run on A' },
    );
    const { run: answered } = await b.client.cancelRun({ runId: run.id, reason: 'from b' });
    expect([RunState.CANCELLING, RunState.CANCELLED]).toContain(answered?.state);
    const done = await waitForFinal(b.client, run.id, 30_000);
    expect(done.state).toBe(RunState.CANCELLED);
    expect(stepOf(done, 'block').state).toBe(StepState.CANCELLED);
    expect(calls).toContain('replica-a block stopped');
    expect(calls.filter((c) => c.startsWith('replica-b'))).toEqual([]);
  }, 120_000);

  it('B takes over the run of a killed A after its lease, and runs no finished step again', async () => {
    const [, b] = running as [TestOrchestrator, TestOrchestrator];
    const marker = join(dir, 'takeover-marker');
    const mark = (text: string) =>
      `fs.appendFileSync(${JSON.stringify(marker)}, ${JSON.stringify(`${text}\n`)});`;
    const first =
      "const fs = require('node:fs');" +
      mark('first') +
      'fs.writeFileSync(process.env.FLYWHEEL_OUTPUTS_FILE, JSON.stringify({ ok: true }));';
    // Attempt 1 hangs (bounded) until the test kills its orchestrator; a later attempt succeeds.
    const second =
      "const fs = require('node:fs');" +
      `fs.appendFileSync(${JSON.stringify(marker)}, 'second ' + process.env.FLYWHEEL_ATTEMPT + '\\n');` +
      "if (process.env.FLYWHEEL_ATTEMPT === '1') setTimeout(() => {}, 60000);" +
      'else fs.writeFileSync(process.env.FLYWHEEL_OUTPUTS_FILE, JSON.stringify({ ok: true }));';
    const a = await spawnService(
      'orchestrator',
      {
        ...mongoEnv,
        FLYWHEEL_INSTANCE_ID: 'replica-a2',
        FLYWHEEL_BUS: 'memory',
        FLYWHEEL_BLOBS: 'fs',
        FLYWHEEL_BLOBS_DIR: join(dir, 'a2', 'blobs'),
        FLYWHEEL_ORCHESTRATOR_WORK_DIR: join(dir, 'a2', 'jobs'),
        FLYWHEEL_TELEMETRY: 'off',
      },
      { timeoutMs: 60_000 },
    );
    spawned.push(a);
    const exited = new Promise<void>((resolve) => a.process.once('exit', () => resolve()));
    const aClient = createRpcClient(OrchestratorService, { address: a.address });
    const run = await submit(aClient, {
      steps: [
        nodeStep('first', first),
        nodeStep('second', second, { dependsOn: ['first'], retry: { maxAttempts: 3 } }),
      ],
    });
    const pid = await waitFor(
      async () => {
        const { run: now } = await b.client.getRun({ runId: run.id });
        const attempt = now ? stepOf(now, 'second').attempts[0] : undefined;
        return markerLines(marker, 'second 1') === 1 && attempt?.executorRef
          ? Number(attempt.executorRef)
          : undefined;
      },
      { timeoutMs: 60_000, what: 'the second step to run on A' },
    );
    orphans.push(pid);
    aClient.close();
    a.process.kill('SIGKILL');
    await exited;

    const done = await waitForFinal(b.client, run.id, 60_000);
    expect(done.state).toBe(RunState.SUCCEEDED);
    expect(markerLines(marker, 'first')).toBe(1);
    expect(stepOf(done, 'first').attempts).toHaveLength(1);
    const step = stepOf(done, 'second');
    expect(step.attempts.map((attempt) => attempt.state)).toEqual([JobState.FAILED, JobState.SUCCEEDED]);
    expect(step.attempts[0]?.failure?.message).toContain('orchestrator died');
    expect(markerLines(marker, 'second 2')).toBe(1);
  }, 180_000);
});
