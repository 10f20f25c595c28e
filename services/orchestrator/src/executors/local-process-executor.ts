import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, constants as osConstants, tmpdir, totalmem } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { JsonObject } from '@bufbuild/protobuf';
import { AppError, abortError } from '@flywheel/core';
import { type CommandJob, type JobExecutor, JobFailure, type JobResources } from './job-executor.ts';
import { createResourceSlots } from './job-slots.ts';
import {
  cpuSecondsOfTimes,
  type MemorySampler,
  processStartTicks,
  sampleTreeMemory,
} from './process-usage.ts';
import {
  checkPythonEnvironment,
  createPythonEnvironments,
  type PythonEnvironments,
} from './python-environments.ts';

export { processStartTicks } from './process-usage.ts';

export interface LocalProcessExecutorOptions {
  /** Between SIGTERM and SIGKILL when a job is stopped, ms. Default 10 000. */
  killGraceMs?: number;
  /** Environment every job inherits (the step's `env` goes on top). Default: this process's. */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Largest outputs file read, bytes. Default 4 MiB. */
  maxOutputsBytes?: number;
  /** Stderr lines quoted in a failure message. Default 20. */
  stderrTailLines?: number;
  /**
   * What the jobs share (a job starts once the cores and memory it requests are free) and the
   * most one job may request. Default: this machine's cores and memory, no GPU.
   */
  capacity?: JobResources;
  /**
   * Where `CommandStep.python` environments are built and kept (default `<tmp>/flywheel-python-environments`),
   * and the interpreter of those that name none (default `baseEnv.FLYWHEEL_PYTHON`, else `python3`).
   */
  pythonEnvironments?: { dir?: string; defaultPython?: string };
}

/**
 * This machine's cores (those this process may use) and memory (the cgroup's limit when lower,
 * as in a container); the local executor schedules no GPUs.
 */
export function machineCapacity(): JobResources {
  const limit = process.constrainedMemory();
  const bytes = limit > 0 ? Math.min(limit, totalmem()) : totalmem();
  return { cpu: availableParallelism(), memoryMib: Math.floor(bytes / (1024 * 1024)), gpu: 0 };
}

/** File names inside a job directory; see the README's command-step contract. */
export const jobFiles = {
  parameters: 'parameters.json',
  outputs: 'outputs.json',
  artifacts: 'artifacts',
  /** The process's stdout and stderr: files, so a job outlives an orchestrator that dies. */
  stdout: 'stdout.log',
  stderr: 'stderr.log',
  /** Written by the job's wrapper when the command exits: its exit code (128 + n for signal n). */
  exitCode: 'exit-code',
  /** Written by the wrapper before the exit code: the shell's `times` (its and its children's CPU time). */
  cpuTimes: 'cpu-times',
} as const;

/**
 * The wrapper every command runs under (`sh -c <this> flywheel-job <exit-code file> <argv…>`): waits
 * for `go` on stdin — sent once the attempt's pid is recorded, so no command runs unrecorded (an
 * orchestrator dying first leaves EOF: exit 125, nothing ran) — then runs the command and records
 * its exit code in the job directory, so an orchestrator restarted after a crash can read the
 * result of a job it did not see end. Before that it records its `times` (the CPU time of the
 * command and whatever it waited for) for the job's accounting.
 */
const wrapper =
  // A trapped TERM/INT waits for the command (which gets it from the group signal too); a command
  // killed by a signal makes the wrapper end by that signal as well, as if it were the command.
  'trap \':\' TERM INT; IFS= read -r go && [ "$go" = go ] || exit 125; exec </dev/null; ' +
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion (the job directory)
  'f=$1; shift; "$@"; c=$?; times > "${f%/*}/cpu-times"; printf %s "$c" > "$f.tmp" && mv "$f.tmp" "$f"; ' +
  'if [ "$c" -gt 128 ]; then trap - TERM INT; kill -s "$(kill -l "$c")" $$; fi; exit "$c"';

