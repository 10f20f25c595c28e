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
  /** Rows (batch size) of a successful request. */
  readonly rows: number;
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
}

interface Counter {
  count: bigint;
  ns: bigint;
}

interface Entry {
  name: string;
  version: number;
  success: Counter;
  fail: Counter;
  computeInfer: Counter;
  inferenceCount: bigint;
  executionCount: bigint;
  lastInference: number;
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
          computeInfer: counter(),
          inferenceCount: 0n,
          executionCount: 0n,
          lastInference: 0,
        };
        entries.set(key, entry);
      }
      const bucket = outcome.ok ? entry.success : entry.fail;
      bucket.count++;
      bucket.ns += outcome.durationNs;
      if (outcome.ok) {
        entry.computeInfer.count++;
        entry.computeInfer.ns += outcome.computeNs;
        entry.inferenceCount += BigInt(outcome.rows);
        entry.executionCount++;
        entry.lastInference = outcome.timeMs;
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
            computeInfer: { ...entry.computeInfer },
          },
        }));
    },
    has: (name) => [...entries.values()].some((entry) => entry.name === name),
  };
}
