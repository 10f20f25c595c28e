import { type Logger, silentLogger } from '@flywheel/core';
import type { JobResources } from './job-executor.ts';
import type { RayJobsClient, RayNode } from './ray-jobs-client.ts';

/** The most one Ray job's entrypoint can get: it is placed on one node. */
export interface RayCapacity {
  /** CPU, memory and GPUs of the largest alive node, per resource. */
  readonly resources: JobResources;
  /** Every resource Ray names (`CPU`, `GPU`, `memory` in bytes, custom ones) → the most one alive node has. */
  readonly byName: Readonly<Record<string, number>>;
  /** Alive nodes it was learnt from. */
  readonly nodes: number;
}

/** What the Ray executor knows of its cluster's nodes, refreshed in the background. */
export interface RayClusterCapacity {
  /**
   * As of the last refresh; undefined when that refresh failed (Ray unreachable: a transient state,
   * so nothing is refused on it), when none has ended yet, or when Ray listed no alive node.
   */
  current(): RayCapacity | undefined;
  /** Asks Ray now; settles once the answer (or the failure) is recorded. */
  refresh(): Promise<void>;
}

export interface RayClusterCapacityOptions {
  client: RayJobsClient;
  /** How often the nodes are listed again, ms (the first time at once). */
  refreshMs: number;
  log?: Logger;
}

/** Largest alive node per resource of `nodes`; undefined when none is alive. */
export function capacityOfNodes(nodes: readonly RayNode[]): RayCapacity | undefined {
  const alive = nodes.filter((node) => node.state === 'ALIVE');
  if (alive.length === 0) return undefined;
  const byName: Record<string, number> = {};
  for (const node of alive)
    for (const [name, amount] of Object.entries(node.resources_total ?? {}))
      if (typeof amount === 'number' && amount > (byName[name] ?? 0)) byName[name] = amount;
  return {
    resources: {
      cpu: byName.CPU ?? 0,
      gpu: byName.GPU ?? 0,
      memoryMib: Math.floor((byName.memory ?? 0) / (1024 * 1024)),
    },
    byName,
    nodes: alive.length,
  };
}

/**
 * Lists Ray's nodes at once and every `refreshMs` (an unref'd timer: it never keeps the process
 * alive), so that a step no node could ever run is refused at submit instead of waiting PENDING.
 */
export function createRayClusterCapacity(options: RayClusterCapacityOptions): RayClusterCapacity {
  const log = options.log ?? silentLogger;
  let known: RayCapacity | undefined;
  let reachable = true;
  let inFlight: Promise<void> | undefined;

  const ask = async (): Promise<void> => {
    try {
      const next = capacityOfNodes(await options.client.nodes());
      if (!reachable || JSON.stringify(next) !== JSON.stringify(known))
        log.info('learnt the Ray cluster capacity (largest node)', {
          nodes: next?.nodes ?? 0,
          ...(next ? { resources: next.byName } : {}),
        });
      known = next;
      reachable = true;
    } catch (error) {
      if (reachable)
        log.warn('could not list the Ray nodes: resource requests are not checked until Ray answers', {
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
  setInterval(() => void refresh(), options.refreshMs).unref();
  return { current: () => known, refresh };
}
