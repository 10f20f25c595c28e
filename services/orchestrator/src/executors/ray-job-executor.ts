import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { AppError, abortError, delay, type Logger } from '@flywheel/core';
import type { RayJobOptions } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { type CommandJob, type JobExecutor, JobFailure } from './job-executor.ts';
import { jobFiles, readOutputs } from './local-process-executor.ts';
import { createRayClusterCapacity, type RayCapacity } from './ray-cluster-capacity.ts';
import {
  createRayJobsClient,
  isAlreadyExists,
  RayHttpError,
  type RayJobInfo,
  type RayJobsClient,
  type RaySubmitRequest,
  terminalRayStatuses,
} from './ray-jobs-client.ts';

export interface RayJobExecutorOptions {
  /** Ray's dashboard (Jobs REST API), e.g. `http://127.0.0.1:8265`. */
  address: string;
  /**
   * Whether Ray's nodes see the orchestrator's job directories at the same paths (one machine, or
   * a shared volume): then a job reads and writes its parameters, outputs and artifacts there, as
   * a local job does. Otherwise (the default) parameters travel in the job's environment, outputs
   * come back in a marker line of its log, and artifacts stay on the Ray node.
   */
  sharedFilesystem?: boolean;
  /** How often a job's status and log are read, ms. Default 500. */
  pollMs?: number;
  /** How long a stopped job may take to end before the attempt gives up on it, ms. Default 30 000. */
  stopWaitMs?: number;
  /** How long Ray may stay unreachable while a job is followed, ms. Default 120 000. */
  unreachableBudgetMs?: number;
  /** Largest parameters object sent in the environment (no shared filesystem), bytes. Default 96 KiB. */
  maxInlineParametersBytes?: number;
  /** Largest outputs object, bytes. Default 4 MiB. */
  maxOutputsBytes?: number;
  /**
   * How often the cluster's nodes are listed (and once at start), ms, so that a step asking for
   * more than Ray's largest node has is refused at submit. 0: never — every request is accepted
   * (an autoscaling cluster grows nodes on demand). Default 30 000.
   */
  capacityRefreshMs?: number;
  log?: Logger;
  client?: RayJobsClient;
}

/** The line prefix a job's wrapper prints its outputs after (base64 of the outputs JSON). */
export const rayOutputsMarker = '::flywheel-outputs::';
const stdoutTag = '::flywheel-o::';
const stderrTag = '::flywheel-e::';

/**
 * Runs under `sh -c` as the entrypoint: `flywheel-ray-job <mode> <cwd> <argv…>`. Mode `inline`
 * makes a scratch dir for the file contract, writes $FLYWHEEL_PARAMETERS_B64 (decoded) there and, when the
 * command succeeds, prints its outputs file as one marker line; mode `shared` uses the job
 * directory the executor prepared (the FLYWHEEL_* paths are already set).
 */
const wrapper = [
  'mode=$1; cwd=$2; shift 2;',
  'd=$(mktemp -d) || exit 125;',
  `trap 'rm -rf "$d"' EXIT;`,
  'if [ "$mode" = inline ]; then',
  'mkdir "$d/artifacts" && printf %s "$FLYWHEEL_PARAMETERS_B64" | base64 -d > "$d/parameters.json" || exit 125;',
  'unset FLYWHEEL_PARAMETERS_B64;',
  'export FLYWHEEL_PARAMETERS_FILE="$d/parameters.json" FLYWHEEL_OUTPUTS_FILE="$d/outputs.json" FLYWHEEL_ARTIFACTS_DIR="$d/artifacts";',
  '[ -n "$cwd" ] || cwd=$d;',
  'fi;',
  'cd "$cwd" || exit 126;',
  // Ray merges the job's stdout and stderr, and adds lines of its own: every line of the command
  // is tagged with its stream. The tags are spelt in two parts, since Ray logs the entrypoint too.
  'mkfifo "$d/o" "$d/e" || exit 125;',
  `(while IFS= read -r l || [ -n "$l" ]; do printf '::flywheel-%s::%s\\n' o "$l"; done < "$d/o") &`,
  `(while IFS= read -r l || [ -n "$l" ]; do printf '::flywheel-%s::%s\\n' e "$l"; done < "$d/e") &`,
  '"$@" > "$d/o" 2> "$d/e"; c=$?;',
  'wait;',
  `if [ "$mode" = inline ] && [ "$c" -eq 0 ] && [ -f "$d/outputs.json" ]; then printf '::flywheel-%s::%s\\n' outputs "$(base64 -w0 < "$d/outputs.json")" || exit 125; fi;`,
  'exit "$c"',
].join(' ');

