import { AppError, type CallOptions } from '@flywheel/core';
import type { CompareRunsRequest } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { resourceNotFound } from '@flywheel/rpc';
import { experimentOf, loggedMetrics } from '../runs/run-experiment.ts';
import { runStateByName } from '../runs/run-proto.ts';
import type { RunStore } from '../runs/run-store.ts';

/** Fewest and most runs one comparison takes. */
export const compareRunsLimits = { min: 2, max: 50 } as const;

/** CompareRunsRequest.run_ids checked: 2 to 50 ids, none empty or repeated. */
export function checkedRunIds(runIds: readonly string[]): readonly string[] {
  if (runIds.length < compareRunsLimits.min || runIds.length > compareRunsLimits.max) {
    throw AppError.invalidArgument(
      'run_ids',
      `compare ${compareRunsLimits.min} to ${compareRunsLimits.max} runs, got ${runIds.length}`,
    );
  }
  const seen = new Set<string>();
  runIds.forEach((id, index) => {
    if (id === '') throw AppError.invalidArgument(`run_ids[${index}]`, 'is empty');
    if (seen.has(id)) throw AppError.invalidArgument(`run_ids[${index}]`, `"${id}" is named twice`);
    seen.add(id);
  });
  return runIds;
}

/**
 * CompareRuns: the runs in the requested order, each with its parameters (values as JSON text)
 * and metrics (see loggedMetrics), plus the sorted union of their names: a table's rows. An unknown
 * run is `not_found`.
 */
export function createCompareRuns(deps: { runs: RunStore }) {
  return async (request: CompareRunsRequest, options: CallOptions = {}) => {
    const ids = checkedRunIds(request.runIds);
    const docs = await Promise.all(
      ids.map(async (id) => {
        const doc = await deps.runs.get(id, options);
        if (!doc) throw resourceNotFound(`run "${id}"`);
        return doc.data;
      }),
    );
    const paramNames = new Set<string>();
    const metricNames = new Set<string>();
    const runs = docs.map((record) => {
      const params = Object.fromEntries(
        Object.entries(record.parameters).map(([name, value]) => [name, JSON.stringify(value)]),
      );
      const metrics = loggedMetrics(record);
      for (const name of Object.keys(params)) paramNames.add(name);
      for (const name of Object.keys(metrics)) metricNames.add(name);
      return {
        runId: record.id,
        experiment: experimentOf(record),
        pipelineName: record.pipelineName,
        state: runStateByName[record.state],
        params,
        metrics,
      };
    });
    return { runs, paramNames: [...paramNames].sort(), metricNames: [...metricNames].sort() };
  };
}
