import {
  CompareRunsResponseSchema,
  OrchestratorService,
  RunState,
} from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import type { Command } from 'commander';
import type { Cli } from '../cli-context.ts';
import { table } from '../output/output.ts';
import { enumName, jsonOf } from '../output/proto-json.ts';
import type { Run as RunCommand } from '../program.ts';

/** `flywheel runs compare a b c`: one column per run, one row per parameter and per metric. */
export function runCompareCommand(runs: Command, run: RunCommand): void {
  run(
    runs
      .command('compare <runs...>')
      .description('compare runs side by side: their parameters and the metrics their steps logged'),
    async (cli: Cli, ids: string[]) => {
      const orchestrator = await cli.services().client(OrchestratorService, 'orchestrator');
      const compared = await orchestrator.compareRuns({ runIds: ids });
      // An absent value shows as '-': a parameter or metric that run does not have.
      const cell = (value: string | undefined): string => value ?? '-';
      const rows: string[][] = [
        ['experiment', ...compared.runs.map((r) => r.experiment)],
        ['state', ...compared.runs.map((r) => enumName(RunState, r.state))],
        ...compared.paramNames.map((name) => [
          `params.${name}`,
          ...compared.runs.map((r) => cell(r.params[name])),
        ]),
        ...compared.metricNames.map((name) => [
          `metrics.${name}`,
          ...compared.runs.map((r) =>
            cell(r.metrics[name] === undefined ? undefined : String(r.metrics[name])),
          ),
        ]),
      ];
      cli.out.result(jsonOf(CompareRunsResponseSchema, compared), () =>
        table(['RUN', ...compared.runs.map((r) => r.runId)], rows, false),
      );
    },
  );
}
