import { AppError, type CallOptions } from '@flywheel/core';
import type { PipelineSpec } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { createRpcClient, type PeerClientOptions } from '@flywheel/rpc';

/** A pipeline definition stored in the scheduler, at one revision. */
export interface StoredPipeline {
  name: string;
  revision: number;
  team: string;
  spec: PipelineSpec;
}

/** Where SubmitRun finds a stored pipeline by reference. */
export interface StoredPipelines {
  /** The pipeline at `revision` (0 = latest). Throws the scheduler's `not_found`, or `unavailable`. */
  get(name: string, revision: number, options?: CallOptions): Promise<StoredPipeline>;
  close(): void;
}

/** Stored pipelines, asked of the scheduler at `address` (SchedulerService/GetPipeline). */
export function createSchedulerPipelines(address: string, peer: PeerClientOptions = {}): StoredPipelines {
  const connect = () => createRpcClient(SchedulerService, { address, ...peer });
  let client: ReturnType<typeof connect> | undefined;
  return {
    get: async (name, revision, options = {}) => {
      client ??= connect();
      const { pipeline } = await client.getPipeline(
        { pipelineName: name, revision: BigInt(revision) },
        { ...options, timeoutMs: options.timeoutMs ?? 10_000 },
      );
      if (!pipeline?.spec)
        throw new AppError('internal', `the scheduler returned pipeline "${name}" without a spec`);
      return {
        name: pipeline.name,
        revision: Number(pipeline.revision),
        team: pipeline.team,
        spec: pipeline.spec,
      };
    },
    close: () => client?.close(),
  };
}
