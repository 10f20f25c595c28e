import { Writable } from 'node:stream';
import type { JsonObject } from '@bufbuild/protobuf';
import { AppError, abortError, delay, type Logger, silentLogger } from '@flywheel/core';
import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  Log,
  type V1Job,
  type V1Pod,
} from '@kubernetes/client-node';
import { type CommandJob, type JobExecutor, JobFailure } from './job-executor.ts';
import {
  containerName,
  jobManifest,
  kubernetesJobName,
  kubernetesOptionsProblems,
  maxParametersBytes,
} from './kubernetes-job-spec.ts';
import { createKubernetesWatch, createNodeCapacity, type KubernetesWatch } from './kubernetes-watch.ts';
import { parseOutputs } from './local-process-executor.ts';

export interface KubernetesJobExecutorOptions {
  /** The namespace Jobs are created and watched in. */
  namespace: string;
  /** Default: from $KUBECONFIG, else ~/.kube/config, else the pod's in-cluster service account. */
  kubeConfig?: KubeConfig;
  /** ttlSecondsAfterFinished of Jobs whose step sets none. Default 86 400 (a day). */
  defaultTtlSeconds?: number;
  /** How often every followed job is looked at again from the watch caches, ms. Default 10 000. */
  resyncMs?: number;
  /** How often the nodes are listed for the capacity check, ms; 0: never (every request accepted). Default 30 000. */
  capacityRefreshMs?: number;
  /** How long a deleted Job may take to go (its pods first), ms. Default 30 000. */
  stopWaitMs?: number;
  /** How long the API server may stay unreachable during one call, ms. Default 120 000. */
  unreachableBudgetMs?: number;
  log?: Logger;
}

/** Container states a pod does not leave by itself: the attempt fails instead of waiting for ever. */
const stuckReasons = new Map<string, boolean>([
  // reason → retriable
  ['ImagePullBackOff', true],
  ['ErrImageNeverPull', false],
  ['InvalidImageName', false],
  ['CreateContainerConfigError', true],
]);

type Outcome =
  | { kind: 'succeeded'; outputs: JsonObject }
  | { kind: 'failed'; failure: JobFailure; deleteJob: boolean }
  | { kind: 'aborted' };

/**
 * Runs command steps as Kubernetes Jobs (batch/v1) in one namespace: one Job per attempt, named
 * from run / step / attempt so that an orchestrator restarted (or a second one) creating the same
 * attempt adopts the Job that is there (409 AlreadyExists). Status comes from list-watches of the
 * namespace's Flywheel Jobs and pods (with a resync), not from polling each job; the pod's log is
 * streamed while a kubelet serves it; cancel and timeout delete the Job with foreground
 * propagation; failures carry the pod's reason (OOMKilled, ImagePullBackOff, DeadlineExceeded,
 * BackoffLimitExceeded).
 */