/** A POSIX shell word for `text`. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./=:@%+,-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The Ray submission id of one attempt: derived from run, step and attempt, so a restarted
 * orchestrator submitting the same attempt again finds the job it submitted before.
 */
export function raySubmissionId(job: Pick<CommandJob, 'jobId' | 'stepName' | 'attempt'>): string {
  const digest = createHash('sha256').update(job.jobId).digest('hex').slice(0, 20);
  return `flywheel-${job.stepName}-${job.attempt}-${digest}`;
}

/**
 * Runs command steps as Ray jobs through Ray's Jobs REST API: submits the argv (shell-quoted,
 * under a small wrapper) with a runtime_env carrying the step's env, follows the job's status and
 * log, stops it on cancel or timeout, and maps FAILED / STOPPED to failures carrying Ray's message.
 * The attempt is recorded as started (its submission id the reattach handle) before it is
 * submitted, so a restarted orchestrator re-submits the same id — Ray refuses a second job of one
 * id, and the executor adopts the one that is there — and never runs an attempt twice.
 */
export function createRayJobExecutor(options: RayJobExecutorOptions): JobExecutor {
  const client = options.client ?? createRayJobsClient(options.address);
  const sharedFilesystem = options.sharedFilesystem ?? false;
  const pollMs = options.pollMs ?? 500;
  const stopWaitMs = options.stopWaitMs ?? 30_000;
  const unreachableBudgetMs = options.unreachableBudgetMs ?? 120_000;
  const maxInlineParametersBytes = options.maxInlineParametersBytes ?? 96 * 1024;
  const maxOutputsBytes = options.maxOutputsBytes ?? 4 * 1024 * 1024;
  const capacityRefreshMs = options.capacityRefreshMs ?? 30_000;
  const cluster =
    capacityRefreshMs > 0
      ? createRayClusterCapacity({
          client,
          refreshMs: capacityRefreshMs,
          ...(options.log ? { log: options.log } : {}),
        })
      : undefined;

  /** Calls Ray, retrying while it is unreachable (restarting, overloaded) within the budget. */
  const patiently = async <T>(job: CommandJob, what: () => Promise<T>, signal?: AbortSignal): Promise<T> => {
    const deadline = Date.now() + unreachableBudgetMs;
    let reported = false;
    for (;;) {
      try {
        return await what();
      } catch (error) {
        if (!(error instanceof RayHttpError) || !error.transient || Date.now() >= deadline) {
          if (error instanceof RayHttpError)
            throw new JobFailure('executor', error.message, { cause: error, retriable: error.transient });
          throw error;
        }
        if (!reported) job.logs.write('system', `${error.message}; retrying`);
        reported = true;
        await delay(Math.min(2000, pollMs * 2), signal);
      }
    }
  };

  const request = async (job: CommandJob, submissionId: string): Promise<RaySubmitRequest> => {
    const ray = job.ray;
    const problems = ray ? rayOptionsProblems(ray, 'ray') : [];
    if (problems.length > 0) throw invalid(problems.join('; '));
    const runtimeEnv: JsonObject = { ...(ray?.runtimeEnv ?? {}) };
    const envVars: Record<string, string> = { ...((runtimeEnv.env_vars ?? {}) as Record<string, string>) };
    Object.assign(envVars, job.env, {
      FLYWHEEL_RUN_ID: job.runId,
      FLYWHEEL_PIPELINE_NAME: job.pipelineName,
      FLYWHEEL_STEP_NAME: job.stepName,
      FLYWHEEL_ATTEMPT: String(job.attempt),
      FLYWHEEL_JOB_ID: job.jobId,
    });
    let cwd = job.workingDir;
    if (sharedFilesystem) {
      const artifactsDir = join(job.jobDir, jobFiles.artifacts);
      await mkdir(artifactsDir, { recursive: true });
      await rm(join(job.jobDir, jobFiles.outputs), { force: true });
      await writeFile(join(job.jobDir, jobFiles.parameters), JSON.stringify(job.parametersFile, null, 2));
      Object.assign(envVars, {
        FLYWHEEL_PARAMETERS_FILE: join(job.jobDir, jobFiles.parameters),
        FLYWHEEL_OUTPUTS_FILE: join(job.jobDir, jobFiles.outputs),
        FLYWHEEL_ARTIFACTS_DIR: artifactsDir,
      });
      // The same directory a local job would start in (relative: to the orchestrator's).
      cwd = resolve(job.workingDir || job.jobDir);
    } else {
      const parameters = JSON.stringify(job.parametersFile);
      if (Buffer.byteLength(parameters) > maxInlineParametersBytes)
        throw invalid(
          `the step's parameters are ${Buffer.byteLength(parameters)} bytes, more than the ${maxInlineParametersBytes} a Ray job gets in its environment without a shared filesystem`,
        );
      // base64: Ray expands $NAME in env_vars values, which a JSON text may hold.
      envVars.FLYWHEEL_PARAMETERS_B64 = Buffer.from(parameters).toString('base64');
    }
    runtimeEnv.env_vars = envVars;
    if (ray && ray.pip.length > 0) runtimeEnv.pip = [...ray.pip];
    const body: RaySubmitRequest = {
      entrypoint: [
        'sh',
        '-c',
        wrapper,
        'flywheel-ray-job',
        sharedFilesystem ? 'shared' : 'inline',
        cwd,
        ...job.argv,
      ]
        .map(shellQuote)
        .join(' '),
      submission_id: submissionId,
      runtime_env: runtimeEnv,
      metadata: {
        ...(ray?.metadata ?? {}),
        flywheel_run_id: job.runId,
        flywheel_pipeline: job.pipelineName,
        flywheel_step: job.stepName,
        flywheel_attempt: String(job.attempt),
      },
    };
    // The step's resources reserve the entrypoint's share unless the Ray options say otherwise.
    const cpus = ray?.entrypointNumCpus || job.resources.cpu;
    const gpus = ray?.entrypointNumGpus || job.resources.gpu;
    const memory = Number(ray?.entrypointMemoryBytes ?? 0n) || job.resources.memoryMib * 1024 * 1024;
    if (cpus) body.entrypoint_num_cpus = cpus;
    if (gpus) body.entrypoint_num_gpus = gpus;
    if (memory) body.entrypoint_memory = memory;
    if (ray && Object.keys(ray.entrypointResources).length > 0)
      body.entrypoint_resources = { ...ray.entrypointResources };
    return body;
  };

  /** Submits the attempt's job, or adopts the one a previous orchestrator submitted under its id. */
  const submitOrAdopt = async (job: CommandJob, submissionId: string): Promise<void> => {
    const body = await request(job, submissionId);
    try {
      await patiently(job, () => client.submit(body), job.signal);
      job.logs.write('system', `submitted Ray job ${submissionId}`);
    } catch (error) {
      if (!(error instanceof JobFailure && isAlreadyExists(error.cause))) {
        if (error instanceof JobFailure && error.cause instanceof RayHttpError && !error.cause.transient)
          throw new JobFailure('invalid', error.message, { cause: error.cause, retriable: false });
        throw error;
      }
      job.logs.write(
        'system',
        `Ray job ${submissionId} exists already (submitted before a restart): adopted`,
      );
    }
  };

  /** Follows the job until it ends (stopping it when the attempt's signal aborts); its outputs or failure. */
  const follow = async (job: CommandJob, submissionId: string): Promise<JsonObject> => {
    let logOffset = 0;
    let outputsLine: string | undefined;
    const readLogs = async (final: boolean): Promise<void> => {
      const text = await patiently(job, () => client.logs(submissionId));
      if (text.length < logOffset) logOffset = 0; // Ray rotated or restarted the log: read it again
      const end = final ? text.length : text.lastIndexOf('\n') + 1;
      if (end <= logOffset) return;
      const chunk = text.slice(logOffset, end);
      logOffset = end;
      const lines = chunk.split('\n');
      if (lines.at(-1) === '') lines.pop();
      for (const raw of lines) {
        const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        if (line.startsWith(stdoutTag)) job.logs.write('stdout', line.slice(stdoutTag.length));
        else if (line.startsWith(stderrTag)) job.logs.write('stderr', line.slice(stderrTag.length));
        else if (line.startsWith(rayOutputsMarker)) outputsLine = line.slice(rayOutputsMarker.length);
        else if (line !== '') job.logs.write('system', `ray: ${line}`);
      }
    };

    let stopRequested = false;
    let stopDeadline = 0;
    const stop = async (): Promise<void> => {
      stopRequested = true;
      stopDeadline = Date.now() + stopWaitMs;
      job.logs.write('system', `stopping Ray job ${submissionId}`);
      await patiently(job, () => client.stop(submissionId)).catch((error: unknown) => {
        job.logs.write('system', `could not stop Ray job ${submissionId}: ${(error as Error).message}`);
      });
    };

    let info: RayJobInfo | undefined;
    for (;;) {
      if (job.signal.aborted && !stopRequested) await stop();
      info = await patiently(job, () => client.get(submissionId));
      if (info === undefined)
        throw new JobFailure('executor', `Ray has no job ${submissionId} any more (was Ray restarted?)`);
      await readLogs(false);
      if (terminalRayStatuses.has(info.status)) break;
      if (stopRequested && Date.now() >= stopDeadline) {
        job.logs.write(
          'system',
          `Ray job ${submissionId} still ${info.status} ${stopWaitMs} ms after the stop`,
        );
        break;
      }
      await sleepOrAbort(pollMs, stopRequested ? undefined : job.signal);
    }
    await readLogs(true);
    job.logs.write(
      'system',
      `Ray job ${submissionId} ${info.status}${info.message ? `: ${firstLine(info.message)}` : ''}`,
    );
    if (job.signal.aborted) throw abortError(job.signal);
    const exitCode = info.driver_exit_code ?? undefined;
    if (info.status === 'FAILED') {
      // The command's own failure is the step's; anything else (runtime env, supervisor) is Ray's.
      const kind = info.error_type === 'JOB_ENTRYPOINT_COMMAND_ERROR' ? 'step_failed' : 'executor';
      throw new JobFailure(kind, `Ray job ${submissionId} failed: ${info.message ?? 'no message'}`, {
        ...(exitCode === undefined ? {} : { exitCode }),
        retriable: kind === 'step_failed' || info.error_type !== 'RUNTIME_ENV_SETUP_FAILED',
      });
    }
    if (info.status === 'STOPPED')
      throw new JobFailure(
        'executor',
        `Ray job ${submissionId} was stopped outside Flywheel: ${info.message ?? ''}`,
      );
    if (info.status !== 'SUCCEEDED')
      throw new JobFailure('executor', `Ray job ${submissionId} did not end after it was stopped`);
    if (sharedFilesystem) return readOutputs(join(job.jobDir, jobFiles.outputs), maxOutputsBytes);
    return decodeOutputs(outputsLine, maxOutputsBytes);
  };

  return {
    name: 'ray',
    capacity: () => cluster?.current()?.resources,
    checkStep: (command, at) => {
      if (command.image !== '')
        throw AppError.invalidArgument(
          `${at}.image`,
          `the Ray executor runs no images: the command runs on a Ray node as it is (got "${command.image}"); use ray.runtime_env.image_uri for Ray's own container support`,
        );
      if (command.kubernetes)
        throw AppError.invalidArgument(
          `${at}.kubernetes`,
          'Kubernetes Job options are for the Kubernetes executor (command.executor "kubernetes"); the Ray executor submits a Ray job',
        );
      const problems = command.ray ? rayOptionsProblems(command.ray, `${at}.ray`) : [];
      if (problems.length > 0) throw AppError.invalidArgument(`${at}.ray`, problems.join('; '));
      const capacity = cluster?.current();
      if (command.ray && capacity) checkEntrypointResources(command.ray, capacity, `${at}.ray`);
    },
    run: async (job) => {
      const submissionId = raySubmissionId(job);
      if (job.signal.aborted) throw abortError(job.signal);
      // Recorded first: an orchestrator dying from here on is restarted into reattach, which
      // submits the same id (a no-op when this process got to submit it).
      await job.started(submissionId, submissionId);
      await submitOrAdopt(job, submissionId);
      return follow(job, submissionId);
    },
    reattach: async (job, handle) => {
      const known = await patiently(job, () => client.get(handle), job.signal);
      if (known === undefined) {
        job.logs.write('system', `Ray has no job ${handle} after an orchestrator restart: submitting it`);
        await submitOrAdopt(job, handle);
      } else {
        job.logs.write(
          'system',
          `adopted Ray job ${handle} (${known.status}) after an orchestrator restart; its log so far is read again`,
        );
      }
      return follow(job, handle);
    },
  };
}

