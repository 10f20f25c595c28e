import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { create } from '@bufbuild/protobuf';
import {
  AliasChangeSchema,
  ArtifactFormat,
  ModelSchema,
  type ModelVersion,
  ModelVersionSchema,
  RegistryService,
  Stage,
} from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import type { RpcClient } from '@flywheel/rpc';
import type { Command } from 'commander';
import type { Cli } from '../cli-context.ts';
import { CliError, exitCodes } from '../exit-codes.ts';
import { fields, table } from '../output/output.ts';
import { enumName, jsonOf, pairs, timeOf } from '../output/proto-json.ts';
import type { Run } from '../program.ts';
import { allPages } from './paging.ts';

const chunkBytes = 1024 * 1024;

/** `flywheel models|versions|aliases …`: the registry. */
export function modelCommands(program: Command, run: Run): void {
  const models = program.command('models').description('registered models (registry)');

  run(
    models
      .command('register')
      .description('upload an ONNX file, register it as a new version and point an alias at it, in one go')
      .requiredOption('--file <model.onnx>', 'the ONNX model file')
      .requiredOption('--name <model>', 'model name (created with its first version)')
      .option('--alias <alias>', 'point this alias at the new version (e.g. champion)')
      .option('--team <team>', 'owning team of a new model (default: yours)')
      .option('--description <text>', 'what this version is')
      .option('--metric <name=value...>', 'evaluation metrics, e.g. --metric auc=0.91')
      .option('--tag <key=value...>', 'free-form tags')
      .option(
        '--training-data <file.jsonl|file.csv>',
        'the data it was trained on: uploaded and recorded as its lineage, so monitoring profiles it as the drift reference',
      )
      .option(
        '--request-id <id>',
        'idempotency key (default: derived from the artifact, so a retry registers once)',
      ),
    registerModel,
  );

  run(
    models
      .command('list')
      .description('list models')
      .option('--team <team>', 'only this team')
      .option('--prefix <prefix>', 'only names starting with this'),
    async (cli: Cli, options: { team?: string; prefix?: string }) => {
      const registry = await cli.services().client(RegistryService, 'registry');
      const list = await allPages(async (pageToken) => {
        const r = await registry.listModels({
          pageToken,
          team: options.team ?? '',
          namePrefix: options.prefix ?? '',
        });
        return { items: r.models, nextPageToken: r.nextPageToken };
      });
      cli.out.result(
        list.map((m) => jsonOf(ModelSchema, m)),
        () =>
          table(
            ['name', 'team', 'latest', 'aliases', 'created'],
            list.map((m) => [
              m.name,
              m.team,
              String(m.latestVersion),
              pairs(m.aliases),
              timeOf(m.audit?.createTime),
            ]),
          ),
      );
    },
  );

  run(
    models.command('get <model>').description('show a model and its aliases'),
    async (cli: Cli, name: string) => {
      const registry = await cli.services().client(RegistryService, 'registry');
      const { model } = await registry.getModel({ modelName: name });
      if (!model) throw new CliError(`the registry answered no model for "${name}"`, exitCodes.failure);
      cli.out.result(jsonOf(ModelSchema, model), () =>
        fields([
          ['name', model.name],
          ['team', model.team],
          ['description', model.description],
          ['latest version', String(model.latestVersion)],
          ['aliases', pairs(model.aliases)],
          ['labels', pairs(model.labels)],
          ['created', timeOf(model.audit?.createTime)],
        ]),
      );
    },
  );

  const versions = program.command('versions').description("a model's immutable versions (registry)");
  run(
    versions
      .command('list <model>')
      .description("list a model's versions, newest first")
      .option('--stage <stage>', 'only this stage: none, staging, production, archived'),
    async (cli: Cli, model: string, options: { stage?: string }) => {
      const registry = await cli.services().client(RegistryService, 'registry');
      const stage = options.stage ? stageOf(options.stage) : Stage.UNSPECIFIED;
      const list = await allPages(async (pageToken) => {
        const r = await registry.listVersions({ modelName: model, pageToken, stage });
        return { items: r.versions, nextPageToken: r.nextPageToken };
      });
      cli.out.result(
        list.map((v) => jsonOf(ModelVersionSchema, v)),
        () =>
          table(
            ['version', 'stage', 'aliases', 'metrics', 'sha256', 'created'],
            list.map((v) => [
              String(v.version),
              stageName(v.stage),
              v.aliases.join(','),
              pairs(v.metrics),
              v.artifact?.blob?.sha256.slice(0, 12) ?? '',
              timeOf(v.audit?.createTime),
            ]),
          ),
      );
    },
  );
  run(
    versions.command('get <model> <version>').description('show one version'),
    async (cli: Cli, model: string, version: string) => {
      const registry = await cli.services().client(RegistryService, 'registry');
      const { version: v } = await registry.getVersion({
        modelName: model,
        modelVersion: versionOf(version),
      });
      if (!v) throw new CliError(`the registry answered no version ${model}/${version}`, exitCodes.failure);
      cli.out.result(jsonOf(ModelVersionSchema, v), () => versionFields(v));
    },
  );

  const aliases = program.command('aliases').description('aliases: models:/<name>@<alias> (registry)');
  run(
    aliases
      .command('set <model> <alias> <version>')
      .description('point an alias at a version')
      .option('--reason <text>', 'why, recorded in the alias history')
      .option('--expect <version>', 'only if the alias points at this version now (0: must not exist)'),
    async (
      cli: Cli,
      model: string,
      alias: string,
      version: string,
      options: { reason?: string; expect?: string },
    ) => {
      const registry = await cli.services().client(RegistryService, 'registry');
      const { change } = await registry.setAlias({
        modelName: model,
        alias,
        modelVersion: versionOf(version),
        reason: options.reason ?? '',
        ...(options.expect === undefined ? {} : { expectedCurrentVersion: BigInt(options.expect) }),
      });
      const shown = change ?? create(AliasChangeSchema);
      cli.out.result(
        jsonOf(AliasChangeSchema, shown),
        () =>
          `${model}@${alias} → v${shown.modelVersion}${shown.previousVersion ? ` (was v${shown.previousVersion})` : ''}`,
      );
    },
  );
  run(aliases.command('list <model>').description("a model's aliases"), async (cli: Cli, model: string) => {
    const registry = await cli.services().client(RegistryService, 'registry');
    const { model: m } = await registry.getModel({ modelName: model });
    const rows = Object.entries(m?.aliases ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([alias, version]) => ({ alias, version: Number(version) }));
    cli.out.result(rows, () =>
      table(
        ['alias', 'version'],
        rows.map((r) => [r.alias, r.version]),
      ),
    );
  });
  run(
    aliases
      .command('history <model>')
      .description('every move of the aliases of a model, newest first')
      .option('--alias <alias>', 'only this alias'),
    async (cli: Cli, model: string, options: { alias?: string }) => {
      const registry = await cli.services().client(RegistryService, 'registry');
      const changes = await allPages(async (pageToken) => {
        const r = await registry.getAliasHistory({ modelName: model, alias: options.alias ?? '', pageToken });
        return { items: r.changes, nextPageToken: r.nextPageToken };
      });
      cli.out.result(
        changes.map((c) => jsonOf(AliasChangeSchema, c)),
        () =>
          table(
            ['time', 'alias', 'from', 'to', 'by', 'reason'],
            changes.map((c) => [
              timeOf(c.changeTime),
              c.alias,
              c.previousVersion ? `v${c.previousVersion}` : '-',
              c.modelVersion ? `v${c.modelVersion}` : 'deleted',
              c.principal?.subject ?? '',
              c.reason,
            ]),
          ),
      );
    },
  );
}

