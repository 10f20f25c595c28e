// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline and rule templates are ${…} in plain strings
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { RunSource } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import { PipelineRunRequestedSchema } from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import { RunRequestStatus } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fakeClock,
  hour,
  minute,
  retrainSpec,
  type SchedulerHarness,
  startScheduler,
} from './scheduler-harness.ts';

const day = 24 * hour;

describe('cron schedules request runs at their ticks', () => {
  let h: SchedulerHarness;
  const runs = () => h.events(PipelineRunRequestedSchema).map((e) => e.payload);
  const nextRunIso = async (name: string) => {
    const { schedule } = await h.client.getSchedule({ scheduleName: name });
    return schedule?.nextRunTime ? timestampDate(schedule.nextRunTime).toISOString() : undefined;
  };

  beforeAll(async () => {
    h = await startScheduler({ clock: fakeClock('2024-05-20T02:59:00Z') });
    await h.client.createPipeline({ pipeline: { name: 'retrain-weather', spec: retrainSpec() } });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('rejects a bad expression, time zone or parameter, naming the field', async () => {
    const base = {
      name: 'bad',
      pipelineName: 'retrain-weather',
      cron: '0 3 * * *',
      parameters: { model_name: 'w' },
    };
    const cases: [Record<string, unknown>, string, string?][] = [
      [{ cron: '61 * * * *' }, 'schedule.cron'],
      [{ cron: '*/5 * * * * *' }, 'schedule.cron', 'must have 5 fields'],
      [{ cron: '0 0 31 2 *' }, 'schedule.cron'],
      [{ timezone: 'Mars/Olympus_Mons' }, 'schedule.timezone'],
      [{ parameters: { model: 'w' } }, 'schedule.parameters.model', 'declares no parameter'],
      [{ parameters: { model_name: '${event.model_name}' } }, 'schedule.parameters.model_name'],
      [
        { parameters: { model_name: 'w', tick_time: '${schedule.tick_time - 7x}' } },
        'schedule.parameters.tick_time',
        '"7x" is not a duration',
      ],
      [
        { parameters: { model_name: 'w', tick_time: '${schedule.tick_time - P1M}' } },
        'schedule.parameters.tick_time',
        'years or months',
      ],
      [
        { parameters: { model_name: '${run.id - 1d}' } },
        'schedule.parameters.model_name',
        'only ${schedule.tick_time} can be shifted',
      ],
    ];
    for (const [change, field, message] of cases) {
      await expect(h.client.createSchedule({ schedule: { ...base, ...change } })).rejects.toMatchObject({
        code: 'invalid_argument',
        field,
        ...(message ? { message: expect.stringContaining(message) } : {}),
      });
    }
    await expect(
      h.client.createSchedule({ schedule: { ...base, pipelineName: 'nope' } }),
    ).rejects.toMatchObject({ code: 'not_found', field: 'schedule.pipeline_name' });
  });

  it('reads the expression in its time zone', async () => {
    const { schedule } = await h.client.createSchedule({
      schedule: {
        name: 'paris-morning',
        pipelineName: 'retrain-weather',
        cron: '0 9 * * MON-FRI',
        timezone: 'Europe/Paris',
        parameters: { model_name: 'w' },
      },
    });
    expect(timestampDate(schedule!.nextRunTime!).toISOString()).toBe('2024-05-20T07:00:00.000Z');
    await h.client.pauseSchedule({ scheduleName: 'paris-morning', reason: 'only checking the zone' });
  });

  it('fires a tick with the pipeline snapshot and templated parameters', async () => {
    const { schedule } = await h.client.createSchedule({
      schedule: {
        name: 'nightly',
        pipelineName: 'retrain-weather',
        cron: '0 3 * * *',
        parameters: { model_name: 'weather', tick_time: '${schedule.tick_time}' },
      },
    });
    expect(timestampDate(schedule!.nextRunTime!).toISOString()).toBe('2024-05-20T03:00:00.000Z');
    expect(runs()).toHaveLength(0);

    h.clock.advance(2 * minute);
    const [run] = await waitFor(() => runs().length === 1 && runs(), { what: 'the 03:00 tick' });
    expect(run).toMatchObject({
      pipelineName: 'retrain-weather',
      pipelineRevision: 1n,
      team: 'default',
      parameters: { model_name: 'weather', tick_time: '2024-05-20T03:00:00.000Z', reason: 'manual' },
      trigger: { source: RunSource.SCHEDULE, scheduleName: 'nightly' },
      principal: { subject: 'service:scheduler', team: 'default' },
    });
    expect(run?.runId).toMatch(/^run_[0-9a-f-]{36}$/);
    expect(run?.spec?.steps.map((s) => s.name)).toEqual([
      'training-set',
      'train',
      'evaluate',
      'register',
      'promote',
    ]);
    expect(await nextRunIso('nightly')).toBe('2024-05-21T03:00:00.000Z');

    const history = await waitFor(async () => {
      const { runRequests } = await h.client.listRunRequests({ scheduleName: 'nightly' });
      return runRequests.length === 1 && runRequests;
    });
    expect(history[0]).toMatchObject({
      id: run?.runRequestId,
      runId: run?.runId,
      status: RunRequestStatus.REQUESTED,
      trigger: { source: RunSource.SCHEDULE, scheduleName: 'nightly' },
    });
  });

  it('after downtime fires once, for the latest missed tick', async () => {
    h.clock.advance(3 * day); // 05-21, 05-22 and 05-23 at 03:00 were missed
    await waitFor(async () => (await nextRunIso('nightly')) === '2024-05-24T03:00:00.000Z', {
      what: 'the catch-up',
    });
    const all = await waitFor(() => runs().length === 2 && runs());
    expect(all[1]?.parameters).toMatchObject({ tick_time: '2024-05-23T03:00:00.000Z' });
  });

  it('runs no tick while paused, and resumes from the next tick', async () => {
    const { schedule } = await h.client.pauseSchedule({ scheduleName: 'nightly', reason: 'maintenance' });
    expect(schedule).toMatchObject({ paused: true, pauseReason: 'maintenance' });
    h.clock.advance(day); // 05-24 03:00 passes while paused
    const resumed = await h.client.resumeSchedule({ scheduleName: 'nightly' });
    expect(resumed.schedule?.paused).toBe(false);
    expect(timestampDate(resumed.schedule!.nextRunTime!).toISOString()).toBe('2024-05-25T03:00:00.000Z');
    h.clock.advance(day);
    const all = await waitFor(() => runs().length === 3 && runs(), { what: 'the 05-25 tick' });
    expect(all[2]?.parameters).toMatchObject({ tick_time: '2024-05-25T03:00:00.000Z' });
  });

  it('lists, gets and deletes schedules', async () => {
    const { schedules } = await h.client.listSchedules({ pipelineName: 'retrain-weather' });
    expect(schedules.map((s) => s.name)).toEqual(['nightly', 'paris-morning']);
    await h.client.deleteSchedule({ scheduleName: 'paris-morning' });
    await expect(h.client.getSchedule({ scheduleName: 'paris-morning' })).rejects.toMatchObject({
      code: 'not_found',
      field: 'schedule_name',
    });
    await expect(h.client.pauseSchedule({ scheduleName: 'paris-morning' })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
