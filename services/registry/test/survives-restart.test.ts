import {
  ModelAliasChangedSchema,
  ModelVersionRegisteredSchema,
} from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { ArtifactFormat } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { artifactBytes, eventsOf, sha256Hex, startRegistry } from './registry-harness.ts';

describe('a restarted registry', () => {
  it('keeps models, versions, artifacts, aliases and history on the same data dir, and keeps counting', async () => {
    const first = await startRegistry();
    const bytes = artifactBytes('weather v1');
    await first.client.registerVersion({
      requestId: 'run-1/register',
      modelName: 'weather',
      artifactSource: { case: 'artifactBytes', value: bytes },
      format: ArtifactFormat.ONNX,
      metrics: { auc: 0.81 },
    });
    await first.client.setAlias({
      modelName: 'weather',
      alias: 'champion',
      modelVersion: 1n,
      reason: 'first',
    });
    await waitFor(() => eventsOf(first.bus, ModelAliasChangedSchema).length === 1);
    await first.stop();

    const second = await startRegistry({ dataDir: first.service.dataDir });
    const resolved = await second.client.resolveModelUri({ uri: 'models:/weather@champion' });
    expect(resolved.version).toMatchObject({
      version: 1n,
      metrics: { auc: 0.81 },
      requestId: 'run-1/register',
    });
    expect(resolved.version?.artifact?.blob?.sha256).toBe(sha256Hex(bytes));
    const history = await second.client.getAliasHistory({ modelName: 'weather' });
    expect(history.changes.map((c) => c.reason)).toEqual(['first']);

    const chunks = [];
    for await (const m of second.client.downloadArtifact({ modelName: 'weather', modelVersion: 1n }))
      chunks.push(m.chunk);
    expect(sha256Hex(Buffer.concat(chunks))).toBe(sha256Hex(bytes));

    // The request_id mapping survived too, and numbering goes on.
    const retry = await second.client.registerVersion({
      requestId: 'run-1/register',
      modelName: 'weather',
      artifactSource: { case: 'artifactBytes', value: bytes },
      format: ArtifactFormat.ONNX,
    });
    expect(retry).toMatchObject({ created: false, version: { version: 1n } });
    const next = await second.client.registerVersion({
      requestId: 'run-2/register',
      modelName: 'weather',
      artifactSource: { case: 'artifactBytes', value: artifactBytes('weather v2') },
      format: ArtifactFormat.ONNX,
    });
    expect(next).toMatchObject({ created: true, version: { version: 2n } });
    // The new process announces only what it registered.
    await waitFor(() => eventsOf(second.bus, ModelVersionRegisteredSchema).length >= 1);
    expect(eventsOf(second.bus, ModelVersionRegisteredSchema).map((e) => e.modelVersion)).toEqual([2n]);
  });
});
