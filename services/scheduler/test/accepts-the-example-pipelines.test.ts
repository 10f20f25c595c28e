import { readFileSync } from 'node:fs';
import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { PipelineSpecSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SchedulerHarness, startScheduler } from './scheduler-harness.ts';

describe('the example pipelines shipped in examples/pipelines', () => {
  let h: SchedulerHarness;
  beforeAll(async () => {
    h = await startScheduler();
  });
  afterAll(async () => {
    await h.stop();
  });

  it.each(['retrain-weather', 'weekly-ab'])('%s is a valid definition', async (name) => {
    const json = readFileSync(new URL(`../../../examples/pipelines/${name}.json`, import.meta.url), 'utf8');
    const spec = fromJson(PipelineSpecSchema, JSON.parse(json) as JsonValue);
    const { pipeline } = await h.client.createPipeline({ pipeline: { name, spec } });
    expect(pipeline?.spec?.steps.length).toBe(spec.steps.length);
  });
});
