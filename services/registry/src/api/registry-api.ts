import { AppError } from '@flywheel/core';
import {
  ArtifactFormat,
  type FindVersionsByLineageRequest,
  LineageDirection,
  type RegisterVersionRequest,
  type RegistryService,
  Stage,
} from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { type CallContext, type ImplOf, listedTeams } from '@flywheel/rpc';
import type { createDeleteAlias } from '../aliases/delete-alias.ts';
import type { createGetAliasHistory } from '../aliases/get-alias-history.ts';
import type { createSetAlias } from '../aliases/set-alias.ts';
import type { createDownloadArtifact } from '../artifacts/download-artifact.ts';
import type { createUploadArtifact } from '../artifacts/upload-artifact.ts';
import type { createFindVersionsByLineage } from '../lineage/find-versions-by-lineage.ts';
import type { createGetLineage, LineageWalk } from '../lineage/get-lineage.ts';
import type { createCreateModel } from '../models/create-model.ts';
import type { createListModels } from '../models/list-models.ts';
import { readModel, readVersion } from '../records/read-model.ts';
import {
  aliasChangeMessage,
  blobRefMessage,
  modelMessage,
  stageChangeMessage,
  stageName,
  versionMessage,
} from '../records/registry-messages.ts';
import {
  type LineageKey,
  type Pairs,
  type PrincipalRecord,
  type RegistryCollections,
  toPairs,
} from '../records/registry-records.ts';
import type { createGetStageHistory } from '../versions/get-stage-history.ts';
import type { createListVersions } from '../versions/list-versions.ts';
import type { ArtifactSource, createRegisterVersion } from '../versions/register-version.ts';
import type { createResolveModelUri } from '../versions/resolve-model-uri.ts';
import type { createTransitionStage } from '../versions/transition-stage.ts';
import { lineageRecord, metricPairs, safeNumber, signatureRecord } from './version-inputs.ts';

/** The use cases the API maps onto. */
export interface RegistryUseCases {
  createModel: ReturnType<typeof createCreateModel>;
  listModels: ReturnType<typeof createListModels>;
  uploadArtifact: ReturnType<typeof createUploadArtifact>;
  registerVersion: ReturnType<typeof createRegisterVersion>;
  listVersions: ReturnType<typeof createListVersions>;
  setAlias: ReturnType<typeof createSetAlias>;
  deleteAlias: ReturnType<typeof createDeleteAlias>;
  getAliasHistory: ReturnType<typeof createGetAliasHistory>;
  resolveModelUri: ReturnType<typeof createResolveModelUri>;
  transitionStage: ReturnType<typeof createTransitionStage>;
  getLineage: ReturnType<typeof createGetLineage>;
  getStageHistory: ReturnType<typeof createGetStageHistory>;
  findVersionsByLineage: ReturnType<typeof createFindVersionsByLineage>;
  downloadArtifact: ReturnType<typeof createDownloadArtifact>;
}

export interface RegistryApiDeps {
  collections: RegistryCollections;
  useCases: RegistryUseCases;
  /** Who a call acts as. */
  principalOf(ctx: CallContext): PrincipalRecord;
}

const walks: Readonly<Record<LineageDirection, LineageWalk>> = {
  [LineageDirection.UNSPECIFIED]: 'both',
  [LineageDirection.BOTH]: 'both',
  [LineageDirection.UPSTREAM]: 'upstream',
  [LineageDirection.DOWNSTREAM]: 'downstream',
};

