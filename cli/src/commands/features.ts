import { toJson } from '@bufbuild/protobuf';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { type Value, ValueSchema } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import {
  FeatureStatus,
  FeatureStoreService,
  FeatureViewSchema,
  TrainingSetSchema,
} from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import type { Command } from 'commander';
import type { Cli } from '../cli-context.ts';
import { CliError, exitCodes } from '../exit-codes.ts';
import { fields, table } from '../output/output.ts';
import { enumName, jsonOf, timeOf } from '../output/proto-json.ts';
import type { Run } from '../program.ts';
import { readEntityRows } from './entity-rows.ts';
import { readMessageFile } from './message-file.ts';
import { allPages } from './paging.ts';

/** `flywheel features …`: the feature store's views and online values. */
export function featureCommands(program: Command, run: Run): void {
  const features = program
    .command('features')
    .description('feature views and online features (feature-store)');
  run(
    features
      .command('apply')
      .description(
        'create or update a feature view from a YAML/JSON file (a flywheel.featurestore.v1.FeatureView)',
      )
      .requiredOption('-f, --file <file>', 'name, entity, features, source, ttl…'),
    async (cli: Cli, options: { file: string }) => {
      const store = await cli.services().client(FeatureStoreService, 'feature-store');
      const { featureView, changed } = await store.applyFeatureView({
        featureView: readMessageFile(FeatureViewSchema, options.file),
      });
      if (!featureView) throw new CliError('the feature store answered without a view', exitCodes.failure);
      cli.out.result(
        { changed, featureView: jsonOf(FeatureViewSchema, featureView) },
        () => `feature view ${featureView.name} ${changed ? 'applied' : 'unchanged'}`,
      );
    },
  );
  run(features.command('list').description('list feature views'), async (cli: Cli) => {
    const store = await cli.services().client(FeatureStoreService, 'feature-store');
    const list = await allPages(async (pageToken) => {
      const r = await store.listFeatureViews({ pageToken });
      return { items: r.featureViews, nextPageToken: r.nextPageToken };
    });
    cli.out.result(
      list.map((v) => jsonOf(FeatureViewSchema, v)),
      () =>
        table(
          ['name', 'team', 'entity', 'features'],
          list.map((v) => [v.name, v.team, v.entity?.name ?? '', v.features.map((f) => f.name).join(',')]),
        ),
    );
  });
  run(features.command('get <view>').description('show a feature view'), async (cli: Cli, name: string) => {
    const store = await cli.services().client(FeatureStoreService, 'feature-store');
    const { featureView } = await store.getFeatureView({ featureViewName: name });
    if (!featureView) throw new CliError(`the feature store answered no view "${name}"`, exitCodes.failure);
    cli.out.result(jsonOf(FeatureViewSchema, featureView), () =>
      fields([
        ['name', featureView.name],
        ['team', featureView.team],
        ['description', featureView.description],
        ['entity', featureView.entity?.name],
        ['features', featureView.features.map((f) => f.name).join(', ')],
      ]),
    );
  });
  run(
    features
      .command('get-online')
      .description('the latest values of features for one entity, from the online store')
      .requiredOption('--feature <view:feature...>', 'features to read, e.g. weather_daily:temp_max')
      .requiredOption('--entity <key=value...>', 'the entity’s join keys, e.g. station=seattle'),
    async (cli: Cli, options: { feature: string[]; entity: string[] }) => {
      const joinKeys = Object.fromEntries(
        options.entity.map((entry) => {
          const at = entry.indexOf('=');
          if (at <= 0) throw new CliError(`--entity ${entry}: must be key=value`, exitCodes.usage);
          return [entry.slice(0, at), { kind: { case: 'stringValue' as const, value: entry.slice(at + 1) } }];
        }),
      );
      const store = await cli.services().client(FeatureStoreService, 'feature-store');
      const answer = await store.getOnlineFeatures({
        features: options.feature,
        entityKeys: [{ joinKeys }],
        includeEventTimes: true,
      });
      const result = answer.results[0];
      const rows = answer.featureNames.map((name, i) => ({
        feature: name,
        value: valueJson(result?.values[i]),
        status: enumName(FeatureStatus, result?.statuses[i] ?? FeatureStatus.UNSPECIFIED),
        // A value not found has no event time (the wire carries the epoch).
        eventTime: result?.statuses[i] === FeatureStatus.PRESENT ? timeOf(result.eventTimes[i]) : '',
      }));
      cli.out.result(rows, () =>
        table(
          ['feature', 'value', 'status', 'event time'],
          rows.map((r) => [r.feature, JSON.stringify(r.value) ?? '', r.status, r.eventTime]),
        ),
      );
    },
  );
  run(
    features
      .command('training-set')
      .description(
        'a point-in-time correct training set: each entity row joined with the features as of its event_time',
      )
      .requiredOption('--feature <view:feature...>', 'features to join, e.g. station_daily:temp_max')
      .requiredOption(
        '--entities <file.csv|file.jsonl>',
        'entity rows: the join keys, event_time (RFC 3339) and pass-through columns such as the label',
      )
      .requiredOption('--join-key <name...>', 'the columns of --entities that are join keys, e.g. station')
      .option('--name <name>', 'a name for it, e.g. rain-2024-05')
      .option('--format <format>', 'jsonl, csv or parquet', 'jsonl')
      .option('--request-id <id>', 'idempotency key: a retry returns the same training set'),
    async (
      cli: Cli,
      options: {
        feature: string[];
        entities: string;
        joinKey: string[];
        name?: string;
        format: string;
        requestId?: string;
      },
    ) => {
      const format = datasetFormats[options.format];
      if (format === undefined)
        throw new CliError(`--format ${options.format}: one of jsonl, csv, parquet`, exitCodes.usage);
      const rows = readEntityRows(options.entities, options.joinKey);
      const store = await cli.services().client(FeatureStoreService, 'feature-store');
      const { trainingSet } = await store.createTrainingSet({
        features: options.feature,
        entityDataframe: { source: { case: 'rows', value: { rows } } },
        format,
        name: options.name ?? '',
        requestId: options.requestId ?? '',
      });
      if (!trainingSet)
        throw new CliError('the feature store answered without a training set', exitCodes.failure);
      cli.out.result(jsonOf(TrainingSetSchema, trainingSet), () =>
        fields([
          ['id', trainingSet.id],
          ['name', trainingSet.name],
          ['rows', String(trainingSet.rowCount)],
          ['columns', trainingSet.columns.join(', ')],
          ['format', enumName(DatasetFormat, trainingSet.format)],
          ['blob', trainingSet.blob?.uri],
          [
            'revisions',
            Object.entries(trainingSet.featureViewRevisions)
              .map(([view, revision]) => `${view}@${revision}`)
              .join(', '),
          ],
        ]),
      );
    },
  );
}

const datasetFormats: Record<string, DatasetFormat> = {
  jsonl: DatasetFormat.JSONL,
  csv: DatasetFormat.CSV,
  parquet: DatasetFormat.PARQUET,
};

function valueJson(value: Value | undefined): unknown {
  if (!value || value.kind.case === undefined) return null;
  return Object.values(toJson(ValueSchema, value) as Record<string, unknown>)[0];
}
