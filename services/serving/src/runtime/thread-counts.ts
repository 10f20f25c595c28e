import { availableParallelism } from 'node:os';

/** onnxruntime thread counts of one session. */
export interface ThreadCounts {
  intraOpThreads: number;
  interOpThreads: number;
}

/**
 * Thread counts for each of `instances` sessions on a machine with `cores` cores, unless the
 * deployment chose them (a value > 0 is kept as given).
 *
 * - intra-op: the cores shared out between the instances, at least 1 — onnxruntime's default is one
 *   thread per physical core *per session*, so N instances would oversubscribe the CPU N-fold and
 *   their spinning threads would steal time from the event loop answering gRPC;
 * - inter-op: 1 — serving runs sessions in sequential execution mode (the default), where
 *   onnxruntime does not use the inter-op pool; parallelism comes from instances and intra-op.
 */
export function threadCountsFor(
  instances: number,
  chosen: Partial<ThreadCounts> = {},
  cores: number = availableParallelism(),
): ThreadCounts {
  const intra = chosen.intraOpThreads ?? 0;
  const inter = chosen.interOpThreads ?? 0;
  return {
    intraOpThreads: intra > 0 ? intra : Math.max(1, Math.floor(cores / Math.max(1, instances))),
    interOpThreads: inter > 0 ? inter : 1,
  };
}
