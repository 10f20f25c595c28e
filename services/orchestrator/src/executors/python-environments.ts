import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { AppError, abortError } from '@flywheel/core';
import type { PythonEnvironment } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { JobFailure } from './job-executor.ts';
import type { JobLogSink } from './job-logs.ts';
import { processStartTicks } from './process-usage.ts';

/** A built environment: put `bin` first on PATH and set VIRTUAL_ENV to `root`. */
export interface BuiltPythonEnvironment {
  readonly key: string;
  readonly root: string;
  readonly bin: string;
}

/**
 * Virtual environments for command steps (`CommandStep.python`), one per interpreter and
 * requirement set, built once in `dir` and reused. Several steps or orchestrator processes on the
 * machine asking for the same one at once build it once: in this process they share the build, across
 * processes a lock file (holder pid and start time, taken over when its holder is gone) serialises it.
 * An environment counts only once its ready marker is written last; a failed, cancelled or killed
 * build is removed (by the next builder, when killed).
 */
export interface PythonEnvironments {
  ensure(spec: PythonEnvironment, logs: JobLogSink, signal: AbortSignal): Promise<BuiltPythonEnvironment>;
}

export interface PythonEnvironmentsOptions {
  /** Where environments live, one directory per key. */
  readonly dir: string;
  /** The interpreter of specs that name none. */
  readonly defaultPython: string;
  /** Pip output lines quoted in a failure. Default 20. */
  readonly tailLines?: number;
}

/** The file whose presence says an environment is complete. */
const readyMarker = '.flywheel-ready';
const lockPollMs = 200;

/** Every problem of `spec` as one message, or undefined: requirements must be requirement specifiers, not pip options. */
export function pythonEnvironmentProblem(spec: PythonEnvironment): string | undefined {
  for (const [i, requirement] of spec.requirements.entries()) {
    const text = requirement.trim();
    if (!/^[A-Za-z0-9]/.test(text)) {
      return `requirements[${i}] "${requirement}" is not a requirement specifier (it must start with a project name, e.g. "six==1.16.0"; pip options and paths are refused)`;
    }
    if (/[\r\n]/.test(text)) return `requirements[${i}] holds a line break`;
  }
  return undefined;
}

/**
 * One requirement as it counts for the key: the project name normalised (PEP 503), no spaces in
 * its extras and version specifiers, its environment markers (after `;`) with spaces collapsed.
 */
export function normalizeRequirement(requirement: string): string {
  const text = requirement.trim();
  const name = /^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(text)?.[0] ?? '';
  const [spec = '', ...markers] = text.slice(name.length).split(';');
  const marker = markers.join(';').replace(/\s+/g, ' ').trim();
  return `${name.toLowerCase().replace(/[-_.]+/g, '-')}${spec.replace(/\s+/g, '')}${marker ? `; ${marker}` : ''}`;
}

/** The key of an environment: sha256 of the interpreter's identity and the sorted, de-duplicated requirements. */
export function pythonEnvironmentKey(interpreterIdentity: string, requirements: readonly string[]): string {
  const sorted = [...new Set(requirements.map(normalizeRequirement))].sort();
  return createHash('sha256')
    .update(JSON.stringify({ interpreter: interpreterIdentity, requirements: sorted }))
    .digest('hex');
}

export function createPythonEnvironments(options: PythonEnvironmentsOptions): PythonEnvironments {
  const tailLines = options.tailLines ?? 20;
  const building = new Map<string, Promise<void>>();

  const ensure = async (
    spec: PythonEnvironment,
    logs: JobLogSink,
    signal: AbortSignal,
  ): Promise<BuiltPythonEnvironment> => {
    const python = spec.python || options.defaultPython;
    const identity = await interpreterIdentity(python, signal);
    const key = pythonEnvironmentKey(identity, spec.requirements);
    const root = join(options.dir, key);
    const env = { key, root, bin: join(root, 'bin') };
    const say = (text: string) => logs.write('system', `python environment ${key.slice(0, 12)}: ${text}`);
    if (await exists(join(root, readyMarker))) {
      say(`reused (${root})`);
      return env;
    }
    // Steps of this process share one build; it is not cancelled by one of them going away.
    let build = building.get(key);
    if (!build) {
      build = buildLocked(python, spec.requirements, root, say, tailLines).finally(() =>
        building.delete(key),
      );
      building.set(key, build);
    } else {
      say('waiting for the build another step of this orchestrator started');
    }
    await untilAborted(build, signal);
    return env;
  };

  return { ensure };
}

