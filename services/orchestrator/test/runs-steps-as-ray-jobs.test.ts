import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { RayJobOptionsSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { realRayAddress, waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { type CommandJob, JobFailure } from '../src/executors/job-executor.ts';
import type { LogStreamName } from '../src/executors/job-logs.ts';
import { createRayJobExecutor, raySubmissionId } from '../src/executors/ray-job-executor.ts';
import { createRayJobsClient } from '../src/executors/ray-jobs-client.ts';

// The Ray executor against the real Ray head node of scripts/servers (its own network namespace,
// Jobs REST API relayed to FLYWHEEL_RAY_ADDRESS).
const address = realRayAddress();
const ray = createRayJobsClient(address);
const python = process.env.FLYWHEEL_PYTHON ?? 'python3';
const dir = mkdtempSync(join(tmpdir(), 'flywheel-ray-executor-'));
const runTag = `${process.pid}-${Date.now()}`;

/** A step script: reads its parameters, writes outputs, prints to stdout and stderr. */
const echoStep = [
  'import json, os, sys',
  'p = json.load(open(os.environ["FLYWHEEL_PARAMETERS_FILE"]))',
  'print("hello from", os.environ["FLYWHEEL_STEP_NAME"], "greeting", os.environ.get("GREETING"))',
  'print("to stderr", file=sys.stderr)',
  'open(os.path.join(os.environ["FLYWHEEL_ARTIFACTS_DIR"], "model.txt"), "w").write("weights")',
  'json.dump({"doubled": p["n"] * 2, "note": p["note"], "inputs": p["inputs"], "cwd": os.getcwd()}, open(os.environ["FLYWHEEL_OUTPUTS_FILE"], "w"))',
].join('\n');

function jobOf(name: string, argv: string[], extra: Partial<CommandJob> & { signal?: AbortSignal } = {}) {
  const lines: { stream: LogStreamName; text: string }[] = [];
  const started: string[] = [];
  const jobDir = join(dir, name);
  const job: CommandJob = {
    jobId: `run-${runTag}/${name}/1`,
    runId: `run-${runTag}`,
    pipelineName: 'ray-test',
    stepName: name,
    attempt: 1,
    argv,
    env: {},
    workingDir: '',
    image: '',
    resources: { cpu: 0, memoryMib: 0, gpu: 0 },
    parametersFile: { n: 21, note: 'costs $HOME and $PATH', inputs: { upstream: { x: 1 } } },
    jobDir,
    signal: new AbortController().signal,
    logs: { write: (stream, text) => void lines.push({ stream, text }), close: async () => {} },
    started: async (ref, handle) => {
      started.push(`${ref}|${handle}`);
    },
    ...extra,
  };
  return { job, lines, started, text: () => lines.map((l) => l.text).join('\n') };
}

async function rayStatus(submissionId: string) {
  return (await ray.get(submissionId))?.status;
}

describe('the Ray executor against a real Ray', { timeout: 180_000 }, () => {
  it('runs a step as a Ray job: parameters in, outputs back through the log, env and logs carried', async () => {
    const executor = createRayJobExecutor({ address, pollMs: 250 });
    const { job, lines, started, text } = jobOf('echo', [python, '-c', echoStep], {
      env: { GREETING: "it's here" },
    });
    const outputs = await executor.run(job);
    expect(outputs).toMatchObject({
      doubled: 42,
      note: 'costs $HOME and $PATH',
      inputs: { upstream: { x: 1 } },
    });
    const id = raySubmissionId(job);
    expect(started).toEqual([`${id}|${id}`]);
    expect(await rayStatus(id)).toBe('SUCCEEDED');
    expect(text()).toContain("hello from echo greeting it's here");
    expect(text()).toContain('to stderr');
    // The outputs marker is consumed, not logged; no shared filesystem: nothing in the job dir.
    expect(text()).not.toContain('::flywheel-outputs::');
    expect(lines.some((l) => l.stream === 'system' && l.text.includes('SUCCEEDED'))).toBe(true);
    expect(existsSync(join(job.jobDir, 'outputs.json'))).toBe(false);
    const info = await ray.get(id);
    expect(info?.metadata).toMatchObject({ flywheel_step: 'echo', flywheel_attempt: '1' });
  });

  it('with a shared filesystem uses the job directory as a local job does', async () => {
    const executor = createRayJobExecutor({ address, pollMs: 250, sharedFilesystem: true });
    const { job } = jobOf('shared', [python, '-c', echoStep]);
    const outputs = await executor.run(job);
    expect(outputs).toMatchObject({ doubled: 42, cwd: job.jobDir });
    expect(readFileSync(join(job.jobDir, 'artifacts', 'model.txt'), 'utf8')).toBe('weights');
    expect(JSON.parse(readFileSync(join(job.jobDir, 'parameters.json'), 'utf8'))).toMatchObject({ n: 21 });
  });

  it("maps a failed command to step_failed with Ray's message and the exit code", async () => {
    const executor = createRayJobExecutor({ address, pollMs: 250 });
    const { job } = jobOf('fails', ['sh', '-c', 'echo "bad input row 7" >&2; exit 3']);
    const error = await executor.run(job).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailure);
    const failure = error as JobFailure;
    expect(failure.kind).toBe('step_failed');
    expect(failure.exitCode).toBe(3);
    expect(failure.message).toContain('exit code 3');
    expect(failure.message).toContain('bad input row 7');
  });

  it('passes RayJobOptions: runtime_env env_vars, entrypoint resources and metadata', async () => {
    const executor = createRayJobExecutor({ address, pollMs: 250 });
    const options = create(RayJobOptionsSchema, {
      runtimeEnv: { env_vars: { FROM_RUNTIME_ENV: 'yes' } },
      entrypointNumCpus: 0.5,
      entrypointMemoryBytes: 10_000_000n,
      metadata: { team: 'forecasting' },
    });
    const { job, text } = jobOf('options', ['sh', '-c', 'echo "runtime env says $FROM_RUNTIME_ENV"'], {
      ray: options,
    });
    await executor.run(job);
    expect(text()).toContain('runtime env says yes');
    const info = (await ray.get(raySubmissionId(job))) as unknown as Record<string, unknown>;
    expect(info.metadata).toMatchObject({ team: 'forecasting', flywheel_step: 'options' });
  });

  it('refuses runtime_env fields Ray would ignore, and malformed options, naming the field', async () => {
    const executor = createRayJobExecutor({ address, pollMs: 250 });
    const refused = async (options: Parameters<typeof create<typeof RayJobOptionsSchema>>[1]) => {
      const { job } = jobOf('refused', ['true'], { ray: create(RayJobOptionsSchema, options) });
      const error = (await executor.run(job).catch((e: unknown) => e)) as JobFailure;
      expect(error).toBeInstanceOf(JobFailure);
      expect(error.kind).toBe('invalid');
      expect(await rayStatus(raySubmissionId(job))).toBeUndefined();
      return error.message;
    };
    expect(await refused({ runtimeEnv: { no_such_field: 1 } })).toContain('ray.runtime_env.no_such_field');
    expect(await refused({ runtimeEnv: { env_vars: { N: 1 } } })).toContain(
      'ray.runtime_env.env_vars.N must be a string',
    );
    expect(await refused({ pip: ['six'], runtimeEnv: { pip: ['six'] } })).toContain(
      'ray.pip and ray.runtime_env.pip',
    );
    expect(await refused({ metadata: { flywheel_step: 'x' } })).toContain('ray.metadata.flywheel_step');
  });

  it('stops the Ray job on cancel', async () => {
    const executor = createRayJobExecutor({ address, pollMs: 250 });
    const cancel = new AbortController();
    const { job } = jobOf('cancelled', ['sleep', '600'], { signal: cancel.signal });
    const id = raySubmissionId(job);
    const running = executor.run(job);
    running.catch(() => {});
    await waitFor(async () => (await rayStatus(id)) === 'RUNNING', { timeoutMs: 60_000, what: 'RUNNING' });
    cancel.abort(new Error('cancelled by the test'));
    await expect(running).rejects.toThrow('cancelled by the test');
    expect(await rayStatus(id)).toBe('STOPPED');
  });

  it('adopts the job a previous orchestrator submitted, never submitting a second one', async () => {
    const first = createRayJobExecutor({ address, pollMs: 250 });
    const { job } = jobOf('adopted', ['sh', '-c', 'sleep 3; echo once >> "$MARKER"'], {
      env: { MARKER: join(dir, 'adopted-marker') },
    });
    const id = raySubmissionId(job);
    const original = first.run(job);
    await waitFor(async () => (await rayStatus(id)) !== undefined, { timeoutMs: 60_000, what: 'submitted' });
    // A restarted orchestrator: one that recorded the attempt reattaches by its handle; one that
    // died before recording runs the same attempt again. Both follow the one job there is.
    const restarted = createRayJobExecutor({ address, pollMs: 250 });
    const again = jobOf('adopted', job.argv as string[], { env: job.env });
    const reattached = jobOf('adopted', job.argv as string[], { env: job.env });
    const [a, b, c] = await Promise.all([
      original,
      restarted.run(again.job),
      restarted.reattach!(reattached.job, id),
    ]);
    expect([a, b, c]).toEqual([{}, {}, {}]);
    expect(again.text()).toContain('exists already');
    expect(reattached.text()).toContain('adopted Ray job');
    expect(readFileSync(join(dir, 'adopted-marker'), 'utf8')).toBe('once\n');
  });
});