/** The RegistryService handlers: request → use case → response, versions bigint ↔ number here. */
export function createRegistryApi(deps: RegistryApiDeps): ImplOf<typeof RegistryService> {
  const { collections, useCases: uc, principalOf } = deps;
  return {
    async createModel(req, ctx) {
      const model = await uc.createModel(
        {
          modelName: req.modelName,
          team: req.team,
          description: req.description,
          labels: toPairs(req.labels),
        },
        principalOf(ctx),
        ctx.signal,
      );
      return { model: modelMessage(model.data) };
    },

    async getModel(req, ctx) {
      return { model: modelMessage((await readModel(collections, req.modelName, ctx.signal)).data) };
    },

    async listModels(req, ctx) {
      const page = await uc.listModels(
        {
          pageSize: req.pageSize,
          pageToken: req.pageToken,
          // Only teams the caller may view (the policy checked a named one).
          team: listedTeams(ctx.principal, req.team),
          namePrefix: req.namePrefix,
        },
        ctx.signal,
      );
      return { models: page.models.map((m) => modelMessage(m.data)), nextPageToken: page.nextPageToken };
    },

    async uploadArtifact(requests, ctx) {
      const parts = (async function* () {
        for await (const req of requests) yield { chunk: req.chunk, sha256: req.sha256 };
      })();
      const ref = await uc.uploadArtifact(parts, ctx.signal);
      return { blob: blobRefMessage({ sha256: ref.sha256, sizeBytes: ref.size }) };
    },

    async registerVersion(req, ctx) {
      if (req.format !== ArtifactFormat.ONNX) {
        throw AppError.invalidArgument('format', `must be ARTIFACT_FORMAT_ONNX, got ${req.format}`);
      }
      const registered = await uc.registerVersion(
        {
          requestId: req.requestId,
          modelName: req.modelName,
          team: req.team,
          artifact: artifactSource(req.artifactSource),
          description: req.description,
          signature: signatureRecord(req.signature),
          metrics: metricPairs(req.metrics),
          parameters: toPairs(req.parameters),
          tags: toPairs(req.tags),
          lineage: lineageRecord(req.lineage),
        },
        principalOf(ctx),
        ctx.signal,
      );
      return {
        version: versionMessage(registered.version, registered.modelAliases),
        created: registered.created,
      };
    },

    async getVersion(req, ctx) {
      const model = await readModel(collections, req.modelName, ctx.signal);
      const version = await readVersion(
        collections,
        model,
        safeNumber(req.modelVersion, 'model_version'),
        ctx.signal,
      );
      return { version: versionMessage(version.data, model.data.aliases) };
    },

    async listVersions(req, ctx) {
      const page = await uc.listVersions(
        {
          modelName: req.modelName,
          pageSize: req.pageSize,
          pageToken: req.pageToken,
          stage: req.stage === Stage.UNSPECIFIED ? undefined : knownStage(req.stage),
        },
        ctx.signal,
      );
      return {
        versions: page.versions.map((v) => versionMessage(v, page.model.data.aliases)),
        nextPageToken: page.nextPageToken,
      };
    },

    async setAlias(req, ctx) {
      const result = await uc.setAlias(
        {
          modelName: req.modelName,
          alias: req.alias,
          version: safeNumber(req.modelVersion, 'model_version'),
          expectedCurrentVersion:
            req.expectedCurrentVersion === undefined
              ? undefined
              : safeNumber(req.expectedCurrentVersion, 'expected_current_version'),
          reason: req.reason,
        },
        principalOf(ctx),
        ctx.signal,
      );
      return {
        model: modelMessage(result.model.data),
        change: aliasChangeMessage(req.modelName, result.change),
      };
    },

    async deleteAlias(req, ctx) {
      const result = await uc.deleteAlias(
        { modelName: req.modelName, alias: req.alias, reason: req.reason },
        principalOf(ctx),
        ctx.signal,
      );
      return {
        model: modelMessage(result.model.data),
        change: aliasChangeMessage(req.modelName, result.change),
      };
    },

    async getAliasHistory(req, ctx) {
      const page = await uc.getAliasHistory(
        { modelName: req.modelName, alias: req.alias, pageSize: req.pageSize, pageToken: req.pageToken },
        ctx.signal,
      );
      return {
        changes: page.changes.map((c) => aliasChangeMessage(req.modelName, c)),
        nextPageToken: page.nextPageToken,
      };
    },

    async resolveModelUri(req, ctx) {
      const resolved = await uc.resolveModelUri(req.uri, ctx.signal);
      return {
        version: versionMessage(resolved.version, resolved.model.data.aliases),
        alias: resolved.alias,
      };
    },

    async transitionStage(req, ctx) {
      const result = await uc.transitionStage(
        {
          modelName: req.modelName,
          version: safeNumber(req.modelVersion, 'model_version'),
          stage: knownStage(req.stage),
          archiveExistingVersions: req.archiveExistingVersions,
          reason: req.reason,
        },
        principalOf(ctx),
        ctx.signal,
      );
      return { version: versionMessage(result.version, result.model.data.aliases) };
    },

    async getStageHistory(req, ctx) {
      const page = await uc.getStageHistory(
        {
          modelName: req.modelName,
          version: safeNumber(req.modelVersion, 'model_version'),
          pageSize: req.pageSize,
          pageToken: req.pageToken,
        },
        ctx.signal,
      );
      return {
        changes: page.changes.map((c) => stageChangeMessage(req.modelName, c.version, c)),
        nextPageToken: page.nextPageToken,
      };
    },

    async findVersionsByLineage(req, ctx) {
      const page = await uc.findVersionsByLineage(
        {
          key: lineageKeyOfRequest(req),
          // Only teams the caller may view (the policy checked a named one).
          team: listedTeams(ctx.principal, req.team),
          pageSize: req.pageSize,
          pageToken: req.pageToken,
        },
        ctx.signal,
      );
      // Each version with the aliases its model gives it.
      const aliases = new Map<string, Pairs<number>>();
      for (const name of new Set(page.versions.map((v) => v.data.modelName))) {
        aliases.set(name, (await collections.models.get(name, { signal: ctx.signal }))?.data.aliases ?? []);
      }
      return {
        versions: page.versions.map((v) => versionMessage(v.data, aliases.get(v.data.modelName) ?? [])),
        nextPageToken: page.nextPageToken,
      };
    },

    async getLineage(req, ctx) {
      const graph = await uc.getLineage(
        {
          modelName: req.modelName,
          version: safeNumber(req.modelVersion, 'model_version'),
          walk: walks[req.direction] ?? 'both',
          depth: req.depth,
        },
        ctx.signal,
      );
      const ref = (r: { modelName: string; version: number }) => ({
        modelName: r.modelName,
        modelVersion: BigInt(r.version),
      });
      return {
        versions: graph.versions.map((v) => versionMessage(v.version, v.modelAliases)),
        edges: graph.edges.map((e) => ({ parent: ref(e.parent), child: ref(e.child) })),
      };
    },

    async *downloadArtifact(req, ctx) {
      const parts = uc.downloadArtifact(
        {
          modelName: req.modelName,
          version: safeNumber(req.modelVersion, 'model_version'),
          offset: safeNumber(req.offset, 'offset'),
        },
        ctx.signal,
      );
      for await (const part of parts) {
        yield {
          ...(part.artifact
            ? { artifact: { format: ArtifactFormat.ONNX, blob: blobRefMessage(part.artifact) } }
            : {}),
          offset: BigInt(part.offset),
          chunk: part.chunk,
        };
      }
    },
  };
}

