import {
  SchedulerService,
  ScheduleSchema,
  TriggerRuleSchema,
} from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import type { Command } from 'commander';
import type { Cli } from '../cli-context.ts';
import { CliError, exitCodes } from '../exit-codes.ts';
import { table } from '../output/output.ts';
import { jsonOf } from '../output/proto-json.ts';
import type { Run } from '../program.ts';
import { readMessageFile } from './message-file.ts';
import { allPages } from './paging.ts';

/** `flywheel schedules …` and `flywheel triggers …`: when the scheduler requests runs. */
export function scheduleCommands(program: Command, run: Run): void {
  const schedules = program.command('schedules').description('cron schedules of pipelines (scheduler)');
  run(
    schedules
      .command('create')
      .description('create a schedule from a YAML/JSON file (a flywheel.scheduler.v1.Schedule)')
      .requiredOption('-f, --file <file>', 'name, pipeline_name, cron, timezone, parameters…'),
    async (cli: Cli, options: { file: string }) => {
      const scheduler = await cli.services().client(SchedulerService, 'scheduler');
      const { schedule } = await scheduler.createSchedule({
        schedule: readMessageFile(ScheduleSchema, options.file),
      });
      if (!schedule)
        throw new CliError('the scheduler answered CreateSchedule without a schedule', exitCodes.failure);
      cli.out.result(
        jsonOf(ScheduleSchema, schedule),
        () => `schedule ${schedule.name} created: ${schedule.pipelineName} at "${schedule.cron}"`,
      );
    },
  );
  run(
    schedules
      .command('list')
      .description('list schedules')
      .option('--pipeline <name>', 'only this pipeline’s'),
    async (cli: Cli, options: { pipeline?: string }) => {
      const scheduler = await cli.services().client(SchedulerService, 'scheduler');
      const list = await allPages(async (pageToken) => {
        const r = await scheduler.listSchedules({ pageToken, pipelineName: options.pipeline ?? '' });
        return { items: r.schedules, nextPageToken: r.nextPageToken };
      });
      cli.out.result(
        list.map((s) => jsonOf(ScheduleSchema, s)),
        () =>
          table(
            ['name', 'pipeline', 'cron', 'timezone', 'paused'],
            list.map((s) => {
              const json = jsonOf(ScheduleSchema, s) as { paused?: boolean };
              return [s.name, s.pipelineName, s.cron, s.timezone || 'UTC', json.paused ? 'yes' : 'no'];
            }),
          ),
      );
    },
  );
  for (const [verb, what] of [
    ['pause', 'stop a schedule from requesting runs'],
    ['resume', 'let a paused schedule request runs again'],
    ['delete', 'delete a schedule'],
  ] as const) {
    run(schedules.command(`${verb} <name>`).description(what), async (cli: Cli, name: string) => {
      const scheduler = await cli.services().client(SchedulerService, 'scheduler');
      if (verb === 'pause') await scheduler.pauseSchedule({ scheduleName: name });
      else if (verb === 'resume') await scheduler.resumeSchedule({ scheduleName: name });
      else await scheduler.deleteSchedule({ scheduleName: name });
      cli.out.result({ schedule: name, done: verb }, () => `schedule ${name}: ${verb}d`);
    });
  }

  const triggers = program.command('triggers').description('event trigger rules (scheduler)');
  run(
    triggers
      .command('create')
      .description('create a trigger rule from a YAML/JSON file (a flywheel.scheduler.v1.TriggerRule)')
      .requiredOption(
        '-f, --file <file>',
        'name, event_type (or topic), filter, pipeline_name, parameters, cooldown…',
      ),
    async (cli: Cli, options: { file: string }) => {
      const scheduler = await cli.services().client(SchedulerService, 'scheduler');
      const { triggerRule } = await scheduler.createTriggerRule({
        triggerRule: readMessageFile(TriggerRuleSchema, options.file),
      });
      if (!triggerRule)
        throw new CliError('the scheduler answered CreateTriggerRule without a rule', exitCodes.failure);
      cli.out.result(
        jsonOf(TriggerRuleSchema, triggerRule),
        () =>
          `trigger ${triggerRule.name} created: ${triggerRule.eventType || `topic ${triggerRule.topic}`} → ${triggerRule.pipelineName}`,
      );
    },
  );
  run(triggers.command('list').description('list trigger rules'), async (cli: Cli) => {
    const scheduler = await cli.services().client(SchedulerService, 'scheduler');
    const list = await allPages(async (pageToken) => {
      const r = await scheduler.listTriggerRules({ pageToken });
      return { items: r.triggerRules, nextPageToken: r.nextPageToken };
    });
    cli.out.result(
      list.map((t) => jsonOf(TriggerRuleSchema, t)),
      () =>
        table(
          ['name', 'event', 'pipeline', 'cooldown', 'enabled'],
          list.map((t) => {
            const json = jsonOf(TriggerRuleSchema, t) as { cooldown?: string; enabled?: boolean };
            return [
              t.name,
              t.eventType || `topic ${t.topic}`,
              t.pipelineName,
              json.cooldown ?? '',
              json.enabled ? 'yes' : 'no',
            ];
          }),
        ),
    );
  });
  run(
    triggers.command('delete <name>').description('delete a trigger rule'),
    async (cli: Cli, name: string) => {
      const scheduler = await cli.services().client(SchedulerService, 'scheduler');
      await scheduler.deleteTriggerRule({ triggerRuleName: name });
      cli.out.result({ triggerRule: name, done: 'delete' }, () => `trigger ${name}: deleted`);
    },
  );
}