/** Takes the cross-process lock of `root`, builds unless the holder before us did, releases. */
async function buildLocked(
  python: string,
  requirements: readonly string[],
  root: string,
  say: (text: string) => void,
  tailLines: number,
): Promise<void> {
  await mkdir(join(root, '..'), { recursive: true });
  const lock = `${root}.lock`;
  await acquireLock(lock, say);
  try {
    if (await exists(join(root, readyMarker))) {
      say(`built by another orchestrator meanwhile; reused (${root})`);
      return;
    }
    await rm(root, { recursive: true, force: true }); // what a killed builder left
    try {
      say(
        `building with ${python}: ${requirements.length === 0 ? 'no requirements' : requirements.join(' ')}`,
      );
      await runLogged(python, ['-m', 'venv', root], 'venv', say, tailLines);
      if (requirements.length > 0) {
        await runLogged(
          join(root, 'bin', 'python'),
          [
            '-m',
            'pip',
            'install',
            '--disable-pip-version-check',
            '--no-input',
            '--progress-bar',
            'off',
            ...requirements,
          ],
          'pip',
          say,
          tailLines,
        );
      }
      await writeFile(join(root, `${readyMarker}.tmp`), `${new Date().toISOString()}\n`);
      await rename(join(root, `${readyMarker}.tmp`), join(root, readyMarker));
      say(`built (${root})`);
    } catch (error) {
      await rm(root, { recursive: true, force: true });
      throw error;
    }
  } finally {
    await unlink(lock).catch(() => {});
  }
}

/** Creates `lock` exclusively, waiting while a live process holds it and taking it over from a dead one. */
async function acquireLock(lock: string, say: (text: string) => void): Promise<void> {
  const me = `${hostname()} ${process.pid} ${(await processStartTicks(process.pid)) ?? ''}`;
  let told = false;
  for (;;) {
    try {
      const file = await open(lock, 'wx');
      await file.writeFile(me);
      await file.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readFile(lock, 'utf8').catch(() => '');
    const [host, pid = '', ticks = ''] = holder.split(' ');
    const alive = holder === '' || host !== hostname() || (await processStartTicks(Number(pid))) === ticks;
    if (!alive) {
      say(`taking over the build lock of process ${pid}, which is gone`);
      // Removed only if it still names the dead holder: another waiter may have taken it already.
      if ((await readFile(lock, 'utf8').catch(() => '')) === holder) await unlink(lock).catch(() => {});
      continue;
    }
    if (!told) say(`waiting for process ${pid} on ${host}, which is building it`);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, lockPollMs));
  }
}

/** What identifies an interpreter for the key: its version, implementation and base installation. */
async function interpreterIdentity(python: string, signal: AbortSignal): Promise<string> {
  const probe = 'import sys, platform; print(sys.version); print(platform.machine()); print(sys.base_prefix)';
  let out = '';
  let err = '';
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(python, ['-c', probe], { stdio: ['ignore', 'pipe', 'pipe'], signal });
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', resolve);
  }).catch((error: Error) => {
    if (signal.aborted) throw abortError(signal);
    throw new JobFailure('executor', `cannot run the Python interpreter "${python}": ${error.message}`, {
      retriable: false,
      cause: error,
    });
  });
  if (code !== 0) {
    throw new JobFailure(
      'executor',
      `the Python interpreter "${python}" failed (exit ${code}): ${err.trim()}`,
      {
        retriable: false,
      },
    );
  }
  return out.trim();
}

/** Network trouble in pip's output: the index was unreachable, so another attempt may succeed. */
const unreachableIndex =
  /NewConnectionError|Failed to establish a new connection|Temporary failure in name resolution|Name or service not known|Network is unreachable|Connection refused|Connection reset|Read timed out|ConnectTimeoutError|ProxyError|SSLError|HTTP error 5\d\d/;

/** Runs a build command, its output lines into the job's log; rejects with its last lines. */
async function runLogged(
  program: string,
  args: readonly string[],
  tool: string,
  say: (text: string) => void,
  tailLines: number,
): Promise<void> {
  const tail: string[] = [];
  let sawUnreachable = false;
  const onLine = (line: string) => {
    if (line === '') return;
    say(`${tool}: ${line}`);
    if (unreachableIndex.test(line)) sawUnreachable = true;
    tail.push(line);
    if (tail.length > tailLines) tail.shift();
  };
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(program, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PIP_NO_INPUT: '1', PYTHONUNBUFFERED: '1' },
    });
    for (const stream of [child.stdout, child.stderr]) {
      const decoder = new StringDecoder('utf8');
      let partial = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (partial + decoder.write(chunk)).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) onLine(line.replace(/\r$/, ''));
      });
      stream.on('end', () => onLine(partial + decoder.end()));
    }
    child.once('error', reject);
    child.once('close', resolve);
  }).catch((error: Error) => {
    throw new JobFailure('executor', `cannot run ${program}: ${error.message}`, {
      retriable: false,
      cause: error,
    });
  });
  if (code === 0) return;
  const message = `building the Python environment failed: ${tool} exited with code ${code}: ${tail.join('\n')}`;
  // An unreachable index is the machine's trouble, retried; anything else (no such version, a
  // resolution conflict, a build error) would fail again the same way.
  throw sawUnreachable
    ? new JobFailure('executor', message, { retriable: true })
    : new JobFailure('step_failed', message, { retriable: false });
}

/** `promise`, or the abort reason once `signal` aborts first (the promise itself goes on). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** For checkStep: throws INVALID_ARGUMENT under `at` when `spec` is not one this module builds. */
export function checkPythonEnvironment(spec: PythonEnvironment, at: string): void {
  const problem = pythonEnvironmentProblem(spec);
  if (problem) throw AppError.invalidArgument(`${at}.python`, problem);
}