function artifactSource(source: RegisterVersionRequest['artifactSource']): ArtifactSource {
  if (source.case === 'artifactBytes') return { bytes: source.value };
  if (source.case === 'artifactSha256') return { sha256: source.value };
  throw AppError.invalidArgument('artifact_source', 'set artifact_bytes or artifact_sha256');
}

function knownStage(stage: Stage) {
  const name = stageName(stage);
  if (!name) throw AppError.invalidArgument('stage', `is not a known stage: ${stage}`);
  return name;
}

/** The one lineage criterion of a FindVersionsByLineage request; `invalid_argument` for none or a stray version. */
function lineageKeyOfRequest(req: FindVersionsByLineageRequest): LineageKey {
  const criterion = req.lineage;
  if (criterion.case !== 'featureService' && req.featureServiceVersion !== 0n) {
    throw AppError.invalidArgument('feature_service_version', 'needs feature_service');
  }
  switch (criterion.case) {
    case 'trainingSetRef':
      return { trainingSetRef: nonEmpty(criterion.value, 'training_set_ref') };
    case 'codeVersion':
      return { codeVersion: nonEmpty(criterion.value, 'code_version') };
    case 'featureService':
      return {
        featureService: nonEmpty(criterion.value, 'feature_service'),
        featureServiceVersion: safeNumber(req.featureServiceVersion, 'feature_service_version'),
      };
    default:
      throw AppError.invalidArgument('lineage', 'set one of training_set_ref, feature_service, code_version');
  }
}

function nonEmpty(value: string, field: string): string {
  if (value === '') throw AppError.invalidArgument(field, 'must not be empty');
  return value;
}