/** How often a job's log files and a reattached process are looked at, ms. */
const pollMs = 100;

/**
 * Runs command steps as local child processes, with the file contract: the process gets
 * `FLYWHEEL_PARAMETERS_FILE` (its parameters plus `inputs`), writes a JSON object to
 * `FLYWHEEL_OUTPUTS_FILE` and exits 0. Stdout and stderr go to files in the job directory, read
 * line by line into the job's log. Each job runs in its own process group, so stopping it
 * (timeout, cancel, service stop) sends SIGTERM to the whole group, then SIGKILL after the grace
 * period. The job is detached and its exit code lands in the job directory, so after a crash of
 * the orchestrator {@link JobExecutor.reattach} adopts it (the handle is `<pid>:<start time>` from
 * `/proc`, so a recycled pid is never mistaken for it).
 */
export function createLocalProcessExecutor(options: LocalProcessExecutorOptions = {}): JobExecutor {
  const killGraceMs = options.killGraceMs ?? 10_000;
  const baseEnv = options.baseEnv ?? process.env;
  const maxOutputsBytes = options.maxOutputsBytes ?? 4 * 1024 * 1024;
  const stderrTailLines = options.stderrTailLines ?? 20;
  const capacity = options.capacity ?? machineCapacity();
  const environments: PythonEnvironments = createPythonEnvironments({
    dir: options.pythonEnvironments?.dir ?? join(tmpdir(), 'flywheel-python-environments'),
    defaultPython: options.pythonEnvironments?.defaultPython || baseEnv.FLYWHEEL_PYTHON || 'python3',
  });

  /** Follows the job's two log files until `ended` resolves, then reads what is left. */
  const follow = (job: CommandJob, stderrTail: string[], ended: Promise<unknown>) =>
    Promise.all([
      tail(join(job.jobDir, jobFiles.stdout), ended, (line) => job.logs.write('stdout', line)),
      tail(join(job.jobDir, jobFiles.stderr), ended, (line) => {
        job.logs.write('stderr', line);
        stderrTail.push(line);
        if (stderrTail.length > stderrTailLines) stderrTail.shift();
      }),
    ]);

  /** The outcome of an exit code: outputs on 0, else the step's failure. */
  const result = async (
    job: CommandJob,
    program: string,
    status: string,
    exitCode: number,
    stderrTail: string[],
  ): Promise<JsonObject> => {
    if (exitCode !== 0) {
      const tailText = stderrTail.length > 0 ? `: ${stderrTail.join('\n')}` : '';
      throw new JobFailure('step_failed', `${program} ${status}${tailText}`, { exitCode });
    }
    return readOutputs(join(job.jobDir, jobFiles.outputs), maxOutputsBytes);
  };

  const unadmitted = {
    name: 'local',
    capacity: () => capacity,
    buildsPythonEnvironments: true,
    checkStep: (command, at) => {
      if (command.python) checkPythonEnvironment(command.python, at);
      if (command.image !== '') {
        throw AppError.invalidArgument(
          `${at}.image`,
          `the local executor runs no images: it runs the command as a process on the orchestrator's machine (got "${command.image}")`,
        );
      }
      if (command.ray)
        throw AppError.invalidArgument(
          `${at}.ray`,
          'Ray job options are for the Ray executor (command.executor "ray"); the local executor runs a process',
        );
      if (command.kubernetes)
        throw AppError.invalidArgument(
          `${at}.kubernetes`,
          'Kubernetes Job options are for the Kubernetes executor (command.executor "kubernetes"); the local executor runs a process',
        );
    },
    run: async (job) => {
      const parametersPath = join(job.jobDir, jobFiles.parameters);
      const outputsPath = join(job.jobDir, jobFiles.outputs);
      const artifactsDir = join(job.jobDir, jobFiles.artifacts);
      const exitCodePath = join(job.jobDir, jobFiles.exitCode);
      await mkdir(artifactsDir, { recursive: true });
      await rm(outputsPath, { force: true });
      await rm(exitCodePath, { force: true });
      await rm(join(job.jobDir, jobFiles.cpuTimes), { force: true });
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
      if (job.python) {
        // Part of the job: its time counts against the attempt's timeout, its output is in the log.
        const built = await environments.ensure(job.python, job.logs, job.signal);
        env.PATH = `${built.bin}:${env.PATH ?? ''}`;
        env.VIRTUAL_ENV = built.root;
        delete env.PYTHONHOME;
      }
      const [program = '', ...args] = job.argv;
      const cwd = job.workingDir || job.jobDir;
      const missing = await unstartable(program, cwd, env.PATH ?? '');
      if (missing) {
        throw new JobFailure('executor', `cannot start ${program}: ${missing}`, { retriable: false });
      }
      const stdout = await open(join(job.jobDir, jobFiles.stdout), 'w');
      const stderr = await open(join(job.jobDir, jobFiles.stderr), 'w');
      let child: ReturnType<typeof spawn>;
      try {
        child = spawn('/bin/sh', ['-c', wrapper, 'flywheel-job', exitCodePath, program, ...args], {
          cwd,
          env,
          stdio: ['pipe', stdout.fd, stderr.fd],
          detached: true,
        });
      } catch (error) {
        await stdout.close();
        await stderr.close();
        throw error;
      }
      // Listen before awaiting anything: the process may spawn and exit meanwhile.
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
        (resolve, reject) => {
          child.once('error', reject);
          child.once('exit', (code, signal) => resolve({ code, signal }));
        },
      );
      const spawned = new Promise<void>((resolve) => child.once('spawn', () => resolve()));
      exited.catch(() => {});
      await stdout.close();
      await stderr.close();
      const stderrTail: string[] = [];
      const captured = follow(
        job,
        stderrTail,
        exited.catch(() => {}),
      );

      let killTimer: NodeJS.Timeout | undefined;
      let memory: MemorySampler | undefined;
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
        const pid = child.pid ?? 0;
        const startTicks = await processStartTicks(pid);
        await job
          .started(String(pid), startTicks === undefined ? undefined : `${pid}:${startTicks}`)
          .catch((error: unknown) => {
            stop();
            throw error;
          });
        child.stdin?.on('error', () => {}); // a job already gone: its exit says why
        child.stdin?.end('go\n');
        memory = sampleTreeMemory(pid);
        outcome = await exited;
        await reportUsage(job, memory);
        await captured;
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
        await memory?.stop();
      }

      const status = outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.code}`;
      job.logs.write('system', `process ${status}`);
      if (job.signal.aborted) throw abortError(job.signal);
      const exitCode = outcome.code ?? 128 + (osConstants.signals[outcome.signal ?? 'SIGKILL'] ?? 9);
      return result(job, program, status, exitCode, stderrTail);
    },

    reattach: async (job, handle) => {
      const [pidText = '', ticks = ''] = handle.split(':');
      const pid = Number(pidText);
      const [program = ''] = job.argv;
      const isOurs = async () => pid > 0 && (await processStartTicks(pid)) === ticks;
      let killTimer: NodeJS.Timeout | undefined;
      const stop = (): void => {
        void isOurs().then((ours) => {
          if (!ours) return;
          job.logs.write(
            'system',
            `stopping the process group ${pid}: SIGTERM, SIGKILL after ${killGraceMs} ms`,
          );
          signalGroup(pid, 'SIGTERM');
          killTimer = setTimeout(() => {
            void isOurs().then((still) => still && signalGroup(pid, 'SIGKILL'));
          }, killGraceMs);
          killTimer.unref();
        });
      };
      const stderrTail: string[] = [];
      const running = await isOurs();
      job.logs.write(
        'system',
        running
          ? `adopted the running process ${pid} after an orchestrator restart; its output so far is read again`
          : `process ${pid} ended while the orchestrator was down; reading its result`,
      );
      const memory = sampleTreeMemory(pid);
      const ended = (async () => {
        while (await isOurs()) await sleep(pollMs);
      })();
      try {
        job.signal.addEventListener('abort', stop, { once: true });
        if (job.signal.aborted) stop();
        await ended;
        // Peak memory counts only what was seen since the adoption.
        await reportUsage(job, memory);
        await follow(job, stderrTail, Promise.resolve());
      } finally {
        clearTimeout(killTimer);
        job.signal.removeEventListener('abort', stop);
        await memory.stop();
      }
      if (job.signal.aborted) throw abortError(job.signal);
      let exitCode: number;
      try {
        exitCode = Number((await readFile(join(job.jobDir, jobFiles.exitCode), 'utf8')).trim());
      } catch {
        throw new JobFailure(
          'executor',
          `process ${pid} ended without recording its exit code (it was killed while the orchestrator was down)`,
        );
      }
      const status = `exited with code ${exitCode}`;
      job.logs.write('system', `process ${status}`);
      return result(job, program, status, exitCode, stderrTail);
    },
  } satisfies JobExecutor;

  // Admission by the machine's cores and memory: a job starts once what it requests is free.
  const slots = createResourceSlots(capacity);
  return {
    ...unadmitted,
    run: async (job) => {
      const release = await slots.acquire(job.resources, job.signal, (why) => job.logs.write('system', why));
      try {
        return await unadmitted.run(job);
      } finally {
        release();
      }
    },
    // An adopted job is running already: it holds its share whether it fits or not.
    reattach: async (job, handle) => {
      const release = slots.hold(job.resources);
      try {
        return await unadmitted.reattach(job, handle);
      } finally {
        release();
      }
    },
  };
}

/** Tells the job what it used: CPU time from the wrapper's `cpu-times` file (0 when absent: killed), peak memory sampled. */
async function reportUsage(job: CommandJob, memory: MemorySampler): Promise<void> {
  const peakMemoryBytes = await memory.stop();
  const times = await readFile(join(job.jobDir, jobFiles.cpuTimes), 'utf8').catch(() => '');
  job.reportUsage?.({ cpuSeconds: cpuSecondsOfTimes(times) ?? 0, peakMemoryBytes });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Why `program` cannot be started from `cwd` with `PATH`, or undefined when it can. */
async function unstartable(program: string, cwd: string, path: string): Promise<string | undefined> {
  if (program === '') return 'no program given';
  const candidates = program.includes('/')
    ? [isAbsolute(program) ? program : join(cwd, program)]
    : path.split(':').map((dir) => join(dir || '.', program));
  for (const candidate of candidates) {
    try {
      await access(candidate, fsConstants.X_OK);
      return undefined;
    } catch {}
  }
  return program.includes('/') ? 'no such executable file' : 'not found on PATH';
}

/**
 * Reads the lines appended to `path` as they come, until `ended` has resolved and the file has
 * nothing more; a last line without a newline is delivered too.
 */
async function tail(path: string, ended: Promise<unknown>, onLine: (line: string) => void): Promise<void> {
  let done = false;
  void ended.then(() => {
    done = true;
  });
  let file: Awaited<ReturnType<typeof open>> | undefined;
  try {
    file = await open(path, 'r');
  } catch {
    return;
  }
  const decoder = new StringDecoder('utf8');
  const buffer = Buffer.alloc(64 * 1024);
  let partial = '';
  let offset = 0;
  try {
    for (;;) {
      const finished = done;
      const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
      if (bytesRead > 0) {
        offset += bytesRead;
        const lines = (partial + decoder.write(buffer.subarray(0, bytesRead))).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
        continue;
      }
      if (finished) break;
      await sleep(pollMs);
    }
    const last = partial + decoder.end();
    if (last !== '') onLine(last);
  } finally {
    await file.close();
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** The JSON object a job wrote to its outputs file; `{}` when it wrote none. */
export async function readOutputs(path: string, maxBytes: number): Promise<JsonObject> {
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
  return parseOutputs(text);
}

/** The outputs object a job wrote as `text` (its outputs file, a Kubernetes termination message). */
export function parseOutputs(text: string): JsonObject {
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
