import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { parsePrometheusText, sampleSum, uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import {
  championDeployment,
  type Stack,
  startStack,
  v1Model,
  v2Model,
  weatherModel,
} from './serving-harness.ts';

/** Resolves once deployment `weather` answers ModelMetadata with `version` only. */
async function serves(stack: Stack, version: string): Promise<void> {
  await waitFor(
    async () => (await stack.inference.modelMetadata({ name: 'weather' })).versions.join() === version,
    { what: `ModelMetadata versions == ["${version}"]`, timeoutMs: 60_000 },
  );
}

describe('the loop lead time', () => {
  it('observes drift → serving once, when a version a drift-triggered run produced goes live, and nothing for others', async () => {
    const stack = await startStack();
    const model = uniqueName('weather');
    await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', 1n);
    await stack.serving.createDeployment({ deployment: championDeployment('weather', model) });
    await serves(stack, '1');

    // Monitoring detected the drift 90 s ago (the event's CloudEvent time); the retrain registered v2.
    const detectedAt = Date.now() - 90_000;
    await stack.register(model, v2Model, {
      pipelineRunId: 'run-after-drift',
      triggerEvent: {
        id: 'drift-1',
        type: 'drift.detected',
        source: 'flywheel/monitoring',
        subject: model,
        time: timestampFromMs(detectedAt),
      },
    });
    const aliasMovedAt = Date.now();
    await stack.setAlias(model, 'champion', 2n);
    await serves(stack, '2');
    const seenServingAt = Date.now();

    // A version no trigger produced (registered by hand) is not a loop: no observation.
    await stack.register(model, weatherModel([-0.5, 0.2, 0.4], 0.1));
    await stack.setAlias(model, 'champion', 3n);
    await serves(stack, '3');

    const samples = parsePrometheusText(await (await fetch(`${stack.http}/metrics`)).text());
    const labels = { model, trigger_event: 'drift.detected', service: 'serving' };
    expect(sampleSum(samples, 'flywheel_loop_lead_time_seconds_count')).toBe(1);
    expect(sampleSum(samples, 'flywheel_loop_lead_time_seconds_count', labels)).toBe(1);
    // Swapped in after the alias moved and before ModelMetadata showed it: the value lies in between.
    const seconds = sampleSum(samples, 'flywheel_loop_lead_time_seconds_sum', labels);
    expect(seconds).toBeGreaterThanOrEqual((aliasMovedAt - detectedAt) / 1000);
    expect(seconds).toBeLessThanOrEqual((seenServingAt - detectedAt) / 1000);
    expect(sampleSum(samples, 'flywheel_loop_lead_time_seconds_bucket', { ...labels, le: '60' })).toBe(0);
    expect(sampleSum(samples, 'flywheel_loop_lead_time_seconds_bucket', { ...labels, le: '+Inf' })).toBe(1);
  });
});
