import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { ModelVersionRegisteredSchema } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { ArtifactFormat, LineageDirection, Stage } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { artifactBytes, eventsOf, rejection, sha256Hex, startRegistry } from './registry-harness.ts';

const signature = {
  inputs: ['temp_max', 'temp_min', 'wind'].map((name) => ({ name, datatype: 'FP32', shape: [-1n, 1n] })),
  outputs: [{ name: 'probability', datatype: 'FP32', shape: [-1n, 1n] }],
};

describe('registering and resolving versions', () => {
  it('registers v1 and v2, creating the model on the first, and resolves them by alias and by number', async () => {
    const { client, bus } = await startRegistry();
    const v1Bytes = artifactBytes('weather v1', signature);
    const v2Bytes = artifactBytes('weather v2', signature);

    const first = await client.registerVersion({
      requestId: 'run-1/register',
      modelName: 'weather',
      team: 'forecasting',
      artifactSource: { case: 'artifactBytes', value: v1Bytes },
      format: ArtifactFormat.ONNX,
      signature,
      metrics: { auc: 0.81 },
      parameters: { l2: '0.01' },
      tags: { data: 'seattle' },
      lineage: {
        trainingSetRef: 'ts_1',
        pipelineRunId: 'run-1',
        pipelineName: 'retrain-weather',
        codeVersion: 'abc123',
      },
    });
    expect(first.created).toBe(true);
    expect(first.version).toMatchObject({
      modelName: 'weather',
      version: 1n,
      team: 'forecasting',
      stage: Stage.NONE,
      requestId: 'run-1/register',
      metrics: { auc: 0.81 },
      parameters: { l2: '0.01' },
      tags: { data: 'seattle' },
      artifact: {
        format: ArtifactFormat.ONNX,
        blob: {
          sha256: sha256Hex(v1Bytes),
          sizeBytes: BigInt(v1Bytes.length),
          uri: `blob:sha256:${sha256Hex(v1Bytes)}`,
        },
      },
      lineage: {
        trainingSetRef: 'ts_1',
        pipelineRunId: 'run-1',
        pipelineName: 'retrain-weather',
        codeVersion: 'abc123',
      },
    });

    const second = await client.registerVersion({
      requestId: 'run-2/register',
      modelName: 'weather',
      artifactSource: { case: 'artifactBytes', value: v2Bytes },
      format: ArtifactFormat.ONNX,
      signature,
      metrics: { auc: 0.86 },
      lineage: { trainingSetRef: 'ts_2', parentVersions: [{ modelName: 'weather', modelVersion: 1n }] },
    });
    expect(second.version?.version).toBe(2n);
    expect(second.version?.team).toBe('forecasting');

    await client.setAlias({ modelName: 'weather', alias: 'champion', modelVersion: 1n });
    await client.setAlias({ modelName: 'weather', alias: 'challenger', modelVersion: 2n });

    const byAlias = await client.resolveModelUri({ uri: 'models:/weather@champion' });
    expect(byAlias.alias).toBe('champion');
    expect(byAlias.version).toMatchObject({ version: 1n, aliases: ['champion'] });
    expect(byAlias.version?.artifact?.blob?.sha256).toBe(sha256Hex(v1Bytes));
    expect(byAlias.version?.signature?.inputs.map((i) => i.name)).toEqual(['temp_max', 'temp_min', 'wind']);

    const byNumber = await client.resolveModelUri({ uri: 'models:/weather/2' });
    expect(byNumber.alias).toBe('');
    expect(byNumber.version).toMatchObject({ version: 2n, aliases: ['challenger'] });
    expect(byNumber.version?.artifact?.blob?.sha256).toBe(sha256Hex(v2Bytes));

    const model = (await client.getModel({ modelName: 'weather' })).model;
    expect(model).toMatchObject({
      name: 'weather',
      team: 'forecasting',
      latestVersion: 2n,
      aliases: { champion: 1n, challenger: 2n },
    });
    expect(model?.audit?.createdBy?.subject).toBe('local');

    // Each registration is announced once, with what monitoring needs to build its reference.
    const events = await waitFor(() => {
      const seen = eventsOf(bus, ModelVersionRegisteredSchema);
      return seen.length >= 2 && seen;
    });
    expect(events.map((e) => [e.modelName, e.modelVersion])).toEqual([
      ['weather', 1n],
      ['weather', 2n],
    ]);
    expect(events[0]).toMatchObject({
      team: 'forecasting',
      requestId: 'run-1/register',
      metrics: { auc: 0.81 },
      lineage: { trainingSetRef: 'ts_1', pipelineRunId: 'run-1' },
      artifact: { sha256: sha256Hex(v1Bytes), sizeBytes: BigInt(v1Bytes.length) },
    });
    expect(events[0]?.signature?.outputs[0]?.name).toBe('probability');
  });

  it('gets and lists versions newest first, by page and by stage', async () => {
    const { client } = await startRegistry();
    for (let i = 1; i <= 5; i++) {
      await client.registerVersion({
        requestId: `r${i}`,
        modelName: 'churn',
        artifactSource: { case: 'artifactBytes', value: artifactBytes(`churn ${i}`) },
        format: ArtifactFormat.ONNX,
      });
    }
    expect((await client.getVersion({ modelName: 'churn', modelVersion: 3n })).version?.requestId).toBe('r3');

    const pages: bigint[][] = [];
    let pageToken = '';
    do {
      const page = await client.listVersions({ modelName: 'churn', pageSize: 2, pageToken });
      pages.push(page.versions.map((v) => v.version));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(pages).toEqual([[5n, 4n], [3n, 2n], [1n]]);

    await client.transitionStage({ modelName: 'churn', modelVersion: 2n, stage: Stage.PRODUCTION });
    await client.transitionStage({
      modelName: 'churn',
      modelVersion: 4n,
      stage: Stage.PRODUCTION,
      archiveExistingVersions: true,
    });
    const production = await client.listVersions({ modelName: 'churn', stage: Stage.PRODUCTION });
    expect(production.versions.map((v) => v.version)).toEqual([4n]);
    const archived = await client.listVersions({ modelName: 'churn', stage: Stage.ARCHIVED });
    expect(archived.versions.map((v) => v.version)).toEqual([2n]);

    await rejection(client.getVersion({ modelName: 'churn', modelVersion: 6n }), 'not_found');
    await rejection(client.getVersion({ modelName: 'nope', modelVersion: 1n }), 'not_found');
    const stale = await rejection(
      client.listVersions({ modelName: 'churn', pageToken: 'not-a-token' }),
      'invalid_argument',
      'page_token',
    );
    expect(stale.message).toContain('page_token');
  });

  it('creates, gets and lists models by team and prefix, and refuses a duplicate name', async () => {
    const { client } = await startRegistry();
    await client.createModel({
      modelName: 'fraud-a',
      team: 'risk',
      description: 'card fraud',
      labels: { task: 'cls' },
    });
    await client.createModel({ modelName: 'fraud-b', team: 'risk' });
    await client.createModel({ modelName: 'ranker' });

    const duplicate = await rejection(client.createModel({ modelName: 'fraud-a' }), 'already_exists');
    expect(duplicate.message).toContain('fraud-a');

    const fraudA = (await client.getModel({ modelName: 'fraud-a' })).model;
    expect(fraudA).toMatchObject({
      team: 'risk',
      description: 'card fraud',
      labels: { task: 'cls' },
      latestVersion: 0n,
    });
    expect((await client.getModel({ modelName: 'ranker' })).model?.team).toBe('default');

    const first = await client.listModels({ pageSize: 2 });
    expect(first.models.map((m) => m.name)).toEqual(['fraud-a', 'fraud-b']);
    const rest = await client.listModels({ pageSize: 2, pageToken: first.nextPageToken });
    expect(rest.models.map((m) => m.name)).toEqual(['ranker']);
    expect(rest.nextPageToken).toBe('');
    expect((await client.listModels({ team: 'risk' })).models.map((m) => m.name)).toEqual([
      'fraud-a',
      'fraud-b',
    ]);
    expect((await client.listModels({ namePrefix: 'rank' })).models.map((m) => m.name)).toEqual(['ranker']);

    // A version for an existing model must come from its team.
    const wrongTeam = await rejection(
      client.registerVersion({
        requestId: 'x',
        modelName: 'fraud-a',
        team: 'growth',
        artifactSource: { case: 'artifactBytes', value: artifactBytes('x') },
        format: ArtifactFormat.ONNX,
      }),
      'failed_precondition',
      'team',
    );
    expect(wrongTeam.message).toContain('risk');
  });

  it('walks lineage upstream and downstream, and refuses a parent that does not exist', async () => {
    const { client } = await startRegistry();
    const register = (
      model: string,
      requestId: string,
      parents: { modelName: string; modelVersion: bigint }[] = [],
    ) =>
      client.registerVersion({
        requestId,
        modelName: model,
        artifactSource: { case: 'artifactBytes', value: artifactBytes(`${model}/${requestId}`) },
        format: ArtifactFormat.ONNX,
        lineage: { trainingSetRef: `ts_${requestId}`, pipelineRunId: requestId, parentVersions: parents },
      });
    await register('base', 'b1');
    await register('tuned', 't1', [{ modelName: 'base', modelVersion: 1n }]);
    await register('tuned', 't2', [{ modelName: 'tuned', modelVersion: 1n }]);

    const up = await client.getLineage({
      modelName: 'tuned',
      modelVersion: 2n,
      direction: LineageDirection.UPSTREAM,
      depth: 5,
    });
    expect(up.versions.map((v) => `${v.modelName}/${v.version}`).sort()).toEqual([
      'base/1',
      'tuned/1',
      'tuned/2',
    ]);
    expect(
      up.edges
        .map(
          (e) =>
            `${e.parent?.modelName}/${e.parent?.modelVersion}>${e.child?.modelName}/${e.child?.modelVersion}`,
        )
        .sort(),
    ).toEqual(['base/1>tuned/1', 'tuned/1>tuned/2']);

    const down = await client.getLineage({
      modelName: 'base',
      modelVersion: 1n,
      direction: LineageDirection.DOWNSTREAM,
    });
    expect(down.versions.map((v) => `${v.modelName}/${v.version}`).sort()).toEqual(['base/1', 'tuned/1']);
    expect(down.versions.find((v) => v.modelName === 'tuned')?.lineage?.trainingSetRef).toBe('ts_t1');

    const missing = await rejection(
      register('tuned', 't3', [{ modelName: 'base', modelVersion: 9n }]),
      'failed_precondition',
      'lineage.parent_versions[0]',
    );
    expect(missing.message).toContain('no version 9');
  });

  it('keeps the event that started the producing run, with its time, for serving to measure the lead time from', async () => {
    const { client, bus } = await startRegistry();
    const detectedAt = Date.parse('2026-12-02T17:00:00.123Z');
    const triggerEvent = {
      id: 'drift-1',
      type: 'drift.detected',
      source: 'flywheel/monitoring',
      subject: 'weather',
      time: timestampFromMs(detectedAt),
    };
    await client.registerVersion({
      requestId: 'run-9/register',
      modelName: 'weather',
      artifactSource: { case: 'artifactBytes', value: artifactBytes('weather retrained on drift') },
      format: ArtifactFormat.ONNX,
      lineage: { pipelineRunId: 'run-9', triggerEvent },
    });
    await client.setAlias({ modelName: 'weather', alias: 'champion', modelVersion: 1n });
    const { version } = await client.resolveModelUri({ uri: 'models:/weather@champion' });
    expect(version?.lineage?.triggerEvent).toMatchObject(triggerEvent);
    const [registered] = await waitFor(() => {
      const seen = eventsOf(bus, ModelVersionRegisteredSchema);
      return seen.length >= 1 && seen;
    });
    expect(registered?.lineage?.triggerEvent).toMatchObject(triggerEvent);

    const unnamed = (change: Record<string, string>, field: string) =>
      rejection(
        client.registerVersion({
          requestId: `unnamed-${field}`,
          modelName: 'weather',
          artifactSource: { case: 'artifactBytes', value: artifactBytes(field) },
          format: ArtifactFormat.ONNX,
          lineage: { triggerEvent: { ...triggerEvent, ...change } },
        }),
        'invalid_argument',
        field,
      );
    await unnamed({ id: '' }, 'lineage.trigger_event.id');
    await unnamed({ type: '' }, 'lineage.trigger_event.type');
  });
});