interface RegisterOptions {
  file: string;
  name: string;
  alias?: string;
  team?: string;
  description?: string;
  metric?: string[];
  tag?: string[];
  trainingData?: string;
  requestId?: string;
}

async function registerModel(cli: Cli, options: RegisterOptions): Promise<void> {
  const bytes = readFile(options.file, '--file');
  const { readOnnxSignature } = await import('@flywheel/ml');
  let signature: ReturnType<typeof readOnnxSignature>;
  try {
    signature = readOnnxSignature(bytes);
  } catch (error) {
    throw new CliError(
      `--file ${options.file} is not an ONNX model: ${(error as Error).message}`,
      exitCodes.usage,
    );
  }
  const metrics = Object.fromEntries(
    keyValues(options.metric, '--metric').map(([k, v]) => {
      const n = Number(v);
      if (!Number.isFinite(n))
        throw new CliError(`--metric ${k}=${v}: the value must be a number`, exitCodes.usage);
      return [k, n];
    }),
  );
  const registry = await cli.services().client(RegistryService, 'registry');
  const progress = cli.out.progress(`uploading ${options.file} (${bytes.length} bytes)`);
  let version: ModelVersion | undefined;
  let created = false;
  try {
    const artifact = await upload(registry, bytes);
    let trainingSetRef = '';
    if (options.trainingData) {
      progress.update(`uploading training data ${options.trainingData}`);
      trainingSetRef = (await upload(registry, readFile(options.trainingData, '--training-data'))).uri;
    }
    progress.update(`registering ${options.name}`);
    const answer = await registry.registerVersion({
      requestId: options.requestId ?? `cli/${artifact.sha256}`,
      modelName: options.name,
      team: options.team ?? '',
      artifactSource: { case: 'artifactSha256', value: artifact.sha256 },
      format: ArtifactFormat.ONNX,
      signature: {
        inputs: signature.inputs.map(tensorSpec),
        outputs: signature.outputs.map(tensorSpec),
      },
      metrics,
      tags: Object.fromEntries(keyValues(options.tag, '--tag')),
      description: options.description ?? '',
      ...(trainingSetRef ? { lineage: { trainingSetRef } } : {}),
    });
    version = answer.version;
    created = answer.created;
    if (!version)
      throw new CliError('the registry answered RegisterVersion without a version', exitCodes.failure);
    if (options.alias) {
      progress.update(`pointing ${options.name}@${options.alias} at v${version.version}`);
      await registry.setAlias({
        modelName: options.name,
        alias: options.alias,
        modelVersion: version.version,
        reason: 'flywheel models register',
      });
      const { version: updated } = await registry.getVersion({
        modelName: options.name,
        modelVersion: version.version,
      });
      version = updated ?? version;
    }
  } finally {
    progress.stop();
  }
  const shown = version;
  cli.out.result({ created, version: jsonOf(ModelVersionSchema, shown) }, () =>
    [
      `${created ? 'registered' : 'already registered'} ${shown.modelName} v${shown.version}${
        options.alias ? `, ${shown.modelName}@${options.alias} → v${shown.version}` : ''
      }`,
      versionFields(shown),
    ].join('\n'),
  );
}

