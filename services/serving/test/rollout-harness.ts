import { uniqueName } from '@flywheel/testing';
import {
  championDeployment,
  contentsRequest,
  type Stack,
  v1Model,
  v2Model,
  weatherModel,
} from './serving-harness.ts';

/** A candidate that needs an input clients do not send ("humidity"): every request it gets fails. */
export const brokenModel = {
  ...weatherModel([-0.8, 0.3, 0.9], -0.2),
  featureNames: ['temp_max', 'temp_min', 'humidity'],
};

/**
 * Registers v1 and v2 (or `candidate` as v2) of a fresh model, champion on v1, and deploys it as
 * `name`; returns the model name.
 */
export async function deployTwoVersions(
  stack: Stack,
  name: string,
  options: { candidate?: typeof v2Model; extra?: Record<string, unknown> } = {},
): Promise<string> {
  const model = uniqueName('weather');
  await stack.register(model, v1Model);
  await stack.register(model, options.candidate ?? v2Model);
  await stack.setAlias(model, 'champion', 1n);
  await stack.serving.createDeployment({ deployment: championDeployment(name, model, options.extra) });
  return model;
}

/** Sends `count` requests; returns the version that answered each (or "error"). */
export async function versionsServing(
  stack: Stack,
  name: string,
  count: number,
  request: (i: number) => ReturnType<typeof contentsRequest> & Record<string, unknown> = () =>
    contentsRequest(name),
): Promise<string[]> {
  const versions: string[] = [];
  for (let i = 0; i < count; i += 16) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(16, count - i) }, (_, j) =>
        stack.inference.modelInfer(request(i + j)).then(
          (response) => response.modelVersion,
          () => 'error',
        ),
      ),
    );
    versions.push(...batch);
  }
  return versions;
}

/** Share of `values` equal to `value`. */
export function shareOf(values: readonly string[], value: string): number {
  return values.filter((v) => v === value).length / values.length;
}