/** The runtime_env fields Ray 2.60 acts on; it ignores any other silently, so Flywheel refuses them. */
export const rayRuntimeEnvFields: ReadonlySet<string> = new Set([
  'working_dir',
  'py_modules',
  'py_executable',
  'excludes',
  'pip',
  'uv',
  'conda',
  'env_vars',
  'config',
  'image_uri',
  'worker_process_setup_hook',
  'java_jars',
  'nsight',
]);

/** What is wrong with a step's `ray` options, each naming its field under `at`; empty when fine. */
export function rayOptionsProblems(ray: RayJobOptions, at: string): string[] {
  const problems: string[] = [];
  const env = ray.runtimeEnv ?? {};
  for (const key of Object.keys(env))
    if (!rayRuntimeEnvFields.has(key))
      problems.push(
        `${at}.runtime_env.${key}: not a runtime_env field Ray acts on (one of: ${[...rayRuntimeEnvFields].join(', ')})`,
      );
  const envVars = env.env_vars;
  if (envVars !== undefined) {
    if (envVars === null || typeof envVars !== 'object' || Array.isArray(envVars))
      problems.push(`${at}.runtime_env.env_vars must be an object of strings`);
    else
      for (const [name, value] of Object.entries(envVars))
        if (typeof value !== 'string') problems.push(`${at}.runtime_env.env_vars.${name} must be a string`);
  }
  if (ray.pip.length > 0 && env.pip !== undefined)
    problems.push(`${at}.pip and ${at}.runtime_env.pip: give the packages in one of them`);
  for (const [name, amount] of Object.entries(ray.entrypointResources))
    if (!(amount > 0)) problems.push(`${at}.entrypoint_resources.${name} must be more than 0`);
  for (const key of Object.keys(ray.metadata))
    if (key.startsWith('flywheel_'))
      problems.push(`${at}.metadata.${key}: keys flywheel_* are Flywheel's own`);
  return problems;
}