/** Streams bytes to UploadArtifact in 1 MiB chunks with their SHA-256; resolves the stored blob's digest and URI. */
async function upload(
  registry: RpcClient<(typeof RegistryService)['method']>,
  bytes: Uint8Array,
): Promise<{ sha256: string; uri: string }> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  async function* chunks() {
    for (let offset = 0; offset < bytes.length || offset === 0; offset += chunkBytes) {
      yield { chunk: bytes.subarray(offset, offset + chunkBytes), ...(offset === 0 ? { sha256 } : {}) };
      if (bytes.length === 0) return;
    }
  }
  const { blob } = await registry.uploadArtifact(chunks());
  if (!blob) throw new CliError('the registry answered UploadArtifact without a blob', exitCodes.failure);
  return { sha256: blob.sha256 || sha256, uri: blob.uri || `blob:sha256:${sha256}` };
}

function versionFields(v: ModelVersion): string {
  return fields([
    ['model', v.modelName],
    ['version', String(v.version)],
    ['team', v.team],
    ['stage', stageName(v.stage)],
    ['aliases', v.aliases.join(', ')],
    ['sha256', v.artifact?.blob?.sha256],
    ['inputs', v.signature?.inputs.map((t) => `${t.name} ${t.datatype}[${t.shape.join(',')}]`).join(', ')],
    ['outputs', v.signature?.outputs.map((t) => `${t.name} ${t.datatype}[${t.shape.join(',')}]`).join(', ')],
    ['metrics', pairs(v.metrics)],
    ['training set', v.lineage?.trainingSetRef],
    ['run', v.lineage?.pipelineRunId],
    ['created', timeOf(v.audit?.createTime)],
  ]);
}

function tensorSpec(t: { name: string; datatype: string; shape: readonly number[] | undefined }) {
  return { name: t.name, datatype: t.datatype, shape: (t.shape ?? []).map((d) => BigInt(d)) };
}

function stageName(stage: Stage): string {
  return stage === Stage.UNSPECIFIED ? '' : enumName(Stage, stage).toLowerCase();
}

function stageOf(name: string): Stage {
  const value = Stage[name.toUpperCase() as keyof typeof Stage];
  if (value === undefined || value === Stage.UNSPECIFIED) {
    throw new CliError(`--stage ${name}: must be none, staging, production or archived`, exitCodes.usage);
  }
  return value;
}

/** A version number argument; a usage error otherwise. */
export function versionOf(text: string): bigint {
  if (!/^[1-9][0-9]*$/.test(text))
    throw new CliError(`version "${text}" must be a number ≥ 1`, exitCodes.usage);
  return BigInt(text);
}

export function readFile(path: string, option: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new CliError(`${option} ${path}: ${(error as Error).message}`, exitCodes.failure);
  }
}

function keyValues(list: string[] | undefined, option: string): Array<[string, string]> {
  return (list ?? []).map((entry) => {
    const at = entry.indexOf('=');
    if (at <= 0) throw new CliError(`${option} ${entry}: must be key=value`, exitCodes.usage);
    return [entry.slice(0, at), entry.slice(at + 1)];
  });
}
