// The executor contract: what every JobExecutor must do for the orchestrator, as a user sees it
// through the OrchestratorService API. `describeExecutorContract` registers the suite for one
// executor; each executor's test file calls it (test/local-executor-contract.test.ts).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject, MessageInitShape } from '@bufbuild/protobuf';
import type { DurationSchema } from '@bufbuild/protobuf/wkt';
import type { Env } from '@flywheel/core';
import { type JobExecutor, loadOrchestratorConfig, wireOrchestrator } from '@flywheel/orchestrator';
import type {
  PipelineSpecSchema,
  RetryPolicySchema,
  StepSchema,
} from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { FailureKind } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import {
  JobState,
  type LogLine,
  LogStream,
  OrchestratorService,
  type Run,
  RunState,
} from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { createRpcClient, type RpcClient } from '@flywheel/rpc';
import {
  type InProcessService,
  type SpawnedService,
  spawnService,
  startInProcess,
} from '@flywheel/runtime/testing';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type Client = RpcClient<(typeof OrchestratorService)['method']>;
type StepInit = MessageInitShape<typeof StepSchema>;
interface StepExtra {
  parameters?: JsonObject;
  dependsOn?: string[];
  retry?: MessageInitShape<typeof RetryPolicySchema>;
  timeout?: MessageInitShape<typeof DurationSchema>;
}

export interface ExecutorContractOptions {
  /**
   * The argv that runs `script` (Node.js source) where the executor runs jobs, with the file
   * contract (`FLYWHEEL_PARAMETERS_FILE`, `FLYWHEEL_OUTPUTS_FILE`) and `FLYWHEEL_CONTRACT_DIR`
   * (the suite's scratch directory, which the job must see at the same path). Default: this
   * Node binary, `-e script`.
   */
  argv?(script: string): string[];
  /**
   * The step timeout of the timeout case, seconds: long enough for the job to start and write its
   * pid file where the executor starts jobs slowly (Ray sets up a runtime env first). Default 3.
   */
  timeoutCaseSeconds?: number;
  /** Whether the job's process is visible here by pid (a process of this machine). Default true. */
  sameMachine?: boolean;
  /**
   * The orchestrator killed mid-job (`kill -9`) and started again on the same store and work
   * directory: `adopts` — the running job is picked up and runs once (executors with
   * `reattach`); `reruns` — the documented outcome for an executor without it: the attempt is
   * recorded lost and the step runs again. `env` makes a spawned orchestrator (src/main.ts) have
   * the executor. Omitted: the case is reported skipped with `reason`.
   */
  restart?: { outcome: 'adopts' | 'reruns'; env?: Env } | { skip: string };
  /** Deadline of each run, ms. Default 120 000 (a loaded 2-core box). */
  runTimeoutMs?: number;
}

const finalStates = new Set([RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED]);

async function waitForFinal(client: Client, runId: string, timeoutMs: number): Promise<Run> {
  return waitFor(
    async () => {
      const { run } = await client.getRun({ runId });
      return run && finalStates.has(run.state) ? run : undefined;
    },
    { timeoutMs, what: `run ${runId} to end` },
  );
}

