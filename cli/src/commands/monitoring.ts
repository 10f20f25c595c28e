import { timestampMs } from '@bufbuild/protobuf/wkt';
import { isAppError } from '@flywheel/core';
import {
  type DriftResult,
  DriftResultSchema,
  DriftTestKind,
  FeatureKind,
  type FeatureProfile,
  MonitoringService,
  MonitorSchema,
  ReferenceProfileSchema,
} from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import type { Command } from 'commander';
import type { Cli } from '../cli-context.ts';
import { CliError, exitCodes } from '../exit-codes.ts';
import { densityCells, sparkline, thresholdBar } from '../output/charts.ts';
import { fields, table } from '../output/output.ts';
import { enumName, jsonOf, timeOf } from '../output/proto-json.ts';
import type { Run } from '../program.ts';
import { readMessageFile } from './message-file.ts';
import { allPages } from './paging.ts';

/** `flywheel monitors …` and `flywheel drift report`: monitoring. */
export function monitoringCommands(program: Command, run: Run): void {
  const monitors = program.command('monitors').description('drift and performance monitors (monitoring)');
  run(
    monitors
      .command('create')
      .description('create a monitor from a YAML/JSON file (a flywheel.monitoring.v1.Monitor)')
      .requiredOption(
        '-f, --file <file>',
        'the monitor: name, model_name, deployment_name, features, window…',
      ),
    async (cli: Cli, options: { file: string }) => {
      const monitor = readMessageFile(MonitorSchema, options.file);
      const monitoring = await cli.services().client(MonitoringService, 'monitoring');
      const { monitor: created } = await monitoring.createMonitor({ monitor });
      const shown = created ?? monitor;
      cli.out.result(
        jsonOf(MonitorSchema, shown),
        () => `monitor ${shown.name} created for model ${shown.modelName}`,
      );
    },
  );
  run(
    monitors
      .command('list')
      .description('list monitors')
      .option('--model <model>', 'only monitors of this model'),
    async (cli: Cli, options: { model?: string }) => {
      const monitoring = await cli.services().client(MonitoringService, 'monitoring');
      const list = await allPages(async (pageToken) => {
        const r = await monitoring.listMonitors({ pageToken, modelName: options.model ?? '' });
        return { items: r.monitors, nextPageToken: r.nextPageToken };
      });
      cli.out.result(
        list.map((m) => jsonOf(MonitorSchema, m)),
        () =>
          table(
            ['name', 'model', 'deployment', 'features', 'window', 'enabled'],
            list.map((m) => [
              m.name,
              m.modelName,
              m.deploymentName,
              m.features.map((f) => f.name).join(','),
              m.window?.size
                ? `${m.window.size} samples`
                : m.window?.duration
                  ? `${m.window.duration.seconds}s`
                  : '',
              m.enabled ? 'yes' : 'no',
            ]),
          ),
      );
    },
  );
  run(monitors.command('get <monitor>').description('show a monitor'), async (cli: Cli, name: string) => {
    const monitoring = await cli.services().client(MonitoringService, 'monitoring');
    const { monitor } = await monitoring.getMonitor({ monitorName: name });
    if (!monitor) throw new CliError(`monitoring answered no monitor "${name}"`, exitCodes.failure);
    cli.out.result(jsonOf(MonitorSchema, monitor), () =>
      fields([
        ['name', monitor.name],
        ['team', monitor.team],
        ['model', monitor.modelName],
        ['deployment', monitor.deploymentName],
        [
          'features',
          monitor.features
            .map((f) => `${f.name} (${enumName(FeatureKind, f.kind).toLowerCase()})`)
            .join(', '),
        ],
        [
          'window',
          monitor.window?.size ? `${monitor.window.size} samples, at least ${monitor.window.minSamples}` : '',
        ],
        ['enabled', monitor.enabled ? 'yes' : 'no'],
      ]),
    );
  });

  const drift = program.command('drift').description('drift results (monitoring)');
  run(
    drift
      .command('report <monitor>')
      .description(
        "the latest drift test of every feature a monitor watches, with each feature's statistic against its threshold, its trend over windows and the reference and current-window histograms",
      )
      .option('--version <version>', 'model version (default: the one with the latest window)')
      .option('--windows <n>', 'how many past windows the trend shows', '20'),
    async (cli: Cli, monitorName: string, options: { version?: string; windows: string }) => {
      const monitoring = await cli.services().client(MonitoringService, 'monitoring');
      const { monitor } = await monitoring.getMonitor({ monitorName });
      if (!monitor) throw new CliError(`monitoring answered no monitor "${monitorName}"`, exitCodes.failure);
      const report = await monitoring.getDriftReport({
        modelName: monitor.modelName,
        modelVersion: options.version ? BigInt(options.version) : 0n,
        monitorName,
      });
      const version = report.modelVersion;
      const profile = version
        ? await monitoring.getReferenceProfile({ modelName: monitor.modelName, modelVersion: version }).then(
            (r) => r.profile,
            (error: unknown) => {
              if (isAppError(error, 'not_found')) return undefined;
              throw error;
            },
          )
        : undefined;
      const history = version
        ? await allPages(async (pageToken) => {
            const r = await monitoring.listDriftResults({
              modelName: monitor.modelName,
              modelVersion: version,
              pageToken,
              segment: '',
            });
            return { items: r.results, nextPageToken: r.nextPageToken };
          }, 2000)
        : [];
      const results = report.results.filter((r) => r.segment === '');
      const reference = new Map((profile?.features ?? []).map((f) => [f.name, f]));
      cli.out.result(
        {
          monitor: monitorName,
          model_name: report.modelName,
          model_version: Number(report.modelVersion),
          drifted_share: report.driftedShare,
          results: report.results.map((r) => jsonOf(DriftResultSchema, r)),
          untested: report.untested.map((u) => ({
            feature: u.feature,
            segment: u.segment,
            reason: u.reason,
          })),
          ...(profile ? { reference_profile: jsonOf(ReferenceProfileSchema, profile) } : {}),
        },
        () => {
          const c = cli.out.color;
          const drifted = results.filter((r) => r.drifted).length;
          const lines = [
            `monitor ${monitorName}: model ${report.modelName} v${report.modelVersion}, ${drifted} of ${results.length} features drifted (${(report.driftedShare * 100).toFixed(0)}%)`,
            '',
          ];
          const rows = results.flatMap((r) =>
            r.tests.map((t, i) => [
              i === 0 ? r.feature : '',
              enumName(DriftTestKind, t.kind).toLowerCase().replaceAll('_', '-'),
              t.statistic.toFixed(4),
              judgedByPValue(t.kind) ? t.pValue.toPrecision(3) : '',
              `${judgedByPValue(t.kind) ? 'p ≤ ' : ''}${t.threshold}`,
              t.drifted ? c.red('DRIFT') : c.green('ok'),
              judgedByPValue(t.kind) ? '' : thresholdBar(t.statistic, t.threshold),
              sparkline(trendOf(history, r.feature, t.kind, Number(options.windows))),
              i === 0 ? String(r.sampleCount) : '',
              i === 0 ? referenceChart(reference.get(r.feature)) : '',
              i === 0 ? currentChart(r, reference.get(r.feature)) : '',
            ]),
          );
          lines.push(
            table(
              [
                'feature',
                'test',
                'statistic',
                'p-value',
                'drifts at',
                'drift',
                'statistic vs │ threshold',
                'trend',
                'samples',
                'reference',
                'current window',
              ],
              rows,
            ),
          );
          if (results[0]) {
            lines.push(
              '',
              `window ${timeOf(results[0].windowStartTime)} … ${timeOf(results[0].windowEndTime)}`,
            );
          }
          for (const u of report.untested)
            lines.push(c.yellow(`untested: ${u.feature}${u.segment ? ` [${u.segment}]` : ''}: ${u.reason}`));
          return lines.join('\n');
        },
      );
    },
  );
}

