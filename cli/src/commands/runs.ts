import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { isAppError } from '@flywheel/core';
import { PipelineSpecSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import {
  AdmissionState,
  type Job,
  LogStream,
  OrchestratorService,
  type Run,
  RunSchema,
  RunState,
  StepState,
} from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { PipelineSchema, SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import type { Command } from 'commander';
import type { Cli } from '../cli-context.ts';
import { CliError, exitCodes } from '../exit-codes.ts';
import { fields, table } from '../output/output.ts';
import { enumName, jsonOf, timeOf } from '../output/proto-json.ts';
import type { Run as RunCommand } from '../program.ts';
import { readMessageFile } from './message-file.ts';
import { allPages } from './paging.ts';
import { runCompareCommand } from './run-compare.ts';

const finalStates: ReadonlySet<RunState> = new Set([RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED]);

/** `flywheel pipelines …` (scheduler's definitions) and `flywheel runs …` (orchestrator's runs). */
export function pipelineCommands(program: Command, run: RunCommand): void {
  const pipelines = program.command('pipelines').description('pipeline definitions (scheduler)');
  run(
    pipelines
      .command('apply')
      .description('create a pipeline, or give an existing one a new revision, from a YAML/JSON file')
      .requiredOption('-f, --file <file>', 'a flywheel.scheduler.v1.Pipeline: name, team, description, spec'),
    async (cli: Cli, options: { file: string }) => {
      const pipeline = readMessageFile(PipelineSchema, options.file);
      const scheduler = await cli.services().client(SchedulerService, 'scheduler');
      let applied: typeof pipeline | undefined;
      let verb = 'created';
      try {
        applied = (await scheduler.createPipeline({ pipeline })).pipeline;
      } catch (error) {
        if (!isAppError(error, 'already_exists')) throw error;
        verb = 'updated';
        applied = (
          await scheduler.updatePipeline({
            pipelineName: pipeline.name,
            ...(pipeline.spec ? { spec: pipeline.spec } : {}),
            ...(pipeline.description ? { description: pipeline.description } : {}),
          })
        ).pipeline;
      }
      const shown = applied ?? pipeline;
      cli.out.result(
        jsonOf(PipelineSchema, shown),
        () =>
          `pipeline ${shown.name} ${verb} (revision ${shown.revision}, ${shown.spec?.steps.length ?? 0} steps)`,
      );
    },
  );
  run(pipelines.command('list').description('list pipelines'), async (cli: Cli) => {
    const scheduler = await cli.services().client(SchedulerService, 'scheduler');
    const list = await allPages(async (pageToken) => {
      const r = await scheduler.listPipelines({ pageToken });
      return { items: r.pipelines, nextPageToken: r.nextPageToken };
    });
    cli.out.result(
      list.map((p) => jsonOf(PipelineSchema, p)),
      () =>
        table(
          ['name', 'team', 'revision', 'steps', 'updated'],
          list.map((p) => [
            p.name,
            p.team,
            String(p.revision),
            (p.spec?.steps ?? []).map((s) => s.name).join(','),
            timeOf(p.audit?.updateTime),
          ]),
        ),
    );
  });
  run(pipelines.command('get <name>').description('show a pipeline'), async (cli: Cli, name: string) => {
    const scheduler = await cli.services().client(SchedulerService, 'scheduler');
    const { pipeline } = await scheduler.getPipeline({ pipelineName: name });
    if (!pipeline) throw new CliError(`the scheduler answered no pipeline "${name}"`, exitCodes.failure);
    cli.out.result(jsonOf(PipelineSchema, pipeline), () =>
      [
        fields([
          ['name', pipeline.name],
          ['team', pipeline.team],
          ['revision', String(pipeline.revision)],
          ['description', pipeline.description],
        ]),
        '',
        table(
          ['step', 'kind', 'depends on'],
          (pipeline.spec?.steps ?? []).map((s) => [
            s.name,
            s.kind.case === 'builtin'
              ? s.kind.value.name
              : s.kind.case === 'command'
                ? s.kind.value.command.join(' ')
                : '',
            s.dependsOn.join(','),
          ]),
        ),
      ].join('\n'),
    );
  });

  const runs = program.command('runs').description('pipeline runs (orchestrator)');
  run(
    runs
      .command('submit [pipeline]')
      .description('start a run of a stored pipeline, or of a spec file (-f), and print its id')
      .option('-f, --file <spec>', 'run this PipelineSpec (YAML/JSON) instead of a stored pipeline')
      .option('--name <name>', 'name of the inline pipeline of -f (default: the file name)')
      .option(
        '-p, --param <name=value...>',
        'run parameters; values are JSON when they parse (numbers, true), else strings',
      )
      .option('--team <team>', 'team the run belongs to (default: the pipeline’s)')
      .option(
        '--queue <queue>',
        'queue the run waits in until its team’s quota has room (default: the default queue)',
      )
      .option('--request-id <id>', 'idempotency key: a retry with the same key returns the same run')
      .option('--experiment <name>', 'experiment the run belongs to (default: the pipeline’s name)')
      .option('--tag <tag...>', 'tags for the run (ListRuns filters by one)')
      .option('--watch', 'then watch it until it ends (as `runs watch`)'),
    async (
      cli: Cli,
      pipeline: string | undefined,
      options: {
        file?: string;
        name?: string;
        param?: string[];
        team?: string;
        queue?: string;
        requestId?: string;
        experiment?: string;
        tag?: string[];
        watch?: boolean;
      },
    ) => {
      if (Boolean(pipeline) === Boolean(options.file)) {
        throw new CliError('give a pipeline name or -f <spec>, not both and not neither', exitCodes.usage);
      }
      const orchestrator = await cli.services().client(OrchestratorService, 'orchestrator');
      const source = options.file
        ? {
            case: 'inlinePipeline' as const,
            value: {
              name: options.name ?? basename(options.file, extname(options.file)),
              spec: readMessageFile(PipelineSpecSchema, options.file),
            },
          }
        : { case: 'pipelineRef' as const, value: { pipelineName: pipeline! } };
      const { run: started, created } = await orchestrator.submitRun({
        pipeline: source,
        parameters: parametersOf(options.param),
        requestId: options.requestId ?? '',
        team: options.team ?? '',
        queue: options.queue ?? '',
        experiment: options.experiment ?? '',
        tags: options.tag ?? [],
      });
      if (!started)
        throw new CliError('the orchestrator answered SubmitRun without a run', exitCodes.failure);
      if (options.watch) {
        if (cli.out.format === 'table')
          cli.out.note(`run ${started.id} ${created ? 'submitted' : 'already submitted'}`);
        await watchRun(cli, started.id);
        return;
      }
      cli.out.result({ created, run: jsonOf(RunSchema, started) }, () => started.id);
    },
  );
  run(
    runs
      .command('list')
      .description('list runs, newest first (or by a metric, with --order-by)')
      .option('--pipeline <name>', 'only runs of this pipeline')
      .option('--experiment <name>', 'only runs of this experiment')
      .option('--tag <tag>', 'only runs carrying this tag')
      .option('--order-by <order>', 'e.g. "metrics.roc_auc desc" (needs --experiment)')
      .option('--limit <n>', 'at most this many', '50'),
    async (
      cli: Cli,
      options: { pipeline?: string; experiment?: string; tag?: string; orderBy?: string; limit: string },
    ) => {
      const orchestrator = await cli.services().client(OrchestratorService, 'orchestrator');
      const list = await allPages(async (pageToken) => {
        const r = await orchestrator.listRuns({
          pageToken,
          pipelineName: options.pipeline ?? '',
          experiment: options.experiment ?? '',
          tag: options.tag ?? '',
          orderBy: options.orderBy ?? '',
        });
        return { items: r.runs, nextPageToken: r.nextPageToken };
      }, Number(options.limit));
      // Sorted by a metric: show it.
      const metric = /^metrics\.(\S+)/.exec(options.orderBy?.trim() ?? '')?.[1];
      cli.out.result(
        list.map((r) => jsonOf(RunSchema, r)),
        () =>
          table(
            [
              'id',
              'pipeline',
              'experiment',
              'state',
              'steps',
              ...(metric ? [metric] : []),
              'created',
              'ended',
            ],
            list.map((r) => [
              r.id,
              r.pipelineName,
              r.experiment,
              colorState(cli, r.state),
              `${r.steps.filter((s) => s.state === StepState.SUCCEEDED).length}/${r.steps.length}`,
              ...(metric ? [r.metrics[metric] === undefined ? '-' : String(r.metrics[metric])] : []),
              timeOf(r.createTime),
              timeOf(r.endTime),
            ]),
          ),
      );
    },
  );
  runCompareCommand(runs, run);
  run(runs.command('get <run>').description('show a run and its steps'), async (cli: Cli, id: string) => {
    const orchestrator = await cli.services().client(OrchestratorService, 'orchestrator');
    const { run: found } = await orchestrator.getRun({ runId: id });
    if (!found) throw new CliError(`the orchestrator answered no run "${id}"`, exitCodes.failure);
    cli.out.result(jsonOf(RunSchema, found), () => runText(cli, found));
  });
  run(
    runs
      .command('watch <run>')
      .description(
        'follow a run’s step states until it ends; exits 0 when it succeeded, 3 when it failed or was cancelled',
      ),
    async (cli: Cli, id: string) => {
      await watchRun(cli, id);
    },
  );
  run(
    runs
      .command('logs <run>')
      .description('print the jobs’ log lines of a run')
      .option('--step <step>', 'only this step')
      .option('-f, --follow', 'keep following until the run ends')
      .option('--tail <lines>', 'only the last lines of each job'),
    async (cli: Cli, id: string, options: { step?: string; follow?: boolean; tail?: string }) => {
      const orchestrator = await cli.services().client(OrchestratorService, 'orchestrator');
      const lines: JsonValue[] = [];
      const stream = orchestrator.streamJobLogs(
        {
          runId: id,
          stepName: options.step ?? '',
          follow: options.follow ?? false,
          tailLines: options.tail ? Number(options.tail) : 0,
        },
        // Following lasts as long as the run; the per-call deadline is for answers, not for this.
        options.follow ? { timeoutMs: 24 * 3600_000 } : {},
      );
      for await (const message of stream) {
        for (const line of message.lines) {
          if (cli.out.format === 'table') {
            const prefix = options.step ? '' : `${line.stepName}: `;
            const text = line.stream === LogStream.STDERR ? cli.out.color.yellow(line.text) : line.text;
            cli.out.result(null, () => `${prefix}${text}`);
          } else {
            lines.push({
              time: timeOf(line.time),
              step: line.stepName,
              attempt: line.attempt,
              stream: enumName(LogStream, line.stream).toLowerCase(),
              text: line.text,
            });
          }
        }
      }
      if (cli.out.format !== 'table') cli.out.result(lines, () => '');
    },
  );
  run(
    runs.command('cancel <run>').description('cancel a run').option('--reason <text>', 'why'),
    async (cli: Cli, id: string, options: { reason?: string }) => {
      const orchestrator = await cli.services().client(OrchestratorService, 'orchestrator');
      const { run: cancelled } = await orchestrator.cancelRun({ runId: id, reason: options.reason ?? '' });
      if (!cancelled)
        throw new CliError('the orchestrator answered CancelRun without a run', exitCodes.failure);
      cli.out.result(jsonOf(RunSchema, cancelled), () => `run ${id}: ${enumName(RunState, cancelled.state)}`);
    },
  );
}

/**
 * Follows WatchRun until the run is final, printing each step state change as it happens
 * (`-o table`) or the final run (`-o json|yaml`). Exit code 3 unless it succeeded.
 */
async function watchRun(cli: Cli, id: string): Promise<void> {
  const orchestrator = await cli.services().client(OrchestratorService, 'orchestrator');
  const seen = new Map<string, StepState>();
  const progress = cli.out.progress(`watching run ${id}`);
  let last: Run | undefined;
  try {
    // A run may take long: the stream's deadline is a day, not the per-call one.
    for await (const { run: update } of orchestrator.watchRun({ runId: id }, { timeoutMs: 24 * 3600_000 })) {
      if (!update) continue;
      last = update;
      for (const step of update.steps) {
        if (seen.get(step.name) === step.state) continue;
        seen.set(step.name, step.state);
        if (cli.out.format === 'table') {
          progress.stop();
          const failure = step.failure?.message ? `  ${step.failure.message}` : '';
          cli.out.result(
            null,
            () =>
              `${timeOf(step.endTime ?? step.startTime) || '                    '}  ${step.name.padEnd(20)} ${colorStep(cli, step.state)}${failure}`,
          );
        }
      }
      progress.update(`run ${id}: ${enumName(RunState, update.state)}`);
      if (finalStates.has(update.state)) break;
    }
  } finally {
    progress.stop();
  }
  if (!last) throw new CliError(`the orchestrator sent nothing about run ${id}`, exitCodes.failure);
  const final = last;
  cli.out.result(
    jsonOf(RunSchema, final),
    () =>
      `run ${id} ${colorState(cli, final.state)}${final.failure?.message ? `: ${final.failure.message}` : ''}`,
  );
  if (final.state !== RunState.SUCCEEDED) {
    throw new CliError(`run ${id} ended ${enumName(RunState, final.state)}`, exitCodes.ended_badly);
  }
}

function runText(cli: Cli, run: Run): string {
  return [
    fields([
      ['run', run.id],
      ['pipeline', `${run.pipelineName}${run.pipelineRevision ? ` (revision ${run.pipelineRevision})` : ''}`],
      ['state', colorState(cli, run.state)],
      ['queue', queueText(run)],
      ['waiting', waitText(run)],
      ['failure', run.failure?.message],
      ['trace', run.traceId],
      ['created', timeOf(run.createTime)],
      ['started', timeOf(run.startTime)],
      ['ended', timeOf(run.endTime)],
      ['outputs', run.outputs && Object.keys(run.outputs).length ? JSON.stringify(run.outputs) : ''],
    ]),
    '',
    table(
      ['step', 'state', 'attempts', 'started', 'ended', 'used (last attempt)', 'failure'],
      run.steps.map((s) => [
        s.name,
        colorStep(cli, s.state),
        String(s.attempts.length),
        timeOf(s.startTime),
        timeOf(s.endTime),
        usageText(s.attempts.at(-1)),
        s.failure?.message ?? '',
      ]),
    ),
  ].join('\n');
}

/** `urgent (priority 100), admitted after 5.5 s` */
function queueText(run: Run): string {
  const admission = run.admission;
  if (!run.queue || !admission) return '';
  const since = admission.queuedSince ? timestampDate(admission.queuedSince).getTime() : undefined;
  const admitted = admission.admitTime ? timestampDate(admission.admitTime).getTime() : undefined;
  const waited =
    since !== undefined && admitted !== undefined
      ? `, admitted after ${((admitted - since) / 1000).toFixed(1)} s`
      : '';
  return `${run.queue} (priority ${admission.priority})${waited}`;
}

/** `#2 since 2026-… — capacity: cpu 2 of 2 in use, needs 2`; empty once admitted. */
function waitText(run: Run): string {
  const admission = run.admission;
  if (admission?.state !== AdmissionState.WAITING || run.state !== RunState.QUEUED) return '';
  return `#${admission.position} since ${timeOf(admission.queuedSince)} — ${admission.reason}`;
}

/** `1.02 CPU-s (requested cpu 2), peak 52 MiB, 5.2 s`. */
function usageText(job: Job | undefined): string {
  if (!job?.usage) return '';
  const requested = job.requested?.cpu ? ` (requested cpu ${job.requested.cpu})` : '';
  const mib = Number(job.usage.peakMemoryBytes) / 2 ** 20;
  return `${job.usage.cpuSeconds.toFixed(2)} CPU-s${requested}, peak ${mib.toFixed(0)} MiB, ${job.usage.wallSeconds.toFixed(1)} s`;
}

function colorState(cli: Cli, state: RunState): string {
  const name = enumName(RunState, state);
  if (state === RunState.SUCCEEDED) return cli.out.color.green(name);
  if (state === RunState.FAILED || state === RunState.CANCELLED) return cli.out.color.red(name);
  return cli.out.color.yellow(name);
}

function colorStep(cli: Cli, state: StepState): string {
  const name = enumName(StepState, state);
  if (state === StepState.SUCCEEDED) return cli.out.color.green(name);
  if (state === StepState.FAILED || state === StepState.CANCELLED) return cli.out.color.red(name);
  if (state === StepState.SKIPPED || state === StepState.PENDING) return cli.out.color.dim(name);
  return cli.out.color.yellow(name);
}

/** `--param a=1 --param b=x` → `{a: 1, b: "x"}`; `--param @file.json` merges a JSON object file. */
function parametersOf(list: string[] | undefined): JsonObject {
  const out: JsonObject = {};
  for (const entry of list ?? []) {
    if (entry.startsWith('@')) {
      Object.assign(out, JSON.parse(readFileSync(entry.slice(1), 'utf8')) as JsonObject);
      continue;
    }
    const at = entry.indexOf('=');
    if (at <= 0) throw new CliError(`--param ${entry}: must be name=value`, exitCodes.usage);
    const raw = entry.slice(at + 1);
    let value: JsonValue = raw;
    try {
      value = JSON.parse(raw) as JsonValue;
    } catch {
      // Not JSON: a plain string.
    }
    out[entry.slice(0, at)] = value;
  }
  return out;
}
