import { type Logger, silentLogger } from '@flywheel/core';
import {
  type BatchV1Api,
  type CoreV1Api,
  type KubeConfig,
  ListWatch,
  type V1Job,
  type V1Node,
  type V1Pod,
  Watch,
} from '@kubernetes/client-node';
import type { JobResources } from './job-executor.ts';
import {
  gpuResource,
  jobNameLabel,
  managedByLabel,
  managedByValue,
  quantityValue,
} from './kubernetes-job-spec.ts';

/**
 * The executor's view of its namespace: Jobs and pods it manages from two list-watches (one
 * connection each, not a poll per job), re-listed when a watch breaks, plus a resync that tells
 * every listener to look again at a fixed period (a missed event costs at most one period).
 */
export interface KubernetesWatch {
  job(name: string): V1Job | undefined;
  podsOf(jobName: string): V1Pod[];
  /** Calls `listener` on every change of the Job `jobName` or its pods, and at each resync; returns the unsubscribe. */
  listen(jobName: string, listener: () => void): () => void;
  /** Whether both caches hold a first full list. */
  synced(): boolean;
  stop(): Promise<void>;
}

export interface KubernetesWatchOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  batch: BatchV1Api;
  core: CoreV1Api;
  resyncMs: number;
  log?: Logger;
}

export function createKubernetesWatch(options: KubernetesWatchOptions): KubernetesWatch {
  const log = options.log ?? silentLogger;
  const { namespace, batch, core } = options;
  const selector = `${managedByLabel}=${managedByValue}`;
  const watch = new Watch(options.kubeConfig);
  const listeners = new Map<string, Set<() => void>>();
  const notify = (jobName: string | undefined) => {
    if (!jobName) return;
    for (const listener of listeners.get(jobName) ?? []) listener();
  };
  const notifyAll = () => {
    for (const set of listeners.values()) for (const listener of set) listener();
  };
  let stopped = false;
  const synced = { jobs: false, pods: false };

  const jobs = new ListWatch<V1Job>(
    `/apis/batch/v1/namespaces/${namespace}/jobs`,
    watch,
    () => batch.listNamespacedJob({ namespace, labelSelector: selector }),
    false,
    selector,
  );
  const pods = new ListWatch<V1Pod>(
    `/api/v1/namespaces/${namespace}/pods`,
    watch,
    () => core.listNamespacedPod({ namespace, labelSelector: selector }),
    false,
    selector,
  );
  const follow = <T extends V1Job | V1Pod>(
    what: 'jobs' | 'pods',
    informer: ListWatch<T>,
    nameOf: (object: T) => string | undefined,
  ) => {
    const changed = (object: T) => notify(nameOf(object));
    informer.on('add', changed);
    informer.on('update', changed);
    informer.on('delete', changed);
    informer.on('connect', () => {
      if (!synced[what]) log.info(`watching the Kubernetes ${what} of namespace ${namespace}`);
      synced[what] = true;
      notifyAll();
    });
    // A list-watch stops on an error: start it again (it re-lists), after a pause.
    informer.on('error', (error: unknown) => {
      if (stopped) return;
      log.warn(`the watch of Kubernetes ${what} failed; listing again`, {
        error: (error as Error)?.message ?? String(error),
      });
      setTimeout(() => {
        if (!stopped) void informer.start().catch(() => undefined);
      }, 2000).unref();
    });
    void informer.start().catch((error: unknown) => {
      log.warn(`could not start the watch of Kubernetes ${what}`, { error: (error as Error).message });
    });
  };
  follow('jobs', jobs, (job: V1Job) => job.metadata?.name);
  follow('pods', pods, (pod: V1Pod) => pod.metadata?.labels?.[jobNameLabel]);
  const resync = setInterval(notifyAll, options.resyncMs);
  resync.unref();

  return {
    job: (name) => jobs.get(name, namespace),
    podsOf: (jobName) =>
      pods.list(namespace).filter((pod) => pod.metadata?.labels?.[jobNameLabel] === jobName),
    listen: (jobName, listener) => {
      const set = listeners.get(jobName) ?? new Set<() => void>();
      listeners.set(jobName, set);
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(jobName);
      };
    },
    synced: () => synced.jobs && synced.pods,
    stop: async () => {
      stopped = true;
      clearInterval(resync);
      await Promise.all([jobs.stop(), pods.stop()]);
    },
  };
}

/** The most one pod can get: the largest schedulable, ready node's allocatable, per resource. */
export function capacityOfNodes(nodes: readonly V1Node[]): (JobResources & { nodes: number }) | undefined {
  const usable = nodes.filter(
    (node) =>
      !node.spec?.unschedulable &&
      node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  if (usable.length === 0) return undefined;
  const most = { cpu: 0, memoryMib: 0, gpu: 0 };
  for (const node of usable) {
    const allocatable = node.status?.allocatable ?? {};
    const amount = (name: string) => {
      const value = quantityValue(allocatable[name] ?? '0');
      return Number.isFinite(value) ? value : 0;
    };
    most.cpu = Math.max(most.cpu, amount('cpu'));
    most.memoryMib = Math.max(most.memoryMib, Math.floor(amount('memory') / 2 ** 20));
    most.gpu = Math.max(most.gpu, amount(gpuResource));
  }
  return { ...most, nodes: usable.length };
}

/** The cluster's node capacity, listed at once and every `refreshMs` (an unref'd timer). */
export function createNodeCapacity(
  core: CoreV1Api,
  refreshMs: number,
  log: Logger = silentLogger,
): { current(): JobResources | undefined; refresh(): Promise<void> } {
  let known: (JobResources & { nodes: number }) | undefined;
  let reachable = true;
  let inFlight: Promise<void> | undefined;
  const ask = async () => {
    try {
      const next = capacityOfNodes((await core.listNode()).items);
      if (!reachable || JSON.stringify(next) !== JSON.stringify(known))
        log.info('learnt the Kubernetes capacity (largest node)', { ...(next ?? { nodes: 0 }) });
      known = next;
      reachable = true;
    } catch (error) {
      if (reachable)
        log.warn('could not list the Kubernetes nodes: resource requests are not checked until it answers', {
          error: (error as Error).message,
        });
      known = undefined;
      reachable = false;
    }
  };
  const refresh = (): Promise<void> => {
    inFlight ??= ask().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
  void refresh();
  setInterval(() => void refresh(), refreshMs).unref();
  return {
    current: () => (known ? { cpu: known.cpu, memoryMib: known.memoryMib, gpu: known.gpu } : undefined),
    refresh,
  };
}