export function createKubernetesJobExecutor(options: KubernetesJobExecutorOptions): JobExecutor & {
  stop(): Promise<void>;
} {
  const log = options.log ?? silentLogger;
  const { namespace } = options;
  const kubeConfig = options.kubeConfig ?? defaultKubeConfig();
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const logApi = new Log(kubeConfig);
  const defaultTtlSeconds = options.defaultTtlSeconds ?? 86_400;
  const stopWaitMs = options.stopWaitMs ?? 30_000;
  const unreachableBudgetMs = options.unreachableBudgetMs ?? 120_000;
  const capacityRefreshMs = options.capacityRefreshMs ?? 30_000;
  // Started by the first job: an orchestrator that runs none on Kubernetes opens no watch.
  let started: KubernetesWatch | undefined;
  const watchOf = (): KubernetesWatch => {
    started ??= createKubernetesWatch({
      kubeConfig,
      namespace,
      batch,
      core,
      resyncMs: options.resyncMs ?? 10_000,
      log,
    });
    return started;
  };
  const capacity = capacityRefreshMs > 0 ? createNodeCapacity(core, capacityRefreshMs, log) : undefined;

  /** Calls the API server, retrying while it is unreachable or overloaded, within the budget. */
  const patiently = async <T>(job: CommandJob, what: () => Promise<T>): Promise<T> => {
    const deadline = Date.now() + unreachableBudgetMs;
    let reported = false;
    for (;;) {
      try {
        return await what();
      } catch (error) {
        if (!isTransient(error) || Date.now() >= deadline) throw error;
        if (!reported) job.logs.write('system', `the Kubernetes API failed (${messageOf(error)}); retrying`);
        reported = true;
        await delay(1000);
      }
    }
  };

  const readJob = async (job: CommandJob, name: string): Promise<V1Job | undefined> => {
    try {
      return await patiently(job, () => batch.readNamespacedJob({ name, namespace }));
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw executorFailure(error);
    }
  };

  /** Creates the attempt's Job, or adopts the one a previous orchestrator created under its name. */
  const createOrAdopt = async (job: CommandJob, name: string): Promise<void> => {
    const problems = [
      ...(job.image === ''
        ? ['image is required: the Kubernetes executor runs the step in a container']
        : []),
      ...(job.kubernetes ? kubernetesOptionsProblems(job.kubernetes, job.env, 'kubernetes') : []),
    ];
    const parametersBytes = Buffer.byteLength(JSON.stringify(job.parametersFile));
    if (parametersBytes > maxParametersBytes)
      problems.push(
        `the step's parameters are ${parametersBytes} bytes, more than the ${maxParametersBytes} a Kubernetes Job gets in its pod annotation`,
      );
    if (problems.length > 0) throw new JobFailure('invalid', problems.join('; '), { retriable: false });
    try {
      await patiently(job, () =>
        batch.createNamespacedJob({
          namespace,
          body: jobManifest(job, name, { defaultTtlSeconds }),
        }),
      );
      job.logs.write('system', `created Kubernetes Job ${namespace}/${name}`);
    } catch (error) {
      const status = statusOf(error);
      if (status === 409) {
        job.logs.write(
          'system',
          `Kubernetes Job ${namespace}/${name} exists already (created before a restart): adopted`,
        );
        return;
      }
      if (status !== undefined && status >= 400 && status < 500 && status !== 429)
        throw new JobFailure('invalid', `Kubernetes refused Job ${name}: ${messageOf(error)}`, {
          cause: error,
          retriable: status === 403 || status === 404, // RBAC or a namespace may be fixed meanwhile
        });
      throw executorFailure(error);
    }
  };

  /** Deletes the Job (its pods first) and waits, bounded, until it is gone. */
  const deleteJob = async (job: CommandJob, name: string, why: string): Promise<void> => {
    const watch = watchOf();
    job.logs.write('system', `deleting Kubernetes Job ${namespace}/${name} (${why})`);
    try {
      await patiently(job, () =>
        batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Foreground' }),
      );
    } catch (error) {
      if (statusOf(error) !== 404) {
        job.logs.write('system', `could not delete Kubernetes Job ${name}: ${messageOf(error)}`);
        return;
      }
    }
    const deadline = Date.now() + stopWaitMs;
    while (!watch.synced() || watch.job(name) !== undefined || watch.podsOf(name).length > 0) {
      if (Date.now() >= deadline) {
        job.logs.write('system', `Kubernetes Job ${name} still there ${stopWaitMs} ms after its deletion`);
        return;
      }
      await delay(200);
    }
    job.logs.write('system', `Kubernetes Job ${name} and its pods are gone`);
  };

  /** Follows the Job from the watch caches until it ends (deleting it when the attempt's signal aborts). */
  const follow = async (job: CommandJob, name: string): Promise<JsonObject> => {
    const watch = watchOf();
    const logs = createPodLogs(job, logApi, namespace);
    let seen = false;
    let unschedulableReported = false;
    const evaluate = (): Outcome | undefined => {
      if (job.signal.aborted) return { kind: 'aborted' };
      const current = watch.job(name);
      if (!current) {
        if (!seen) return undefined; // created, not in the cache yet
        return {
          kind: 'failed',
          failure: new JobFailure('executor', `Kubernetes Job ${name} was deleted outside Flywheel`),
          deleteJob: false,
        };
      }
      seen = true;
      const pods = watch.podsOf(name);
      for (const pod of pods) {
        const phase = pod.status?.phase;
        if (pod.spec?.nodeName && (phase === 'Running' || phase === 'Succeeded' || phase === 'Failed'))
          logs.follow(pod.metadata?.name ?? '');
        const unschedulable = pod.status?.conditions?.find(
          (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
        );
        if (unschedulable && !unschedulableReported) {
          unschedulableReported = true;
          job.logs.write(
            'system',
            `pod ${pod.metadata?.name} is unschedulable: ${unschedulable.message ?? ''}`,
          );
        }
        for (const status of pod.status?.containerStatuses ?? []) {
          const waiting = status.state?.waiting;
          const retriable = waiting?.reason ? stuckReasons.get(waiting.reason) : undefined;
          if (waiting && retriable !== undefined)
            return {
              kind: 'failed',
              failure: new JobFailure(
                retriable ? 'executor' : 'invalid',
                `Kubernetes Job ${name}: pod ${pod.metadata?.name} cannot start its container: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`,
                { retriable },
              ),
              deleteJob: true,
            };
        }
      }
      const condition = (type: string) =>
        current.status?.conditions?.find((c) => c.type === type && c.status === 'True');
      const complete = condition('Complete');
      if (complete) {
        const message = terminatedOf(pods.find((p) => p.status?.phase === 'Succeeded'))?.message ?? '';
        try {
          return { kind: 'succeeded', outputs: message.trim() === '' ? {} : parseOutputs(message) };
        } catch (error) {
          return { kind: 'failed', failure: error as JobFailure, deleteJob: false };
        }
      }
      const failed = condition('Failed');
      if (failed) return { kind: 'failed', failure: failureOf(name, failed, pods), deleteJob: false };
      return undefined;
    };

    let outcome: Outcome;
    let unlisten = () => {};
    let onAbort = () => {};
    try {
      outcome = await new Promise<Outcome>((resolve) => {
        const check = () => {
          const next = evaluate();
          if (next) resolve(next);
        };
        unlisten = watch.listen(name, check);
        onAbort = check;
        job.signal.addEventListener('abort', onAbort, { once: true });
        check();
      });
    } finally {
      unlisten();
      job.signal.removeEventListener('abort', onAbort);
    }
    if (outcome.kind === 'aborted') {
      logs.stop();
      await deleteJob(job, name, AppError.from(job.signal.reason).message);
      throw abortError(job.signal);
    }
    if (outcome.kind === 'failed' && outcome.deleteJob) {
      logs.stop();
      await deleteJob(job, name, 'its pod cannot start');
    } else {
      await logs.drain(5000);
    }
    if (outcome.kind === 'failed') {
      job.logs.write('system', outcome.failure.message);
      throw outcome.failure;
    }
    job.logs.write('system', `Kubernetes Job ${name} completed`);
    return outcome.outputs;
  };

  return {
    name: 'kubernetes',
    capacity: () => capacity?.current(),
    checkStep: (command, at) => {
      if (command.ray)
        throw AppError.invalidArgument(
          `${at}.ray`,
          'Ray job options are for the Ray executor (command.executor "ray"); the Kubernetes executor creates a Job',
        );
      if (command.image === '')
        throw AppError.invalidArgument(
          `${at}.image`,
          'the Kubernetes executor runs the step in a container: an image is required',
        );
      const problems = command.kubernetes
        ? kubernetesOptionsProblems(command.kubernetes, command.env, `${at}.kubernetes`)
        : [];
      if (problems.length > 0) throw AppError.invalidArgument(`${at}.kubernetes`, problems.join('; '));
    },
    run: async (job) => {
      const name = kubernetesJobName(job);
      if (job.signal.aborted) throw abortError(job.signal);
      // Recorded first: an orchestrator dying from here on is restarted into reattach, which
      // creates the same name (adopting the Job when this process got to create it).
      await job.started(name, name);
      await createOrAdopt(job, name);
      return follow(job, name);
    },
    reattach: async (job, handle) => {
      const known = await readJob(job, handle);
      if (known === undefined) {
        job.logs.write(
          'system',
          `Kubernetes has no Job ${handle} after an orchestrator restart: creating it`,
        );
        await createOrAdopt(job, handle);
      } else {
        job.logs.write(
          'system',
          `adopted Kubernetes Job ${namespace}/${handle} after an orchestrator restart`,
        );
      }
      return follow(job, handle);
    },
    stop: async () => {
      await started?.stop();
    },
  };
}

function defaultKubeConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromDefault();
  return config;
}

