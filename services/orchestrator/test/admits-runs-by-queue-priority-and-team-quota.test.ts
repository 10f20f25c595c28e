import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { decodeEvent } from '@flywheel/events';
import type { StepSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { RunAdmittedSchema, RunQueuedSchema } from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import {
  AdmissionState,
  type Run,
  RunState,
} from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { repoRoot, sampleSum, scrapePrometheus, waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFlywheel } from '../../../cli/test/run-flywheel.ts';
import {
  type OrchestratorClient,
  recordPipelineEvents,
  startOrchestrator,
  stepOf,
  submit,
  type TestOrchestrator,
  waitForFinal,
} from './orchestrator-harness.ts';

// Two queues, a capacity of 2 cores shared by every team, and a quota of 2 cores per team (team-b
// also 256 MiB: a bound below this machine's memory, so the local executor's own check passes).
const queues = JSON.stringify({
  queues: [
    { name: 'urgent', priority: 100 },
    { name: 'batch', priority: 10 },
  ],
  defaultQueue: 'batch',
  capacity: { cpu: 2 },
  teams: { 'team-a': { cpu: 2, jobs: 2 }, 'team-b': { cpu: 2, memoryMib: 256 } },
});

/** A command step burning `cpuMs` of CPU time (not wall time: a loaded machine only slows it). */
function burn(cpu: number, cpuMs: number, memoryMib = 0): MessageInitShape<typeof StepSchema> {
  const script = `const t = process.cpuUsage(); let x = 0;
while ((process.cpuUsage(t).user + process.cpuUsage(t).system) / 1000 < ${cpuMs}) x++;`;
  return {
    name: 'burn',
    kind: { case: 'command', value: { command: [process.execPath, '-e', script] } },
    resources: { cpu, memoryMib },
  };
}

/** A command step taking 2 cores until the file `release` exists (at most 2 min): a sure holder. */
function holdUntil(release: string): MessageInitShape<typeof StepSchema> {
  const hold = `const fs = require('node:fs'); const until = Date.now() + 120000;
while (!fs.existsSync(${JSON.stringify(release)}) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);`;
  return {
    name: 'hold',
    kind: { case: 'command', value: { command: [process.execPath, '-e', hold] } },
    resources: { cpu: 2 },
  };
}

/** Polls GetRun until `check` holds. */
function waitForRun(client: OrchestratorClient, runId: string, what: string, check: (run: Run) => boolean) {
  return waitFor(
    async () => {
      const { run } = await client.getRun({ runId });
      return run && check(run) ? run : undefined;
    },
    { timeoutMs: 60_000, what: `run ${runId}: ${what}` },
  );
}

const waits = (run: Run, reason: string) =>
  run.state === RunState.QUEUED &&
  run.admission?.state === AdmissionState.WAITING &&
  run.admission.reason.startsWith(reason);

describe('queues, priorities and team quotas', () => {
  let orchestrator: TestOrchestrator;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'flywheel-orchestrator-queues-'));
    orchestrator = await startOrchestrator({ dataDir, env: { FLYWHEEL_ORCHESTRATOR_QUEUES: queues } });
  });
  afterAll(() => orchestrator.stop());

  it('two teams over quota: the lower-priority run waits and is admitted when the others finish, higher priority first', async () => {
    const recorder = recordPipelineEvents(orchestrator.bus);
    const { client } = orchestrator;
    // a1 takes the whole capacity. b1 (batch) then waits for capacity; a2 (urgent, submitted
    // after b1) waits for team-a's quota — and is admitted before b1 once a1 ends.
    const a1 = await submit(client, { steps: [burn(2, 1000)] }, { team: 'team-a', queue: 'urgent' }, 'a1');
    await waitForRun(client, a1.id, 'admitted', (r) => r.admission?.state === AdmissionState.ADMITTED);
    const b1 = await submit(client, { steps: [burn(2, 300)] }, { team: 'team-b', queue: 'batch' }, 'b1');
    const a2 = await submit(client, { steps: [burn(1, 300)] }, { team: 'team-a', queue: 'urgent' }, 'a2');
    expect(a2.queue).toBe('urgent');

    const b1Waiting = await waitForRun(client, b1.id, 'waiting for capacity', (r) => waits(r, 'capacity:'));
    const a2Waiting = await waitForRun(client, a2.id, 'waiting for its quota', (r) =>
      waits(r, 'team team-a quota:'),
    );
    console.log(
      `waiting: a2 position ${a2Waiting.admission?.position} (${a2Waiting.admission?.reason}); ` +
        `b1 position ${b1Waiting.admission?.position} (${b1Waiting.admission?.reason})`,
    );
    expect(a2Waiting.admission?.reason).toBe('team team-a quota: cpu 2 of 2 in use, needs 1');
    expect(b1Waiting.admission?.demand?.cpu).toBe(2);

    const ended = await Promise.all([a1, a2, b1].map((run) => waitForFinal(client, run.id, 120_000)));
    for (const run of ended) expect(run.state).toBe(RunState.SUCCEEDED);
    const [endedA1, endedA2, endedB1] = ended as [Run, Run, Run];
    const admittedAt = (run: Run) => timestampMs(run.admission!.admitTime!);
    const queuedMs = (run: Run) => admittedAt(run) - timestampMs(run.admission!.queuedSince!);
    const order = [...ended].sort((x, y) => admittedAt(x) - admittedAt(y)).map((r) => r.pipelineName);
    console.log(`admitted order: ${order.join(', ')}`);
    for (const run of ended)
      console.log(
        `${run.pipelineName}: team ${run.team}, queue ${run.queue} (priority ${run.admission?.priority}), ` +
          `queued ${queuedMs(run)} ms, admitted ${new Date(admittedAt(run)).toISOString()}`,
      );
    expect(order).toEqual(['a1', 'a2', 'b1']);
    // Each waiting run is admitted only once the one holding the room has ended.
    expect(admittedAt(endedA2)).toBeGreaterThanOrEqual(timestampMs(endedA1.endTime!));
    expect(admittedAt(endedB1)).toBeGreaterThanOrEqual(timestampMs(endedA2.endTime!));
    expect(endedB1.admission?.position).toBe(0);

    // Accounting: the attempt's request, and what it used (CPU time of the command, its peak memory, wall time).
    const burned = stepOf(endedA1, 'burn').attempts[0]!;
    const usage = burned.usage!;
    console.log(
      `a1 burn: requested cpu ${burned.requested?.cpu}; used ${usage.cpuSeconds.toFixed(2)} CPU-s, ` +
        `peak ${(Number(usage.peakMemoryBytes) / 2 ** 20).toFixed(1)} MiB, wall ${usage.wallSeconds.toFixed(2)} s`,
    );
    expect(burned.requested?.cpu).toBe(2);
    expect(usage.cpuSeconds).toBeGreaterThanOrEqual(0.5);
    expect(usage.cpuSeconds).toBeLessThan(60);
    expect(Number(usage.peakMemoryBytes)).toBeGreaterThan(4 * 2 ** 20); // a Node process
    expect(Number(usage.peakMemoryBytes)).toBeLessThan(4 * 2 ** 30);
    expect(usage.wallSeconds).toBeGreaterThan(0);

    const samples = await scrapePrometheus(orchestrator.service.metricsUrl!);
    const teamA = sampleSum(samples, 'flywheel_pipeline_job_cpu_seconds_total', { team: 'team-a' });
    const teamB = sampleSum(samples, 'flywheel_pipeline_job_cpu_seconds_total', { team: 'team-b' });
    console.log(`CPU-s by team: team-a ${teamA.toFixed(2)}, team-b ${teamB.toFixed(2)}`);
    expect(teamA).toBeGreaterThanOrEqual(usage.cpuSeconds);
    expect(teamB).toBeGreaterThan(0);
    expect(
      sampleSum(samples, 'flywheel_pipeline_job_requested_cpu_seconds_total', { team: 'team-a' }),
    ).toBeGreaterThan(0);
    expect(sampleSum(samples, 'flywheel_pipeline_job_peak_memory_bytes_count', { team: 'team-b' })).toBe(1);
    expect(
      sampleSum(samples, 'flywheel_pipeline_queue_wait_seconds_count', { queue: 'batch', team: 'team-b' }),
    ).toBe(1);

    // run.queued and run.admitted, for each run, with the queue and its priority.
    const events = await waitFor(
      () => {
        const mine = recorder.events.filter((e) => e.type === 'run.admitted');
        return mine.length >= 3 ? mine : undefined;
      },
      { timeoutMs: 30_000, what: 'three run.admitted events' },
    );
    const b1Admitted = events.map((e) => decodeEvent(RunAdmittedSchema, e)).find((e) => e.runId === b1.id);
    expect(b1Admitted).toMatchObject({ team: 'team-b', queue: 'batch', priority: 10 });
    expect(b1Admitted?.demand?.cpu).toBe(2);
    const queued = recorder.events
      .filter((e) => e.type === 'run.queued')
      .map((e) => decodeEvent(RunQueuedSchema, e))
      .find((e) => e.runId === a2.id);
    expect(queued).toMatchObject({ team: 'team-a', queue: 'urgent', priority: 100 });
    await recorder.close();
  });

  it('refuses an unknown queue, and a run its team quota could never admit, naming the field', async () => {
    const refused = async (promise: Promise<unknown>, field: string) => {
      const error = await promise.catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'invalid_argument', field });
      return (error as Error).message;
    };
    const { client } = orchestrator;
    expect(
      await refused(submit(client, { steps: [burn(1, 1)] }, { team: 'team-a', queue: 'nightly' }), 'queue'),
    ).toContain('queue: unknown queue "nightly" (queues: urgent, batch)');
    expect(
      await refused(
        submit(client, { steps: [burn(1, 1, 512)] }, { team: 'team-b' }),
        'inline_pipeline.spec.steps',
      ),
    ).toMatch(/the run needs memory_mib 512 .*more than team "team-b"'s quota of 256/);
  });

  it('from Python (grpcio): a run submitted into a queue shows its wait in GetRun; an unknown queue is INVALID_ARGUMENT', async () => {
    const run = promisify(execFile);
    const python = process.env.FLYWHEEL_PYTHON ?? 'python3';
    const stubs = mkdtempSync(join(tmpdir(), 'flywheel-queues-py-'));
    const protos = ['common/v1/pipeline', 'common/v1/principal', 'common/v1/trigger', 'common/v1/validate'];
    await run(
      python,
      [
        '-m',
        'grpc_tools.protoc',
        '-I',
        'proto',
        `--python_out=${stubs}`,
        `--grpc_python_out=${stubs}`,
        'proto/flywheel/orchestrator/v1/orchestrator.proto',
        ...protos.map((p) => `proto/flywheel/${p}.proto`),
      ],
      { cwd: repoRoot },
    );
    const { client } = orchestrator;
    // The holder runs until released: Python's start-up on a loaded machine may take longer than any burn.
    const release = join(stubs, 'release');
    const holder = await submit(
      client,
      { steps: [holdUntil(release)] },
      { team: 'team-a', queue: 'urgent' },
      'holder',
    );
    await waitForRun(client, holder.id, 'running', (r) => r.state === RunState.RUNNING);
    const { stdout } = await run(
      python,
      [join(repoRoot, 'test/python/queued_run.py'), orchestrator.service.address, 'team-b', 'batch'],
      { env: { ...process.env, PYTHONPATH: stubs }, timeout: 120_000 },
    ).finally(() => writeFileSync(release, ''));
    const seen = JSON.parse(stdout) as Record<string, unknown>;
    console.log(`from Python: ${stdout.trim()}`);
    expect(seen).toMatchObject({
      queue: 'batch',
      state: 'RUN_STATE_QUEUED',
      admission: 'ADMISSION_STATE_WAITING',
      position: 1,
      reason: 'capacity: cpu 2 of 2 in use, needs 2',
      queued_since_set: true,
      demand_cpu: 2,
      refused: 'INVALID_ARGUMENT: queue: unknown queue "nightly" (queues: urgent, batch)',
    });
    expect((await waitForFinal(client, seen.run_id as string, 120_000)).state).toBe(RunState.SUCCEEDED);
  });

  it('flywheel runs get shows the wait (queue, position, since, reason), then what each step used', async () => {
    const { client } = orchestrator;
    const dir = mkdtempSync(join(tmpdir(), 'flywheel-queues-cli-'));
    const release = join(dir, 'release');
    // The holder runs until the test releases it, so the other run is sure to be waiting meanwhile.
    const holder = await submit(
      client,
      { steps: [holdUntil(release)] },
      { team: 'team-a', queue: 'urgent' },
      'holder',
    );
    await waitForRun(client, holder.id, 'running', (r) => r.state === RunState.RUNNING);
    const waiting = await submit(client, { steps: [burn(1, 200)] }, { team: 'team-b' }, 'cli-waiter');
    await waitForRun(client, waiting.id, 'waiting', (r) => waits(r, 'capacity:'));
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `current-context: test\ncontexts:\n  test:\n    addresses:\n      orchestrator: ${orchestrator.service.address}\n`,
    );
    const env = { FLYWHEEL_CONFIG: config, NO_COLOR: '1' };
    const shown = await runFlywheel(['runs', 'get', waiting.id], env);
    console.log(`flywheel runs get (waiting):\n${shown.stdout}`);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/queue:\s+batch \(priority 10\)\n/);
    expect(shown.stdout).toMatch(/waiting:\s+#1 since \S+ — capacity: cpu 2 of 2 in use, needs 1\n/);

    writeFileSync(release, '');
    expect((await waitForFinal(client, waiting.id, 120_000)).state).toBe(RunState.SUCCEEDED);
    const after = await runFlywheel(['runs', 'get', waiting.id], env);
    console.log(`flywheel runs get (ended):\n${after.stdout}`);
    expect(after.stdout).toMatch(/queue:\s+batch \(priority 10\), admitted after \d+\.\d s\n/);
    expect(after.stdout).not.toContain('waiting:');
    expect(after.stdout).toMatch(/\d+\.\d\d CPU-s \(requested cpu 1\), peak \d+ MiB, \d+\.\d s/);
    await waitForFinal(client, holder.id, 60_000);
  });

  it('cancels a waiting run: it ends CANCELLED without starting, and reserves nothing', async () => {
    const { client } = orchestrator;
    const holder = await submit(
      client,
      { steps: [burn(2, 600)] },
      { team: 'team-a', queue: 'urgent' },
      'holder',
    );
    await waitForRun(client, holder.id, 'running', (r) => r.state === RunState.RUNNING);
    const cancelled = await submit(client, { steps: [burn(2, 100)] }, { team: 'team-b' }, 'cancelled');
    const next = await submit(client, { steps: [burn(2, 100)] }, { team: 'team-b' }, 'next');
    await waitForRun(client, cancelled.id, 'waiting', (r) => waits(r, 'capacity:'));
    await client.cancelRun({ runId: cancelled.id, reason: 'not needed' });
    const ended = await waitForFinal(client, cancelled.id, 60_000);
    expect(ended.state).toBe(RunState.CANCELLED);
    expect(stepOf(ended, 'burn').attempts).toHaveLength(0);
    expect(ended.startTime).toBeUndefined();
    const done = await waitForFinal(client, next.id, 120_000);
    expect(done.state).toBe(RunState.SUCCEEDED);
  });

  it('keeps a waiting run waiting, in its place, across a restart, and admits it after', async () => {
    let { client } = orchestrator;
    const holder = await submit(
      client,
      { steps: [burn(2, 2000)] },
      { team: 'team-a', queue: 'urgent' },
      'holder',
    );
    await waitForRun(client, holder.id, 'running', (r) => r.state === RunState.RUNNING);
    const waiting = await submit(client, { steps: [burn(2, 100)] }, { team: 'team-b' }, 'waiter');
    const before = await waitForRun(client, waiting.id, 'waiting', (r) => waits(r, 'capacity:'));

    await orchestrator.stop();
    orchestrator = await startOrchestrator({ dataDir, env: { FLYWHEEL_ORCHESTRATOR_QUEUES: queues } });
    client = orchestrator.client;
    const after = await waitForRun(client, waiting.id, 'still waiting after the restart', (r) =>
      waits(r, 'capacity:'),
    );
    expect(timestampMs(after.admission!.queuedSince!)).toBe(timestampMs(before.admission!.queuedSince!));

    const done = await waitForFinal(client, waiting.id, 120_000);
    const holderDone = await waitForFinal(client, holder.id, 120_000);
    expect([done.state, holderDone.state]).toEqual([RunState.SUCCEEDED, RunState.SUCCEEDED]);
    expect(timestampMs(done.admission!.admitTime!)).toBeGreaterThanOrEqual(timestampMs(holderDone.endTime!));
  });
});
