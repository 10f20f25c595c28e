import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { weatherDataset } from '@flywheel/example-weather';
import { PipelineSpecSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { RunSource } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import { type Run, RunState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { SchedulerService, ScheduleSchema } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import { loadSchedulerConfig, wireScheduler } from '@flywheel/scheduler';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltinStepsHarness, startBuiltinStepsHarness } from './builtin-steps-harness.ts';

// The weekly A/B pipeline as shipped: examples/pipelines/weekly-ab.json stored in the REAL
// scheduler with the shipped schedule examples/pipelines/weekly-ab.schedule.json (Mondays 00:00
// UTC, start_time = ${schedule.tick_time - P7D}), on a clock the test moves; the REAL orchestrator
// runs what the tick requests against the REAL feature store holding Seattle's 2012–2015 weather.
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const python = process.env.FLYWHEEL_PYTHON ?? 'python3';
const day = 86_400_000;
// Sunday 2014-06-15 12:00 UTC: the next tick is Monday 2014-06-16 00:00; that week had rain on 3 of 7
// days, the held-out weekend (2 of 7 rows) one wet and one dry day, so both models can be compared.
let now = Date.parse('2014-06-15T12:00:00Z');

let harness: BuiltinStepsHarness;
let scheduler: InProcessService;
let client: ReturnType<typeof createRpcClient<(typeof SchedulerService)['method']>>;

beforeAll(async () => {
  harness = await startBuiltinStepsHarness({ orchestrator: true });
  await harness.ingestWeather((await weatherDataset()).filter((row) => row.station === 'seattle'));
  scheduler = await startInProcess('scheduler', {
    load: loadSchedulerConfig,
    wire: (host, config) => wireScheduler(host, config, { now: () => now }),
    shared: { bus: harness.bus },
    env: { FLYWHEEL_SCHEDULER_TICK: '20ms' },
  });
  client = createRpcClient(SchedulerService, { address: scheduler.address });
}, 180_000);

afterAll(async () => {
  client?.close();
  await scheduler?.stop();
  await harness?.close();
});

const example = (file: string): JsonValue =>
  JSON.parse(readFileSync(`${repoRoot}examples/pipelines/${file}`, 'utf8')) as JsonValue;

describe('the weekly A/B pipeline on its shipped weekly schedule', () => {
  it("runs at Monday's tick on exactly the previous 7 days", async () => {
    await client.createPipeline({
      pipeline: { name: 'weekly-ab', spec: fromJson(PipelineSpecSchema, example('weekly-ab.json')) },
    });
    const schedule = fromJson(ScheduleSchema, example('weekly-ab.schedule.json'));
    // Where this deployment's Python and repository are: not the schedule's business.
    schedule.parameters = {
      ...schedule.parameters,
      python,
      repo_dir: repoRoot,
      model_name: 'weather-weekly',
    };
    const created = (await client.createSchedule({ schedule })).schedule;
    expect(created?.nextRunTime && new Date(timestampMs(created.nextRunTime)).toISOString()).toBe(
      '2014-06-16T00:00:00.000Z',
    );

    now += 13 * 3_600_000; // Monday 01:00: the 00:00 tick is due
    const run = await waitFor(
      async () => (await harness.orchestrator!.listRuns({ pipelineName: 'weekly-ab' })).runs[0],
      { timeoutMs: 60_000, intervalMs: 100, what: 'the tick to start a weekly-ab run' },
    );
    expect(run.trigger?.source).toBe(RunSource.SCHEDULE);
    expect(run.parameters).toMatchObject({
      start_time: '2014-06-09T00:00:00.000Z',
      end_time: '2014-06-16T00:00:00.000Z',
    });

    const done = await waitFor(
      async () => {
        const current = (await harness.orchestrator!.getRun({ runId: run.id })).run;
        return current && [RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED].includes(current.state)
          ? current
          : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 200, what: `weekly-ab run ${run.id} to end` },
    );
    expect({ state: RunState[done.state], failure: done.failure?.message ?? '' }).toEqual({
      state: 'SUCCEEDED',
      failure: '',
    });
    expect(done.outputs).toMatchObject({
      model_version: 1,
      promoted: true,
      winner: expect.stringMatching(/^[ab]$/),
    });
    const trainingSetId = stepOutput(done, 'training-set', 'training_set_id');
    const { trainingSet } = await harness.featureStore.getTrainingSet({ trainingSetId });
    // Seattle has one label row a day at midnight: Monday 06-09 … Sunday 06-15, nothing else.
    expect({
      rows: Number(trainingSet?.rowCount),
      first: trainingSet?.minEventTime && new Date(timestampMs(trainingSet.minEventTime)).toISOString(),
      last: trainingSet?.maxEventTime && new Date(timestampMs(trainingSet.maxEventTime)).toISOString(),
    }).toEqual({ rows: 7, first: '2014-06-09T00:00:00.000Z', last: '2014-06-15T00:00:00.000Z' });
    expect(timestampMs(trainingSet!.maxEventTime!) - timestampMs(trainingSet!.minEventTime!)).toBe(6 * day);
  }, 240_000);
});

function stepOutput(run: Run, step: string, key: string): string {
  const value = run.steps.find((s) => s.name === step)?.outputs?.[key];
  if (typeof value !== 'string') throw new Error(`run ${run.id}: step ${step} has no output ${key}`);
  return value;
}