/** KS and chi-square drift when their p-value falls to the threshold; the others when the statistic passes it. */
function judgedByPValue(kind: DriftTestKind): boolean {
  return kind === DriftTestKind.KS || kind === DriftTestKind.CHI_SQUARE;
}

/** The statistic of one test of one feature over its last `n` windows, oldest first. */
function trendOf(history: DriftResult[], feature: string, kind: DriftTestKind, n: number): number[] {
  return history
    .filter((r) => r.feature === feature && r.segment === '')
    .sort((a, b) => ms(a) - ms(b))
    .slice(-n)
    .map((r) => r.tests.find((t) => t.kind === kind)?.statistic ?? 0);
}

function ms(r: DriftResult): number {
  return r.windowEndTime ? timestampMs(r.windowEndTime) : 0;
}

/**
 * The window's distribution beside the reference's: numeric bins drawn on the reference's axis
 * (values beyond it sit in the outer bins), with the window's own min and max; categories in the
 * reference's order, then the new ones.
 */
function currentChart(result: DriftResult, profile: FeatureProfile | undefined): string {
  const current = result.current;
  const d = profile?.distribution;
  if (current.case === 'currentNumeric') {
    const { binEdges, binCounts, min, max } = current.value;
    const lo = d?.case === 'numeric' ? d.value.min : (binEdges[0] ?? min);
    const hi = d?.case === 'numeric' ? d.value.max : (binEdges.at(-1) ?? max);
    return `${min.toPrecision(3)} ${sparkline(densityCells(binEdges, binCounts.map(Number), lo, hi, 16))} ${max.toPrecision(3)}`;
  }
  if (current.case === 'currentCategorical') {
    const order = d?.case === 'categorical' ? categoriesByCount(d.value.counts) : [];
    const rest = Object.keys(current.value.counts).filter((c) => !order.includes(c));
    return sparkline([...order, ...rest].slice(0, 16).map((c) => Number(current.value.counts[c] ?? 0n)));
  }
  return '';
}

function categoriesByCount(counts: Record<string, bigint>): string[] {
  return Object.keys(counts).sort((a, b) => Number((counts[b] ?? 0n) - (counts[a] ?? 0n)));
}

/** The reference distribution as a sparkline: numeric bins, or categories by count. */
function referenceChart(profile: FeatureProfile | undefined): string {
  const d = profile?.distribution;
  if (d?.case === 'numeric') {
    const { min, max, binEdges, binCounts } = d.value;
    return `${min.toPrecision(3)} ${sparkline(densityCells(binEdges, binCounts.map(Number), min, max, 16))} ${max.toPrecision(3)}`;
  }
  if (d?.case === 'categorical') {
    const counts = Object.values(d.value.counts)
      .map(Number)
      .sort((a, b) => b - a);
    return sparkline(counts.slice(0, 16));
  }
  return '';
}
