import { join } from 'node:path';
import { createMemoryBus } from '@flywheel/bus';
import { ModelVersionRegisteredSchema } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { ArtifactFormat } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { createEmbeddedStore } from '@flywheel/store';
import { waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { openRegistryCollections, type VersionRecord } from '../src/records/registry-records.ts';
import { artifactBytes, eventsOf, sha256Hex, startRegistry } from './registry-harness.ts';

describe('a registration interrupted after claiming its number', () => {
  it('is finished by the next registry process: the version appears with its event, once, and numbering goes on', async () => {
    const before = await startRegistry();
    await before.client.registerVersion({
      requestId: 'run-1/register',
      modelName: 'weather',
      artifactSource: { case: 'artifactBytes', value: artifactBytes('v1') },
      format: ArtifactFormat.ONNX,
    });
    const v2Blob = await before.blobs.put(artifactBytes('v2'));
    await before.stop();

    // What a registry that crashed right after its claim write leaves: version 2 claimed on the
    // model document, no version document, no event.
    const store = await createEmbeddedStore({ dir: join(before.service.dataDir, 'store', 'registry') });
    const { models } = openRegistryCollections(store);
    const model = await models.get('weather');
    const v1 = (await openRegistryCollections(store).versions.get('weather/1'))!.data;
    const claim: VersionRecord = {
      ...v1,
      version: 2,
      requestId: 'run-2/register',
      artifact: { format: 'ONNX', sha256: v2Blob.sha256, sizeBytes: v2Blob.size },
      eventId: 'claimed-event-id',
    };
    await models.put(
      'weather',
      { ...model!.data, latestVersion: 2, claims: [claim], hasClaims: true },
      { expectedVersion: model!.version },
    );
    await store.close();

    const bus = createMemoryBus();
    const after = await startRegistry({ dataDir: before.service.dataDir, bus });
    const version = await after.client.getVersion({ modelName: 'weather', modelVersion: 2n });
    expect(version.version).toMatchObject({ version: 2n, requestId: 'run-2/register' });
    expect(version.version?.artifact?.blob?.sha256).toBe(sha256Hex(artifactBytes('v2')));

    // The client retrying its interrupted call gets that version, not a new one.
    const retry = await after.client.registerVersion({
      requestId: 'run-2/register',
      modelName: 'weather',
      artifactSource: { case: 'artifactBytes', value: artifactBytes('v2') },
      format: ArtifactFormat.ONNX,
    });
    expect(retry).toMatchObject({ created: false, version: { version: 2n } });
    const next = await after.client.registerVersion({
      requestId: 'run-3/register',
      modelName: 'weather',
      artifactSource: { case: 'artifactBytes', value: artifactBytes('v3') },
      format: ArtifactFormat.ONNX,
    });
    expect(next.version?.version).toBe(3n);

    const events = await waitFor(() => {
      const seen = eventsOf(bus, ModelVersionRegisteredSchema);
      return seen.length >= 2 && seen;
    });
    expect(events.map((e) => [e.modelVersion, e.requestId])).toEqual([
      [2n, 'run-2/register'],
      [3n, 'run-3/register'],
    ]);
    const ids = bus.retained('model.version-registered').map((m) => m.headers.ce_id);
    expect(ids[0]).toBe('claimed-event-id');
  });
});