function stepOf(run: Run, name: string) {
  const step = run.steps.find((s) => s.name === name);
  if (!step) throw new Error(`run ${run.id} has no step ${name}`);
  return step;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const lineCount = (path: string) =>
  existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0;

/** Job scripts (Node.js), each a behaviour the contract needs. `FLYWHEEL_CONTRACT_DIR` is the scratch dir. */
const scripts = {
  /** Echoes its parameter `x` and upstream inputs as outputs. */
  echo:
    "const fs = require('node:fs');" +
    'const p = JSON.parse(fs.readFileSync(process.env.FLYWHEEL_PARAMETERS_FILE, "utf8"));' +
    'fs.writeFileSync(process.env.FLYWHEEL_OUTPUTS_FILE, JSON.stringify({ echoed: p.x, inputs: p.inputs }));',
  /** Writes a reason to stderr and exits 3. */
  fail: "console.error('first line'); console.error('the reason: disk on fire'); process.exit(3);",
  /** Prints to both streams. */
  logs: "console.log('to stdout 1'); console.log('to stdout 2'); console.error('to stderr 1');",
  /** Records its pid in `<dir>/<name>.pid`, then waits (bounded) for `<dir>/<name>.go`. */
  waitForGo: (name: string) =>
    "const fs = require('node:fs'); const path = require('node:path');" +
    'const dir = process.env.FLYWHEEL_CONTRACT_DIR;' +
    `fs.appendFileSync(path.join(dir, ${JSON.stringify(`${name}.starts`)}), process.pid + '\\n');` +
    `fs.writeFileSync(path.join(dir, ${JSON.stringify(`${name}.pid`)}), String(process.pid));` +
    'const until = Date.now() + 300000;' +
    `const t = setInterval(() => { if (fs.existsSync(path.join(dir, ${JSON.stringify(`${name}.go`)})) || Date.now() > until) {` +
    'clearInterval(t); fs.writeFileSync(process.env.FLYWHEEL_OUTPUTS_FILE, JSON.stringify({ done: true })); } }, 100);',
  /** Fails its first attempt (counted in `<dir>/<name>.tries`), succeeds on the next. */
  failOnce: (name: string) =>
    "const fs = require('node:fs'); const path = require('node:path');" +
    `const f = path.join(process.env.FLYWHEEL_CONTRACT_DIR, ${JSON.stringify(`${name}.tries`)});` +
    "fs.appendFileSync(f, 'try\\n');" +
    "if (fs.readFileSync(f, 'utf8').split('\\n').filter(Boolean).length < 2) { console.error('flaky'); process.exit(1); }" +
    'fs.writeFileSync(process.env.FLYWHEEL_OUTPUTS_FILE, JSON.stringify({ attempt: Number(process.env.FLYWHEEL_ATTEMPT) }));',
};

/**
 * Registers the executor contract suite for the executor `makeExecutor` makes (called once, in
 * `beforeAll`): success with outputs, failure with its reason (exit code and stderr tail),
 * timeout, cancel, logs, retry, and an orchestrator killed mid-job and restarted. Each case runs
 * pipelines through a real orchestrator (in this process; a spawned one for the restart) whose
 * steps name the executor.
 */
export function describeExecutorContract(
  name: string,
  makeExecutor: () => JobExecutor | Promise<JobExecutor>,
  options: ExecutorContractOptions = {},
): void {
  const argv = options.argv ?? ((script: string) => [process.execPath, '-e', script]);
  const sameMachine = options.sameMachine ?? true;
  const timeoutCaseSeconds = BigInt(options.timeoutCaseSeconds ?? 3);
  const runTimeoutMs = options.runTimeoutMs ?? 120_000;
  const dir = mkdtempSync(join(tmpdir(), `flywheel-executor-contract-${name}-`));
  let executorName = name;

  const step = (stepName: string, script: string, extra: StepExtra = {}): StepInit => ({
    name: stepName,
    kind: {
      case: 'command',
      value: { command: argv(script), executor: executorName, env: { FLYWHEEL_CONTRACT_DIR: dir } },
    },
    ...extra,
  });
  const submitTo = async (
    client: Client,
    spec: MessageInitShape<typeof PipelineSpecSchema>,
    requestId = '',
  ) => {
    const { run } = await client.submitRun({
      pipeline: { case: 'inlinePipeline', value: { name: 'executor-contract', spec } },
      requestId,
    });
    if (!run) throw new Error('SubmitRun returned no run');
    return run;
  };
  const waitForPid = (jobName: string) =>
    waitFor(
      () => {
        const file = join(dir, `${jobName}.pid`);
        return existsSync(file) ? Number(readFileSync(file, 'utf8')) || undefined : undefined;
      },
      { timeoutMs: runTimeoutMs, what: `job ${jobName} to start` },
    );
  const waitGone = (pid: number) =>
    waitFor(() => !alive(pid), { timeoutMs: 60_000, what: `process ${pid} to be stopped` });

  describe(`the ${name} executor's contract`, () => {
    let service: InProcessService;
    let client: Client;

    beforeAll(async () => {
      const executor = await makeExecutor();
      executorName = executor.name;
      service = await startInProcess('orchestrator', {
        load: loadOrchestratorConfig,
        wire: (host, config) => wireOrchestrator(host, config, { builtinSteps: {}, executors: [executor] }),
        dataDir: join(dir, 'in-process'),
        env: {
          FLYWHEEL_ORCHESTRATOR_WORK_DIR: join(dir, 'in-process', 'jobs'),
          FLYWHEEL_ORCHESTRATOR_KILL_GRACE: '2s',
        },
      });
      client = createRpcClient(OrchestratorService, { address: service.address });
    }, 120_000);
    afterAll(async () => {
      client?.close();
      await service?.stop();
    });

    it(
      'succeeds with the outputs the job wrote, recording the executor',
      async () => {
        const run = await submitTo(client, {
          steps: [
            step('first', scripts.echo, { parameters: { x: 'one' } }),
            step('second', scripts.echo, { parameters: { x: 2 }, dependsOn: ['first'] }),
          ],
        });
        const done = await waitForFinal(client, run.id, runTimeoutMs);
        expect(done.state).toBe(RunState.SUCCEEDED);
        expect(stepOf(done, 'first').outputs).toEqual({ echoed: 'one', inputs: {} });
        expect(stepOf(done, 'second').outputs).toEqual({
          echoed: 2,
          // Upstream outputs as templates see them: with the producing step's code_version.
          inputs: { first: { echoed: 'one', inputs: {}, code_version: expect.any(String) } },
        });
        expect(stepOf(done, 'first').attempts[0]).toMatchObject({
          executor: executorName,
          state: JobState.SUCCEEDED,
        });
      },
      runTimeoutMs + 10_000,
    );

    it(
      'fails with the exit code and the tail of stderr as the reason',
      async () => {
        const run = await submitTo(client, { steps: [step('broken', scripts.fail)] });
        const done = await waitForFinal(client, run.id, runTimeoutMs);
        expect(done.state).toBe(RunState.FAILED);
        const failure = stepOf(done, 'broken').failure;
        expect(failure).toMatchObject({ kind: FailureKind.STEP_FAILED, exitCode: 3, stepName: 'broken' });
        expect(failure?.message).toContain('the reason: disk on fire');
      },
      runTimeoutMs + 10_000,
    );

    it(
      'stops a job at its timeout and fails it TIMED_OUT',
      async () => {
        const run = await submitTo(client, {
          steps: [step('sleepy', scripts.waitForGo('sleepy'), { timeout: { seconds: timeoutCaseSeconds } })],
        });
        const pid = await waitForPid('sleepy');
        const done = await waitForFinal(client, run.id, runTimeoutMs);
        expect(done.state).toBe(RunState.FAILED);
        expect(stepOf(done, 'sleepy').failure).toMatchObject({ kind: FailureKind.TIMED_OUT });
        if (sameMachine) await waitGone(pid);
      },
      runTimeoutMs + 70_000,
    );

    it(
      'stops a job on CancelRun and ends the run CANCELLED',
      async () => {
        const run = await submitTo(client, { steps: [step('cancelled', scripts.waitForGo('cancelled'))] });
        const pid = await waitForPid('cancelled');
        await client.cancelRun({ runId: run.id });
        const done = await waitForFinal(client, run.id, runTimeoutMs);
        expect(done.state).toBe(RunState.CANCELLED);
        expect(stepOf(done, 'cancelled').attempts.at(-1)?.state).toBe(JobState.CANCELLED);
        if (sameMachine) await waitGone(pid);
      },
      runTimeoutMs + 70_000,
    );

    it(
      "streams the job's stdout and stderr as its log",
      async () => {
        const run = await submitTo(client, { steps: [step('chatty', scripts.logs)] });
        await waitForFinal(client, run.id, runTimeoutMs);
        const lines: LogLine[] = [];
        for await (const message of client.streamJobLogs({ runId: run.id, stepName: 'chatty' }))
          lines.push(...message.lines);
        const of = (stream: LogStream) => lines.filter((l) => l.stream === stream).map((l) => l.text);
        expect(of(LogStream.STDOUT)).toEqual(['to stdout 1', 'to stdout 2']);
        expect(of(LogStream.STDERR)).toEqual(['to stderr 1']);
      },
      runTimeoutMs + 10_000,
    );

    it(
      'retries a failed attempt as the step says, in a new job',
      async () => {
        const run = await submitTo(client, {
          steps: [
            step('flaky', scripts.failOnce('flaky'), {
              retry: { maxAttempts: 3, initialBackoff: { nanos: 100_000_000 } },
            }),
          ],
        });
        const done = await waitForFinal(client, run.id, runTimeoutMs);
        expect(done.state).toBe(RunState.SUCCEEDED);
        const flaky = stepOf(done, 'flaky');
        expect(flaky.attempts.map((a) => a.state)).toEqual([JobState.FAILED, JobState.SUCCEEDED]);
        expect(flaky.attempts[0]?.exitCode).toBe(1);
        expect(flaky.outputs).toEqual({ attempt: 2 });
        expect(new Set(flaky.attempts.map((a) => a.id)).size).toBe(2);
      },
      runTimeoutMs + 10_000,
    );

    const restart = options.restart ?? { skip: 'no restart option given' };
    if ('skip' in restart) {
      it.skip(`an orchestrator killed mid-job and restarted: ${restart.skip}`, () => {});
      return;
    }
    it(
      `an orchestrator killed mid-job (kill -9) and restarted ${restart.outcome === 'adopts' ? 'adopts the job: it runs once' : 'records the attempt lost and runs the step again'}`,
      async () => {
        const spawned: SpawnedService[] = [];
        const spawnOrchestrator = async () => {
          const child = await spawnService(
            'orchestrator',
            {
              FLYWHEEL_BUS: 'memory',
              FLYWHEEL_STORE: 'embedded',
              FLYWHEEL_STORE_DIR: join(dir, 'spawned', 'store'),
              FLYWHEEL_BLOBS: 'fs',
              FLYWHEEL_BLOBS_DIR: join(dir, 'spawned', 'blobs'),
              FLYWHEEL_ORCHESTRATOR_WORK_DIR: join(dir, 'spawned', 'jobs'),
              FLYWHEEL_INSTANCE_ID: `contract-${name}`,
              FLYWHEEL_TELEMETRY: 'off',
              ...restart.env,
            },
            { timeoutMs: 60_000 },
          );
          spawned.push(child);
          return { child, client: createRpcClient(OrchestratorService, { address: child.address }) };
        };
        try {
          const first = await spawnOrchestrator();
          const run = await submitTo(first.client, {
            steps: [step('long', scripts.waitForGo('long'), { retry: { maxAttempts: 2 } })],
          });
          const pid = await waitForPid('long');
          // Its start is recorded before the job's work begins: wait for it, as a crash may come any time after.
          await waitFor(
            async () => {
              const { run: now } = await first.client.getRun({ runId: run.id });
              return now && stepOf(now, 'long').attempts[0]?.state === JobState.RUNNING;
            },
            { timeoutMs: runTimeoutMs, what: 'the attempt to be recorded running' },
          );
          first.client.close();
          const exited = new Promise<void>((resolve) => first.child.process.once('exit', () => resolve()));
          first.child.process.kill('SIGKILL');
          await exited;

          const second = await spawnOrchestrator();
          if (restart.outcome === 'adopts') {
            if (sameMachine) expect(alive(pid)).toBe(true);
            writeFileSync(join(dir, 'long.go'), '');
          } else {
            // The second attempt starts (a second pid recorded), then is let finish.
            await waitFor(() => lineCount(join(dir, 'long.starts')) >= 2, {
              timeoutMs: runTimeoutMs,
              what: 'the step to run again',
            });
            writeFileSync(join(dir, 'long.go'), '');
          }
          const done = await waitForFinal(second.client, run.id, runTimeoutMs);
          second.client.close();
          expect(done.state).toBe(RunState.SUCCEEDED);
          const long = stepOf(done, 'long');
          expect(long.outputs).toEqual({ done: true });
          if (restart.outcome === 'adopts') {
            expect(lineCount(join(dir, 'long.starts'))).toBe(1);
            expect(long.attempts).toHaveLength(1);
          } else {
            expect(lineCount(join(dir, 'long.starts'))).toBe(2);
            expect(long.attempts.map((a) => a.state)).toEqual([JobState.FAILED, JobState.SUCCEEDED]);
            expect(long.attempts[0]?.failure?.message).toContain('the orchestrator died');
          }
        } finally {
          for (const child of spawned) {
            if (child.process.exitCode === null && child.process.signalCode === null) await child.stop();
          }
        }
      },
      3 * runTimeoutMs,
    );
  });
}