/** The step's failure for a Job whose Failed condition is true: the reason of the Job and of its pod's container. */
function failureOf(
  name: string,
  failed: { reason?: string; message?: string },
  pods: readonly V1Pod[],
): JobFailure {
  const reason = failed.reason ?? 'Failed';
  const pod = pods.find((p) => p.status?.phase === 'Failed') ?? pods[0];
  const terminated = terminatedOf(pod);
  const podWhy = pod?.status?.reason
    ? `pod ${pod.status.reason}${pod.status.message ? `: ${pod.status.message}` : ''}`
    : '';
  const containerWhy = terminated
    ? `container ${terminated.reason ?? 'terminated'} with exit code ${terminated.exitCode}${terminated.message ? `: ${terminated.message.trim()}` : ''}`
    : '';
  const detail = [failed.message, podWhy, containerWhy].filter(Boolean).join('; ');
  const message = `Kubernetes Job ${name} failed (${reason})${detail ? `: ${detail}` : ''}`;
  if (reason === 'DeadlineExceeded') return new JobFailure('timed_out', message);
  if (terminated && terminated.exitCode !== 0)
    return new JobFailure('step_failed', message, { exitCode: terminated.exitCode });
  return new JobFailure('executor', message);
}

function terminatedOf(pod: V1Pod | undefined) {
  return pod?.status?.containerStatuses?.find((s) => s.name === containerName)?.state?.terminated;
}