/**
 * Refuses `command.ray`'s own reservations (they override the step's resources) beyond what the
 * largest node has: Ray would keep such a job PENDING for ever.
 */
function checkEntrypointResources(ray: RayJobOptions, capacity: RayCapacity, at: string): void {
  const most = (name: string) => capacity.byName[name] ?? 0;
  const beyond = (field: string, asked: number, name: string, unit = '') => {
    if (asked > most(name))
      throw AppError.invalidArgument(
        `${at}.${field}`,
        `${asked}${unit} of Ray resource ${name} requested, the largest of Ray's ${capacity.nodes} node${capacity.nodes === 1 ? '' : 's'} has ${most(name)}${unit}`,
      );
  };
  beyond('entrypoint_num_gpus', ray.entrypointNumGpus, 'GPU');
  beyond('entrypoint_num_cpus', ray.entrypointNumCpus, 'CPU');
  beyond('entrypoint_memory_bytes', Number(ray.entrypointMemoryBytes), 'memory', ' bytes');
  for (const [name, amount] of Object.entries(ray.entrypointResources))
    beyond(`entrypoint_resources.${name}`, amount, name);
}

function invalid(message: string): JobFailure {
  return new JobFailure('invalid', message, { retriable: false });
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}

function decodeOutputs(line: string | undefined, maxBytes: number): JsonObject {
  if (line === undefined) return {};
  const bytes = Buffer.from(line.trim(), 'base64');
  if (bytes.byteLength > maxBytes)
    throw new JobFailure(
      'step_failed',
      `the outputs file is ${bytes.byteLength} bytes, more than ${maxBytes}`,
      {
        retriable: false,
      },
    );
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(bytes.toString('utf8')) as JsonValue;
  } catch (error) {
    throw new JobFailure('step_failed', `the outputs file is not JSON: ${(error as Error).message}`, {
      retriable: false,
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new JobFailure('step_failed', 'the outputs file must hold a JSON object', { retriable: false });
  return parsed;
}

/** Waits `ms`, or less when `signal` aborts (without throwing: the caller stops the job then). */
function sleepOrAbort(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(finish, ms);
    function finish(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      done();
    }
    signal?.addEventListener('abort', finish, { once: true });
  });
}
