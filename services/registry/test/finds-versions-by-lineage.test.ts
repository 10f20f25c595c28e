import { ArtifactFormat } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { describe, expect, it } from 'vitest';
import { artifactBytes, rejection, startRegistry } from './registry-harness.ts';

describe('lineage the other way', () => {
  it('finds the versions that used a training set, a feature service (any or one version) or a code version, paged and by team', async () => {
    const { client } = await startRegistry();
    const register = (modelName: string, team: string, n: number, lineage: object) =>
      client.registerVersion({
        requestId: `${modelName}-${n}`,
        modelName,
        team,
        artifactSource: { case: 'artifactBytes', value: artifactBytes(`${modelName} ${n}`) },
        format: ArtifactFormat.ONNX,
        lineage,
      });
    await register('rain', 'forecasting', 1, {
      trainingSetRef: 'ts_1',
      codeVersion: 'git:aaa',
      featureService: 'rain_model',
      featureServiceVersion: 1n,
    });
    await register('rain', 'forecasting', 2, {
      trainingSetRef: 'ts_2',
      codeVersion: 'git:bbb',
      featureService: 'rain_model',
      featureServiceVersion: 2n,
    });
    await register('wind', 'forecasting', 1, { trainingSetRef: 'ts_2', codeVersion: 'git:aaa' });
    await register('churn', 'growth', 1, { trainingSetRef: 'ts_2', codeVersion: 'git:aaa' });

    const names = (versions: { modelName: string; version: bigint }[]) =>
      versions.map((v) => `${v.modelName}/${v.version}`).sort();
    const find = async (request: object) => names((await client.findVersionsByLineage(request)).versions);

    expect(await find({ lineage: { case: 'trainingSetRef', value: 'ts_2' } })).toEqual([
      'churn/1',
      'rain/2',
      'wind/1',
    ]);
    expect(await find({ lineage: { case: 'trainingSetRef', value: 'ts_2' }, team: 'forecasting' })).toEqual([
      'rain/2',
      'wind/1',
    ]);
    expect(await find({ lineage: { case: 'codeVersion', value: 'git:aaa' } })).toEqual([
      'churn/1',
      'rain/1',
      'wind/1',
    ]);
    expect(await find({ lineage: { case: 'featureService', value: 'rain_model' } })).toEqual([
      'rain/1',
      'rain/2',
    ]);
    expect(
      await find({ lineage: { case: 'featureService', value: 'rain_model' }, featureServiceVersion: 2n }),
    ).toEqual(['rain/2']);
    expect(await find({ lineage: { case: 'trainingSetRef', value: 'ts_none' } })).toEqual([]);

    // Paged: one at a time, every version once.
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await client.findVersionsByLineage({
        lineage: { case: 'codeVersion', value: 'git:aaa' },
        pageSize: 1,
        pageToken,
      });
      expect(page.versions.length).toBeLessThanOrEqual(1);
      seen.push(...names(page.versions));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(seen.sort()).toEqual(['churn/1', 'rain/1', 'wind/1']);

    // A version carries its lineage and aliases as GetVersion answers them.
    await client.setAlias({ modelName: 'rain', alias: 'champion', modelVersion: 2n });
    const [rain2] = (
      await client.findVersionsByLineage({ lineage: { case: 'codeVersion', value: 'git:bbb' } })
    ).versions;
    expect(rain2).toMatchObject({ aliases: ['champion'], lineage: { trainingSetRef: 'ts_2' } });

    await rejection(client.findVersionsByLineage({}), 'invalid_argument', 'lineage');
    await rejection(
      client.findVersionsByLineage({
        lineage: { case: 'codeVersion', value: 'git:aaa' },
        featureServiceVersion: 1n,
      }),
      'invalid_argument',
      'feature_service_version',
    );
    await rejection(
      client.findVersionsByLineage({ lineage: { case: 'trainingSetRef', value: '' } }),
      'invalid_argument',
      'training_set_ref',
    );
  });
});
