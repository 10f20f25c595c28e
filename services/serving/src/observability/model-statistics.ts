import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ModelStatisticsSchema } from '@flywheel/proto/inference/grpc_service_pb.js';

/** One finished inference request, as counted. */
export interface InferenceOutcome {
  readonly deployment: string;
  readonly version: number;
  readonly ok: boolean;
  /** Whole request, server side, ns. */
  readonly durationNs: bigint;
  /** Time in the model's run, ns; 0 when it did not run. */
  readonly computeNs: bigint;
  /** Time waiting for a worker or a batch before the run, ns (0 or absent when it did not wait). */
  readonly queueNs?: bigint;
  /** Time decoding inputs before the run and encoding outputs after it, ns. */
  readonly computeInputNs?: bigint;
  readonly computeOutputNs?: bigint;
  /** Rows (batch size) of a successful request. */
  readonly rows: number;
  /**
   * Rows of the model execution the request ran in (dynamic batching), when known; with
   * `firstOfBatch`, counts one execution of that batch size. Absent: the request ran alone.
   */
  readonly batchRows?: number;
  /** Whether this request is the one that counts its batch's execution (default true). */
  readonly firstOfBatch?: boolean;
  /** Epoch ms. */
  readonly timeMs: number;
}

/** Cumulative per deployment-version counters since the server started (OIP/Triton statistics extension). */
export interface ModelStatisticsBook {
  record(outcome: InferenceOutcome): void;
  /** Statistics of a deployment (all when `name` is ""), of one version when `version` is not "". */
  query(name: string, version: string): MessageInitShape<typeof ModelStatisticsSchema>[];
  /** Whether any request of `name` was counted. */
  has(name: string): boolean;
  /** Every deployment-version's counters, for the Prometheus metrics. */
  snapshot(): StatisticsSnapshot[];
}

/** One deployment-version's cumulative counters (ns for durations). */
export interface StatisticsSnapshot {
  readonly name: string;
  readonly version: number;
  readonly success: Readonly<Counter>;
  readonly fail: Readonly<Counter>;
  readonly queue: Readonly<Counter>;
  readonly computeInput: Readonly<Counter>;
  readonly computeInfer: Readonly<Counter>;
  readonly computeOutput: Readonly<Counter>;
  readonly inferenceCount: bigint;
  readonly executionCount: bigint;
}

/** A count of events and their summed duration. */
export interface Counter {
  count: bigint;
  ns: bigint;
}

interface Entry {
  name: string;
  version: number;
  success: Counter;
  fail: Counter;
  queue: Counter;
  computeInput: Counter;
  computeInfer: Counter;
  computeOutput: Counter;
  inferenceCount: bigint;
  executionCount: bigint;
  lastInference: number;
  /** Executions per batch size (rows), Triton's batch_stats. */
  batches: Map<number, BatchEntry>;
}

interface BatchEntry {
  computeInput: Counter;
  computeInfer: Counter;
  computeOutput: Counter;
}

export function createModelStatisticsBook(): ModelStatisticsBook {
  const entries = new Map<string, Entry>();
  const counter = (): Counter => ({ count: 0n, ns: 0n });
  return {
    record(outcome) {
      const key = `${outcome.deployment}\u0000${outcome.version}`;
      let entry = entries.get(key);
      if (!entry) {
        entry = {
          name: outcome.deployment,
          version: outcome.version,
          success: counter(),
          fail: counter(),
          queue: counter(),
          computeInput: counter(),
          computeInfer: counter(),
          computeOutput: counter(),
          inferenceCount: 0n,
          executionCount: 0n,
          lastInference: 0,
          batches: new Map(),
        };
        entries.set(key, entry);
      }
      add(outcome.ok ? entry.success : entry.fail, outcome.durationNs);
      if (outcome.ok) {
        add(entry.queue, outcome.queueNs ?? 0n);
        addCompute(entry, outcome);
        entry.inferenceCount += BigInt(outcome.rows);
        entry.lastInference = outcome.timeMs;
        if (outcome.firstOfBatch !== false) {
          entry.executionCount++;
          const size = outcome.batchRows ?? outcome.rows;
          let batch = entry.batches.get(size);
          if (!batch) {
            batch = { computeInput: counter(), computeInfer: counter(), computeOutput: counter() };
            entry.batches.set(size, batch);
          }
          addCompute(batch, outcome);
        }
      }
    },
    query(name, version) {
      return [...entries.values()]
        .filter(
          (entry) =>
            (name === '' || entry.name === name) && (version === '' || String(entry.version) === version),
        )
        .sort((a, b) => a.name.localeCompare(b.name) || a.version - b.version)
        .map((entry) => ({
          name: entry.name,
          version: String(entry.version),
          lastInference: BigInt(entry.lastInference),
          inferenceCount: entry.inferenceCount,
          executionCount: entry.executionCount,
          inferenceStats: {
            success: { ...entry.success },
            fail: { ...entry.fail },
            queue: { ...entry.queue },
            computeInput: { ...entry.computeInput },
            computeInfer: { ...entry.computeInfer },
            computeOutput: { ...entry.computeOutput },
          },
          batchStats: [...entry.batches]
            .sort(([a], [b]) => a - b)
            .map(([size, batch]) => ({
              batchSize: BigInt(size),
              computeInput: { ...batch.computeInput },
              computeInfer: { ...batch.computeInfer },
              computeOutput: { ...batch.computeOutput },
            })),
        }));
    },
    snapshot: () =>
      [...entries.values()].map((entry) => {
        return {
          name: entry.name,
          version: entry.version,
          success: { ...entry.success },
          fail: { ...entry.fail },
          queue: { ...entry.queue },
          computeInput: { ...entry.computeInput },
          computeInfer: { ...entry.computeInfer },
          computeOutput: { ...entry.computeOutput },
          inferenceCount: entry.inferenceCount,
          executionCount: entry.executionCount,
        };
      }),
    has: (name) => [...entries.values()].some((entry) => entry.name === name),
  };
}

function add(counter: Counter, ns: bigint): void {
  counter.count++;
  counter.ns += ns;
}

/** Counts one run's compute input, infer and output durations. */
function addCompute(into: BatchEntry, outcome: InferenceOutcome): void {
  add(into.computeInput, outcome.computeInputNs ?? 0n);
  add(into.computeInfer, outcome.computeNs);
  add(into.computeOutput, outcome.computeOutputNs ?? 0n);
}
