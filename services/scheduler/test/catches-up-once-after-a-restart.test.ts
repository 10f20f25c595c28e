// biome-ignore-all lint/suspicious/noTemplateCurlyInString: schedule templates are ${…} in plain strings
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { PipelineRunRequestedSchema } from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import { waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { fakeClock, hour, retrainSpec, startScheduler } from './scheduler-harness.ts';

describe('a scheduler that was down', () => {
  it('fires each schedule once for the latest tick it missed, then goes on', async () => {
    const clock = fakeClock('2024-05-20T10:30:00Z');
    const before = await startScheduler({ clock });
    await before.client.createPipeline({ pipeline: { name: 'retrain-weather', spec: retrainSpec() } });
    await before.client.createSchedule({
      schedule: {
        name: 'hourly',
        pipelineName: 'retrain-weather',
        cron: '0 * * * *',
        parameters: { model_name: 'weather', tick_time: '${schedule.tick_time}' },
      },
    });
    await before.stop();

    clock.advance(5 * hour); // 11:00 … 15:00 pass while it is down
    const after = await startScheduler({ clock, dataDir: before.service.dataDir });
    try {
      const runs = () => after.events(PipelineRunRequestedSchema).map((e) => e.payload);
      await waitFor(
        async () => {
          const { schedule } = await after.client.getSchedule({ scheduleName: 'hourly' });
          return timestampDate(schedule!.nextRunTime!).toISOString() === '2024-05-20T16:00:00.000Z';
        },
        { what: 'the catch-up tick' },
      );
      const [run] = await waitFor(() => runs().length === 1 && runs());
      expect(run?.parameters).toMatchObject({ tick_time: '2024-05-20T15:00:00.000Z' });

      clock.advance(hour);
      const all = await waitFor(() => runs().length === 2 && runs(), { what: 'the 16:00 tick' });
      expect(all[1]?.parameters).toMatchObject({ tick_time: '2024-05-20T16:00:00.000Z' });
    } finally {
      await after.stop();
    }
  });
});
