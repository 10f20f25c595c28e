import { ArtifactFormat } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { describe, expect, it } from 'vitest';
import { artifactBytes, rejection, startRegistry } from './registry-harness.ts';

describe('ResolveModelUri', () => {
  it.each([
    '',
    'weather',
    'models:/',
    'models:/weather',
    'models:/weather/',
    'models:/weather/0',
    'models:/weather/-1',
    'models:/weather/latest',
    'models:/weather@',
    'models:/weather@1',
    'models:/Weather@champion',
    'model:/weather@champion',
    'models:/weather@champion/2',
    's3://bucket/weather',
  ])('refuses %j with INVALID_ARGUMENT naming uri', async (uri) => {
    const { client } = await startRegistry();
    const error = await rejection(client.resolveModelUri({ uri }), 'invalid_argument', 'uri');
    expect(error.message).toMatch(/^uri: /);
  });

  it('answers NOT_FOUND for an unknown model, alias or version', async () => {
    const { client } = await startRegistry();
    await client.registerVersion({
      requestId: 'r1',
      modelName: 'weather',
      artifactSource: { case: 'artifactBytes', value: artifactBytes('v1') },
      format: ArtifactFormat.ONNX,
    });
    const model = await rejection(client.resolveModelUri({ uri: 'models:/rain@champion' }), 'not_found');
    expect(model.message).toContain('"rain"');
    const alias = await rejection(client.resolveModelUri({ uri: 'models:/weather@champion' }), 'not_found');
    expect(alias.message).toContain('alias "champion"');
    const version = await rejection(client.resolveModelUri({ uri: 'models:/weather/2' }), 'not_found');
    expect(version.message).toContain('no version 2');
    expect((await client.resolveModelUri({ uri: 'models:/weather/1' })).version?.version).toBe(1n);
  });
});