/** The pods' logs of one attempt: each pod's followed once, as a kubelet serves it. */
function createPodLogs(job: CommandJob, logApi: Log, namespace: string) {
  interface Followed {
    done: Promise<void>;
    /** Whether the API server answered the log request (with the log or an error). */
    answered: boolean;
    /** Past the drain: a late answer is not written to the attempt's log any more. */
    closed: boolean;
    lines: number;
  }
  const followed = new Map<string, Followed>();
  return {
    follow(podName: string): void {
      if (!podName || followed.has(podName)) return;
      let pending = '';
      let finish = () => {};
      const entry: Followed = {
        done: new Promise<void>((resolve) => {
          finish = resolve;
        }),
        answered: false,
        closed: false,
        lines: 0,
      };
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          pending += chunk.toString('utf8');
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          // Kubernetes merges the container's stdout and stderr into one log.
          for (const line of lines)
            if (!entry.closed) {
              entry.lines += 1;
              job.logs.write('stdout', line.endsWith('\r') ? line.slice(0, -1) : line);
            }
          callback();
        },
        final(callback) {
          if (pending !== '' && !entry.closed) job.logs.write('stdout', pending);
          callback();
          finish();
        },
      });
      sink.on('error', finish);
      followed.set(podName, entry);
      logApi.log(namespace, podName, containerName, sink, { follow: true }).then(
        () => {
          entry.answered = true;
        },
        (error: unknown) => {
          entry.answered = true;
          if (!entry.closed)
            job.logs.write(
              'system',
              `the log of pod ${podName} is unavailable: ${messageOf(error)} (no kubelet served it)`,
            );
          finish();
        },
      );
    },
    /** Waits, bounded, for every followed log to end (its container ended), then stops the rest. */
    async drain(ms: number): Promise<void> {
      // The Job's end can reach the watch before its pod's: there was no pod to read a log of.
      if (followed.size === 0)
        job.logs.write('system', 'the log of the pod is unavailable: the pod was not seen running');
      await Promise.race([Promise.all([...followed.values()].map((f) => f.done)), delay(ms)]);
      for (const [podName, entry] of followed)
        if (!entry.answered && !entry.closed)
          job.logs.write(
            'system',
            `the log of pod ${podName} is unavailable: no kubelet answered within ${ms} ms`,
          );
      this.stop();
    },
    stop(): void {
      // Not aborted: aborting the request errors the response stream client-node pipes from,
      // which has no error listener (the process would crash). The server ends it once the
      // container has ended or its pod is deleted; until then its lines are dropped.
      for (const entry of followed.values()) entry.closed = true;
    },
  };
}

function statusOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  if (status === undefined) return true; // no answer: network, TLS, a restarting API server
  return status === 429 || status >= 500;
}

function executorFailure(error: unknown): JobFailure {
  return new JobFailure('executor', `the Kubernetes API failed: ${messageOf(error)}`, {
    cause: error,
    retriable: isTransient(error),
  });
}

/** An API error's own message (the Status object's `message` when Kubernetes sent one). */
function messageOf(error: unknown): string {
  if (error instanceof ApiException) {
    const body: unknown = typeof error.body === 'string' ? safeJson(error.body) : error.body;
    const message = (body as { message?: unknown } | undefined)?.message;
    return typeof message === 'string' ? `${error.code} ${message}` : `HTTP ${error.code}`;
  }
  return (error as Error)?.message ?? String(error);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 500) };
  }
}
