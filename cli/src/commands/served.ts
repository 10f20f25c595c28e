import { OrchestratorService } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { ModelVersionSchema, RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import {
  type GetServedRequestRequest,
  ServedRequestSchema,
  ServingService,
} from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import {
  type Gate,
  routeName,
  type ServedRequestReport,
  servedRequestReports,
  valueText,
} from '@flywheel/provenance';
import type { Command } from 'commander';
import type { Cli } from '../cli-context.ts';
import { CliError, exitCodes } from '../exit-codes.ts';
import { fields, table } from '../output/output.ts';
import { jsonOf, timeOf } from '../output/proto-json.ts';
import type { Run } from '../program.ts';

/**
 * `flywheel served <request-id>` / `flywheel served --trace <trace-id>`: what served a request —
 * serving's record, the version's lineage and promotions from the registry, the promote step's
 * gates from the orchestrator (through @flywheel/provenance).
 */
export function servedCommand(program: Command, run: Run): void {
  run(
    program
      .command('served [request-id]')
      .description(
        'what served an inference request: deployment, version, route (canary, stable…), its features and the gates that promoted the version',
      )
      .option('--trace <trace-id>', 'every request of this trace instead of one request id')
      .option('--rows <n>', 'rows of each request to show', '5'),
    async (cli: Cli, requestId: string | undefined, options: { trace?: string; rows: string }) => {
      if ((requestId === undefined) === (options.trace === undefined)) {
        throw new CliError('give a request id or --trace <trace-id> (one of them)', exitCodes.usage);
      }
      const rows = Number(options.rows);
      if (!(Number.isSafeInteger(rows) && rows >= 1)) {
        throw new CliError(`--rows ${options.rows}: must be a whole number ≥ 1`, exitCodes.usage);
      }
      const key: GetServedRequestRequest['key'] =
        options.trace !== undefined
          ? { case: 'traceId', value: options.trace }
          : { case: 'requestId', value: requestId! };
      const services = cli.services();
      const reports = await servedRequestReports(
        {
          serving: await services.client(ServingService, 'serving'),
          registry: await services.client(RegistryService, 'registry'),
          orchestrator: await services.client(OrchestratorService, 'orchestrator'),
        },
        key,
      );
      cli.out.result(
        {
          requests: reports.map((report) => ({
            request: jsonOf(ServedRequestSchema, report.request),
            ...(report.version ? { version: jsonOf(ModelVersionSchema, report.version) } : {}),
            ...(report.trainedBy ? { trainedBy: report.trainedBy } : {}),
            promotions: report.promotions.map((p) => ({ ...p, time: p.time?.toISOString() ?? null })),
          })),
        },
        () => reports.map((report) => human(report, rows)).join('\n\n'),
      );
    },
  );
}

function human(report: ServedRequestReport, maxRows: number): string {
  const { request, trainedBy } = report;
  const latencyMs = request.latency
    ? Number(request.latency.seconds) * 1000 + request.latency.nanos / 1e6
    : undefined;
  const lines = [
    fields([
      ['request', request.requestId],
      ['trace', request.traceId],
      ['deployment', `${request.deploymentName} (team ${request.team})`],
      ['model', `${request.modelName} v${request.modelVersion}`],
      ['route', `${routeName(request.route)} (stable v${request.stableVersion})`],
      ['mirrored to', request.mirroredTo.map((v) => `v${v}`).join(', ')],
      [
        'answered',
        `${timeOf(request.time)}${latencyMs === undefined ? '' : ` in ${latencyMs.toFixed(2)} ms`}`,
      ],
      ['trained by', trainedBy ? `run ${trainedBy.runId} (${trainedBy.pipelineName})` : ''],
      ['run trace', trainedBy?.traceId],
      ['training set', trainedBy?.trainingSetRef],
      [
        'feature service',
        trainedBy?.featureService ? `${trainedBy.featureService} v${trainedBy.featureServiceVersion}` : '',
      ],
    ]),
  ];
  for (const row of request.rows.slice(0, maxRows)) {
    const entity = Object.entries(row.entityKey)
      .map(([k, v]) => `${k}=${valueText(v)}`)
      .join(',');
    lines.push(
      '',
      `features, row ${row.rowIndex}${entity ? ` (entity ${entity})` : ''}:`,
      table(
        ['input', 'value', 'from'],
        Object.entries(row.inputs).map(([name, value]) => [
          name,
          valueText(value),
          row.features[name] ?? 'request',
        ]),
      ),
      `outputs: ${Object.entries(row.outputs)
        .map(([name, value]) => `${name}=${valueText(value)}`)
        .join('  ')}`,
    );
  }
  if (request.rows.length > maxRows) lines.push(`… ${request.rows.length - maxRows} more rows (--rows)`);
  lines.push('');
  if (report.promotions.length === 0) {
    lines.push(`promotions: no alias was moved onto v${request.modelVersion}`);
  }
  for (const p of report.promotions) {
    lines.push(
      `promoted to @${p.alias}: ${p.previousVersion ? `v${p.previousVersion}` : 'new'} → v${request.modelVersion} at ${p.time?.toISOString().slice(0, 19) ?? '?'}Z by ${p.by || '?'}`,
      `  reason: ${p.reason || '(none given)'}`,
      p.stepName
        ? `  gates (run ${p.runId}, step ${p.stepName}):${p.gates.length === 0 ? ' none (there was no champion to beat)' : ''}`
        : '  gates: none recorded (the alias was set by hand, not by a promote step)',
    );
    if (p.gates.length > 0) lines.push(indent(gateTable(p.gates)));
  }
  return lines.join('\n');
}

function gateTable(gates: readonly Gate[]): string {
  const num = (v: number | null) => (v === null ? '' : String(Number(v.toPrecision(4))));
  return table(
    ['metric', 'candidate', 'champion', 'needs', 'passed'],
    gates.map((g) => [
      g.metric,
      num(g.candidateValue),
      num(g.championValue),
      `${g.comparison} ${num(g.threshold)}`,
      g.passed ? 'yes' : 'no',
    ]),
  );
}

const indent = (text: string): string =>
  text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
