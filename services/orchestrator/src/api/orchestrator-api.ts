import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';
import {
  LogStream,
  type OrchestratorService,
} from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { type ImplOf, listedTeams } from '@flywheel/rpc';
import type { LogStreamName } from '../executors/job-logs.ts';
import type { RunEngine } from '../runs/run-engine.ts';
import { metricHistory } from '../runs/run-experiment.ts';
import { runMessage } from '../runs/run-proto.ts';
import type { RunStore } from '../runs/run-store.ts';
import type { createCompareRuns } from './compare-runs.ts';
import type { createListRuns } from './list-runs.ts';
import type { createRetryRun } from './retry-run.ts';
import type { createStreamJobLogs } from './stream-job-logs.ts';
import type { createSubmitRun } from './submit-run.ts';
import type { createWatchRun } from './watch-run.ts';

export interface OrchestratorApiDeps {
  runs: RunStore;
  engine: RunEngine;
  submitRun: ReturnType<typeof createSubmitRun>;
  listRuns: ReturnType<typeof createListRuns>;
  retryRun: ReturnType<typeof createRetryRun>;
  watchRun: ReturnType<typeof createWatchRun>;
  streamJobLogs: ReturnType<typeof createStreamJobLogs>;
  compareRuns: ReturnType<typeof createCompareRuns>;
}

const logStreams: Readonly<Record<LogStreamName, LogStream>> = {
  stdout: LogStream.STDOUT,
  stderr: LogStream.STDERR,
  system: LogStream.SYSTEM,
};

/** The gRPC face of the orchestrator: requests to use cases, records to messages. */
export function createOrchestratorApi(deps: OrchestratorApiDeps): ImplOf<typeof OrchestratorService> {
  const getRun = async (runId: string, signal: AbortSignal) => {
    const doc = await deps.runs.get(runId, { signal });
    if (!doc) throw new AppError('not_found', `run "${runId}" not found`);
    return doc;
  };
  return {
    submitRun: async (request, ctx) => {
      const { run, created } = await deps.submitRun(request, { signal: ctx.signal });
      return { run: runMessage(run.data), created };
    },
    getRun: async (request, ctx) => ({ run: runMessage((await getRun(request.runId, ctx.signal)).data) }),
    listRuns: async (request, ctx) => {
      // Only teams the caller may view (the policy checked a named one).
      const page = await deps.listRuns(
        request,
        { signal: ctx.signal },
        listedTeams(ctx.principal, request.team),
      );
      return { runs: page.runs.map((doc) => runMessage(doc.data)), nextPageToken: page.nextPageToken };
    },
    cancelRun: async (request, ctx) => {
      const doc = await deps.engine.cancel(request.runId, request.reason, { signal: ctx.signal });
      return { run: runMessage(doc.data) };
    },
    retryRun: async (request, ctx) => ({
      run: runMessage((await deps.retryRun(request, { signal: ctx.signal })).data),
    }),
    streamJobLogs: async function* (request, ctx) {
      for await (const lines of deps.streamJobLogs(request, ctx.signal)) {
        yield {
          lines: lines.map((line) => ({
            time: timestampFromDate(new Date(line.time)),
            jobId: line.jobId,
            stepName: line.stepName,
            attempt: line.attempt,
            stream: logStreams[line.stream],
            text: line.text,
          })),
        };
      }
    },
    watchRun: async function* (request, ctx) {
      for await (const doc of deps.watchRun(request.runId, ctx.signal)) yield { run: runMessage(doc.data) };
    },
    compareRuns: (request, ctx) => deps.compareRuns(request, { signal: ctx.signal }),
    getMetricHistory: async (request, ctx) => {
      const doc = await getRun(request.runId, ctx.signal);
      return {
        points: metricHistory(doc.data, request.metric).map((p) => ({ ...p, step: BigInt(p.step) })),
      };
    },
  };
}
