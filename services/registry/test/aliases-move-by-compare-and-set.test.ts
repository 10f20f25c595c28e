import { ModelAliasChangedSchema } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { ArtifactFormat } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import {
  artifactBytes,
  eventIdsOf,
  eventsOf,
  type RegistryClient,
  rejection,
  startRegistry,
} from './registry-harness.ts';

async function registerVersions(client: RegistryClient, modelName: string, count: number): Promise<void> {
  for (let i = 1; i <= count; i++) {
    await client.registerVersion({
      requestId: `r${i}`,
      modelName,
      team: 'forecasting',
      artifactSource: { case: 'artifactBytes', value: artifactBytes(`${modelName} ${i}`) },
      format: ArtifactFormat.ONNX,
    });
  }
}

describe('aliases', () => {
  it('moves champion by compare-and-set, records who/when/from→to, and emits each change once', async () => {
    const { client, bus } = await startRegistry();
    await registerVersions(client, 'weather', 3);

    const created = await client.setAlias({
      modelName: 'weather',
      alias: 'champion',
      modelVersion: 1n,
      expectedCurrentVersion: 0n,
      reason: 'first model',
    });
    expect(created.change).toMatchObject({
      alias: 'champion',
      previousVersion: 0n,
      modelVersion: 1n,
      reason: 'first model',
    });
    expect(created.model?.aliases).toEqual({ champion: 1n });

    // A promotion that read an outdated champion loses, and changes nothing.
    await client.setAlias({
      modelName: 'weather',
      alias: 'champion',
      modelVersion: 2n,
      expectedCurrentVersion: 1n,
      reason: 'auc 0.86 > 0.81',
    });
    const stale = await rejection(
      client.setAlias({
        modelName: 'weather',
        alias: 'champion',
        modelVersion: 3n,
        expectedCurrentVersion: 1n,
      }),
      'failed_precondition',
      'expected_current_version',
    );
    expect(stale.message).toContain('points at version 2');
    await rejection(
      client.setAlias({
        modelName: 'weather',
        alias: 'champion',
        modelVersion: 3n,
        expectedCurrentVersion: 0n,
      }),
      'failed_precondition',
      'expected_current_version',
    );
    expect((await client.getModel({ modelName: 'weather' })).model?.aliases).toEqual({ champion: 2n });

    // Re-setting the alias where it already is (a retried promotion) succeeds without a new change.
    const again = await client.setAlias({
      modelName: 'weather',
      alias: 'champion',
      modelVersion: 2n,
      expectedCurrentVersion: 1n,
    });
    expect(again.change).toMatchObject({ previousVersion: 1n, modelVersion: 2n, reason: 'auc 0.86 > 0.81' });

    await client.setAlias({ modelName: 'weather', alias: 'staging', modelVersion: 3n });
    const deleted = await client.deleteAlias({ modelName: 'weather', alias: 'staging', reason: 'done' });
    expect(deleted.change).toMatchObject({ alias: 'staging', previousVersion: 3n, modelVersion: 0n });
    expect(deleted.model?.aliases).toEqual({ champion: 2n });
    await rejection(client.deleteAlias({ modelName: 'weather', alias: 'staging' }), 'not_found');
    await rejection(
      client.setAlias({ modelName: 'weather', alias: 'champion', modelVersion: 9n }),
      'not_found',
    );
    await rejection(client.setAlias({ modelName: 'nope', alias: 'champion', modelVersion: 1n }), 'not_found');

    const history = await client.getAliasHistory({ modelName: 'weather', alias: 'champion' });
    expect(history.changes.map((c) => [c.previousVersion, c.modelVersion, c.reason])).toEqual([
      [1n, 2n, 'auc 0.86 > 0.81'],
      [0n, 1n, 'first model'],
    ]);
    expect(history.changes[0]?.principal).toMatchObject({ subject: 'local', team: 'default' });
    expect(history.changes[0]?.changeTime?.seconds).toBeGreaterThan(0n);
    const all = await client.getAliasHistory({ modelName: 'weather' });
    expect(all.changes.map((c) => `${c.alias}:${c.previousVersion}>${c.modelVersion}`)).toEqual([
      'staging:3>0',
      'staging:0>3',
      'champion:1>2',
      'champion:0>1',
    ]);

    const events = await waitFor(() => {
      const seen = eventsOf(bus, ModelAliasChangedSchema);
      return seen.length >= 4 && seen;
    });
    expect(events.map((e) => `${e.alias}:${e.previousVersion}>${e.modelVersion}`)).toEqual([
      'champion:0>1',
      'champion:1>2',
      'staging:0>3',
      'staging:3>0',
    ]);
    expect(events[1]).toMatchObject({ modelName: 'weather', team: 'forecasting', reason: 'auc 0.86 > 0.81' });
    expect(new Set(eventIdsOf(bus, ModelAliasChangedSchema)).size).toBe(4);
  });

  it('lets exactly one of two racing promotions with the same expected version win', async () => {
    const { client } = await startRegistry();
    await registerVersions(client, 'weather', 3);
    await client.setAlias({ modelName: 'weather', alias: 'champion', modelVersion: 1n });
    const outcomes = await Promise.allSettled([
      client.setAlias({
        modelName: 'weather',
        alias: 'champion',
        modelVersion: 2n,
        expectedCurrentVersion: 1n,
      }),
      client.setAlias({
        modelName: 'weather',
        alias: 'champion',
        modelVersion: 3n,
        expectedCurrentVersion: 1n,
      }),
    ]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const history = await client.getAliasHistory({ modelName: 'weather', alias: 'champion' });
    expect(history.changes).toHaveLength(2);
  });

  it('keeps and pages a long history, newest first', async () => {
    const { client } = await startRegistry();
    await registerVersions(client, 'busy', 2);
    const moves = 250;
    for (let i = 0; i < moves; i++) {
      await client.setAlias({
        modelName: 'busy',
        alias: 'champion',
        modelVersion: BigInt((i % 2) + 1),
        reason: `move ${i}`,
      });
    }
    await client.setAlias({ modelName: 'busy', alias: 'other', modelVersion: 1n, reason: 'other' });

    const reasons: string[] = [];
    let pageToken = '';
    do {
      const page = await client.getAliasHistory({
        modelName: 'busy',
        alias: 'champion',
        pageSize: 40,
        pageToken,
      });
      reasons.push(...page.changes.map((c) => c.reason));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(reasons).toEqual(Array.from({ length: moves }, (_, i) => `move ${moves - 1 - i}`));
    expect((await client.getAliasHistory({ modelName: 'busy', pageSize: 1 })).changes[0]?.reason).toBe(
      'other',
    );
  });
});
