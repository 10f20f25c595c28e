import { ModelVersionRegisteredSchema } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { ArtifactFormat } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import {
  artifactBytes,
  eventIdsOf,
  eventsOf,
  rejection,
  sha256Hex,
  startRegistry,
} from './registry-harness.ts';

describe('RegisterVersion is idempotent on request_id', () => {
  it('answers a retry with the version the first call registered, and announces it once', async () => {
    const { client, bus } = await startRegistry();
    const bytes = artifactBytes('weather');
    const request = {
      requestId: 'run-7/register',
      modelName: 'weather',
      artifactSource: { case: 'artifactBytes' as const, value: bytes },
      format: ArtifactFormat.ONNX,
      metrics: { auc: 0.9 },
    };

    const first = await client.registerVersion(request);
    const retry = await client.registerVersion(request);
    expect(first).toMatchObject({ created: true, version: { version: 1n } });
    expect(retry).toMatchObject({ created: false, version: { version: 1n, requestId: 'run-7/register' } });
    expect(retry.version?.audit?.createTime).toEqual(first.version?.audit?.createTime);

    // The same request_id on another model is another registration.
    const elsewhere = await client.registerVersion({ ...request, modelName: 'weather-eu' });
    expect(elsewhere).toMatchObject({ created: true, version: { modelName: 'weather-eu', version: 1n } });

    // A later registration is a marker: once its event is on the bus, the retry's would be too.
    await client.registerVersion({ ...request, requestId: 'run-8/register' });
    await waitFor(() =>
      eventsOf(bus, ModelVersionRegisteredSchema).some((e) => e.requestId === 'run-8/register'),
    );

    const weather = eventsOf(bus, ModelVersionRegisteredSchema).filter((e) => e.modelName === 'weather');
    expect(weather.map((e) => [e.requestId, e.modelVersion])).toEqual([
      ['run-7/register', 1n],
      ['run-8/register', 2n],
    ]);
    expect(weather[0]?.artifact?.sha256).toBe(sha256Hex(bytes));
    expect(new Set(eventIdsOf(bus, ModelVersionRegisteredSchema)).size).toBe(3);
    expect((await client.getModel({ modelName: 'weather' })).model?.latestVersion).toBe(2n);
  });

  it('refuses a reused request_id with a different artifact, and changes nothing', async () => {
    const { client } = await startRegistry();
    await client.registerVersion({
      requestId: 'run-1/register',
      modelName: 'weather',
      artifactSource: { case: 'artifactBytes', value: artifactBytes('one') },
      format: ArtifactFormat.ONNX,
    });
    const error = await rejection(
      client.registerVersion({
        requestId: 'run-1/register',
        modelName: 'weather',
        artifactSource: { case: 'artifactBytes', value: artifactBytes('two') },
        format: ArtifactFormat.ONNX,
      }),
      'failed_precondition',
      'request_id',
    );
    expect(error.message).toContain('run-1/register');
    expect(error.message).toContain(sha256Hex(artifactBytes('two')));
    expect((await client.getModel({ modelName: 'weather' })).model?.latestVersion).toBe(1n);
  });

  it('answers concurrent calls with one request_id with one version', async () => {
    const { client, bus } = await startRegistry();
    const calls = Array.from({ length: 8 }, () =>
      client.registerVersion({
        requestId: 'same',
        modelName: 'weather',
        artifactSource: { case: 'artifactBytes', value: artifactBytes('same') },
        format: ArtifactFormat.ONNX,
      }),
    );
    const results = await Promise.all(calls);
    expect(results.map((r) => r.version?.version)).toEqual(Array(8).fill(1n));
    expect(results.filter((r) => r.created)).toHaveLength(1);

    await client.registerVersion({
      requestId: 'marker',
      modelName: 'weather',
      artifactSource: { case: 'artifactBytes', value: artifactBytes('marker') },
      format: ArtifactFormat.ONNX,
    });
    await waitFor(() => eventsOf(bus, ModelVersionRegisteredSchema).some((e) => e.requestId === 'marker'));
    expect(eventsOf(bus, ModelVersionRegisteredSchema).map((e) => e.requestId)).toEqual(['same', 'marker']);
  });
});
