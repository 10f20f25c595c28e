import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { JsonObject } from '@bufbuild/protobuf';
import { abortError } from '@flywheel/core';
import { type CommandJob, type JobExecutor, JobFailure } from './job-executor.ts';
import type { LogStreamName } from './job-logs.ts';

export interface LocalProcessExecutorOptions {
  /** Between SIGTERM and SIGKILL when a job is stopped, ms. Default 10 000. */
  killGraceMs?: number;
  /** Environment every job inherits (the step's `env` goes on top). Default: this process's. */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Largest outputs file read, bytes. Default 4 MiB. */
  maxOutputsBytes?: number;
  /** Stderr lines quoted in a failure message. Default 20. */
  stderrTailLines?: number;
}

/** File names inside a job directory; see the README's command-step contract. */
export const jobFiles = {
  parameters: 'parameters.json',
  outputs: 'outputs.json',
  artifacts: 'artifacts',
} as const;

/**
 * Runs command steps as local child processes, with the file contract: the process gets
 * `FLYWHEEL_PARAMETERS_FILE` (its parameters plus `inputs`), writes a JSON object to
 * `FLYWHEEL_OUTPUTS_FILE` and exits 0. Stdout and stderr are captured line by line. Each job runs
 * in its own process group, so stopping it (timeout, cancel, service stop) sends SIGTERM to the
 * whole group, then SIGKILL after the grace period.
 */
export function createLocalProcessExecutor(options: LocalProcessExecutorOptions = {}): JobExecutor {
  const killGraceMs = options.killGraceMs ?? 10_000;
  const baseEnv = options.baseEnv ?? process.env;
  const maxOutputsBytes = options.maxOutputsBytes ?? 4 * 1024 * 1024;
  const stderrTailLines = options.stderrTailLines ?? 20;

  return {
    name: 'local',
    run: async (job) => {
      const parametersPath = join(job.jobDir, jobFiles.parameters);
      const outputsPath = join(job.jobDir, jobFiles.outputs);
      const artifactsDir = join(job.jobDir, jobFiles.artifacts);
      await mkdir(artifactsDir, { recursive: true });
      await rm(outputsPath, { force: true });
      await writeFile(parametersPath, JSON.stringify(job.parametersFile, null, 2));
      if (job.signal.aborted) throw abortError(job.signal);

      const env: Record<string, string> = {};
      for (const [name, value] of Object.entries(baseEnv)) if (value !== undefined) env[name] = value;
      Object.assign(env, job.env, {
        FLYWHEEL_PARAMETERS_FILE: parametersPath,
        FLYWHEEL_OUTPUTS_FILE: outputsPath,
        FLYWHEEL_ARTIFACTS_DIR: artifactsDir,
        FLYWHEEL_RUN_ID: job.runId,
        FLYWHEEL_PIPELINE_NAME: job.pipelineName,
        FLYWHEEL_STEP_NAME: job.stepName,
        FLYWHEEL_ATTEMPT: String(job.attempt),
        FLYWHEEL_JOB_ID: job.jobId,
      });
      const [program = '', ...args] = job.argv;
      const child = spawn(program, args, {
        cwd: job.workingDir || job.jobDir,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });

      const stderrTail: string[] = [];
      const captured = Promise.all([
        capture(child.stdout, 'stdout', job, () => {}),
        capture(child.stderr, 'stderr', job, (line) => {
          stderrTail.push(line);
          if (stderrTail.length > stderrTailLines) stderrTail.shift();
        }),
      ]);
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
        (resolve, reject) => {
          child.once('error', reject);
          child.once('exit', (code, signal) => resolve({ code, signal }));
        },
      );
      const spawned = new Promise<void>((resolve) => child.once('spawn', () => resolve()));

      let killTimer: NodeJS.Timeout | undefined;
      const stop = (): void => {
        if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
        job.logs.write(
          'system',
          `stopping the process group ${child.pid}: SIGTERM, SIGKILL after ${killGraceMs} ms`,
        );
        signalGroup(child.pid, 'SIGTERM');
        killTimer = setTimeout(() => {
          if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
        }, killGraceMs);
        killTimer.unref();
      };

      let outcome: { code: number | null; signal: NodeJS.Signals | null };
      try {
        await Promise.race([spawned, exited]);
        job.signal.addEventListener('abort', stop, { once: true });
        if (job.signal.aborted) stop();
        job.logs.write('system', `started: ${job.argv.join(' ')} (pid ${child.pid})`);
        await job.started(String(child.pid)).catch((error: unknown) => {
          stop();
          throw error;
        });
        outcome = await exited;
        // A grandchild that outlives the process may hold the pipes open: do not wait for it.
        const drained = await Promise.race([captured.then(() => true), settleAfter(2000)]);
        if (!drained) {
          child.stdout.destroy();
          child.stderr.destroy();
        }
      } catch (error) {
        if (error instanceof Error && (error as NodeJS.ErrnoException).syscall?.startsWith('spawn')) {
          throw new JobFailure('executor', `cannot start ${program}: ${error.message}`, {
            cause: error,
            retriable: false,
          });
        }
        throw error;
      } finally {
        clearTimeout(killTimer);
        job.signal.removeEventListener('abort', stop);
      }

      const status = outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.code}`;
      job.logs.write('system', `process ${status}`);
      if (job.signal.aborted) throw abortError(job.signal);
      if (outcome.code !== 0) {
        const exitCode = outcome.code ?? 128 + (osConstants.signals[outcome.signal ?? 'SIGKILL'] ?? 9);
        const tail = stderrTail.length > 0 ? `: ${stderrTail.join('\n')}` : '';
        throw new JobFailure('step_failed', `${program} ${status}${tail}`, { exitCode });
      }
      return readOutputs(outputsPath, maxOutputsBytes);
    },
  };
}

function settleAfter(ms: number): Promise<false> {
  return new Promise((resolve) => setTimeout(() => resolve(false), ms).unref());
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

async function capture(
  stream: Readable,
  name: LogStreamName,
  job: CommandJob,
  onLine: (line: string) => void,
): Promise<void> {
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    job.logs.write(name, line);
    onLine(line);
  }
}

async function readOutputs(path: string, maxBytes: number): Promise<JsonObject> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.byteLength > maxBytes) {
      throw new JobFailure(
        'step_failed',
        `the outputs file is ${bytes.byteLength} bytes, more than ${maxBytes}`,
        {
          retriable: false,
        },
      );
    }
    text = bytes.toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new JobFailure('step_failed', `the outputs file is not JSON: ${(error as Error).message}`, {
      retriable: false,
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new JobFailure('step_failed', 'the outputs file must hold a JSON object', { retriable: false });
  }
  return parsed as JsonObject;
}
