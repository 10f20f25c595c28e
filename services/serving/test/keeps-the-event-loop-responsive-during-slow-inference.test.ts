import { uniqueName, waitFor } from '@flywheel/testing';
import { expect, it } from 'vitest';
import { registerOnnx, slowModel } from './runtime-models.ts';
import { championDeployment, float32Bytes, float32sOf, startStack } from './serving-harness.ts';

const width = 512;

it('answers health calls and fires timers while two big inferences run in worker threads', async () => {
  const stack = await startStack();
  const model = uniqueName('slow');
  const version = await registerOnnx(stack, model, slowModel(width, 128));
  await stack.setAlias(model, 'champion', version);
  await stack.serving.createDeployment({
    deployment: championDeployment('slow', model, { runtime: { instanceCount: 2 } }),
  });

  const rows = 512;
  const values = Array.from({ length: rows * width }, (_, i) => Math.floor(i / width));
  let running = 2;
  const big = Array.from({ length: 2 }, () =>
    stack.inference
      .modelInfer({
        modelName: 'slow',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [BigInt(rows), BigInt(width)] }],
        rawInputContents: [float32Bytes(values)],
      })
      .finally(() => running--),
  );
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    let healthAnswers = 0;
    let runningAtLastAnswer = 0;
    await waitFor(
      async () => {
        await stack.inference.serverLive({});
        healthAnswers++;
        runningAtLastAnswer = running;
        return healthAnswers >= 3 && ticks >= 3;
      },
      { what: '3 health answers and 3 timer ticks' },
    );
    // Both inferences were still being computed when the third health call was answered.
    expect(runningAtLastAnswer).toBe(2);
  } finally {
    clearInterval(timer);
  }
  for (const response of await Promise.all(big)) {
    // The weights are the identity: y = x.
    expect(response.outputs[0]).toMatchObject({ name: 'y', shape: [BigInt(rows), BigInt(width)] });
    expect(float32sOf(response.rawOutputContents[0]!)).toEqual(values);
  }
});
