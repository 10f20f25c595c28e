import { timestampMs } from '@bufbuild/protobuf/wkt';
import { ArtifactFormat, Stage } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { describe, expect, it } from 'vitest';
import { artifactBytes, rejection, startRegistry } from './registry-harness.ts';

describe('stage history', () => {
  it('answers every stage move with who, when and why, per version or for the model, newest first and paged', async () => {
    const { client } = await startRegistry();
    for (let i = 1; i <= 2; i++) {
      await client.registerVersion({
        requestId: `r${i}`,
        modelName: 'weather',
        artifactSource: { case: 'artifactBytes', value: artifactBytes(`weather ${i}`) },
        format: ArtifactFormat.ONNX,
      });
    }
    const before = Date.now();
    await client.transitionStage({
      modelName: 'weather',
      modelVersion: 1n,
      stage: Stage.STAGING,
      reason: 'try it',
    });
    await client.transitionStage({
      modelName: 'weather',
      modelVersion: 1n,
      stage: Stage.PRODUCTION,
      reason: 'ship',
    });
    await client.transitionStage({
      modelName: 'weather',
      modelVersion: 2n,
      stage: Stage.PRODUCTION,
      archiveExistingVersions: true,
      reason: 'v2 is better',
    });
    // A move to the stage it is in already is no move.
    await client.transitionStage({ modelName: 'weather', modelVersion: 2n, stage: Stage.PRODUCTION });

    const one = await client.getStageHistory({ modelName: 'weather', modelVersion: 1n });
    expect(one.changes.map((c) => [c.previousStage, c.stage, c.reason])).toEqual([
      [Stage.PRODUCTION, Stage.ARCHIVED, 'archived as version 2 moved to PRODUCTION'],
      [Stage.STAGING, Stage.PRODUCTION, 'ship'],
      [Stage.NONE, Stage.STAGING, 'try it'],
    ]);
    for (const change of one.changes) {
      expect(change.principal).toMatchObject({ subject: 'local', team: 'default' });
      expect(timestampMs(change.changeTime!)).toBeGreaterThanOrEqual(before - 1000);
    }

    const all = await client.getStageHistory({ modelName: 'weather' });
    expect(all.changes).toHaveLength(4);
    expect(all.changes.filter((c) => c.modelVersion === 2n).map((c) => c.reason)).toEqual(['v2 is better']);

    // Paged: two then two, the same changes in the same order.
    const first = await client.getStageHistory({ modelName: 'weather', pageSize: 2 });
    expect(first.nextPageToken).not.toBe('');
    const second = await client.getStageHistory({
      modelName: 'weather',
      pageSize: 2,
      pageToken: first.nextPageToken,
    });
    expect(second.nextPageToken).toBe('');
    expect([...first.changes, ...second.changes]).toEqual(all.changes);

    await rejection(
      client.getStageHistory({ modelName: 'weather', modelVersion: 1n, pageToken: first.nextPageToken }),
      'invalid_argument',
      'page_token',
    );
    await rejection(client.getStageHistory({ modelName: 'weather', modelVersion: 9n }), 'not_found');
    await rejection(client.getStageHistory({ modelName: 'nope' }), 'not_found');
  });
});
