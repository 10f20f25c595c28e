import { ModelVersionRegisteredSchema } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { ArtifactFormat } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { artifactBytes, eventsOf, startRegistry } from './registry-harness.ts';

describe('version numbers', () => {
  it('gives 10 concurrent registrations of a new model the numbers 1..10, once each, with one event each', async () => {
    const { client, bus } = await startRegistry();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        client.registerVersion({
          requestId: `request-${i}`,
          modelName: 'weather',
          artifactSource: { case: 'artifactBytes', value: artifactBytes(`candidate ${i}`) },
          format: ArtifactFormat.ONNX,
        }),
      ),
    );
    expect(results.every((r) => r.created)).toBe(true);
    const numbers = results.map((r) => Number(r.version?.version)).sort((a, b) => a - b);
    expect(numbers).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    // Each number belongs to the request that got it.
    for (const result of results) {
      const stored = await client.getVersion({ modelName: 'weather', modelVersion: result.version!.version });
      expect(stored.version?.requestId).toBe(result.version?.requestId);
    }
    const listed = await client.listVersions({ modelName: 'weather' });
    expect(listed.versions.map((v) => v.version)).toEqual([10n, 9n, 8n, 7n, 6n, 5n, 4n, 3n, 2n, 1n]);
    expect((await client.getModel({ modelName: 'weather' })).model?.latestVersion).toBe(10n);

    const events = await waitFor(() => {
      const seen = eventsOf(bus, ModelVersionRegisteredSchema);
      return seen.length >= 10 && seen;
    });
    expect(events.map((e) => Number(e.modelVersion)).sort((a, b) => a - b)).toEqual(numbers);
    expect(new Set(events.map((e) => e.requestId)).size).toBe(10);
  });

  it('keeps counting after the concurrent burst, per model', async () => {
    const { client } = await startRegistry();
    const register = (modelName: string, requestId: string) =>
      client.registerVersion({
        requestId,
        modelName,
        artifactSource: { case: 'artifactBytes', value: artifactBytes(`${modelName} ${requestId}`) },
        format: ArtifactFormat.ONNX,
      });
    await Promise.all([register('a', '1'), register('b', '1'), register('a', '2'), register('b', '2')]);
    expect((await register('a', '3')).version?.version).toBe(3n);
    expect((await register('b', '3')).version?.version).toBe(3n);
  });
});
