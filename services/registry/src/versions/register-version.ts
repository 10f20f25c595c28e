import { createHash } from 'node:crypto';
import type { BlobStore } from '@flywheel/blobs';
import { AppError, isAppError } from '@flywheel/core';
import { newEventId } from '@flywheel/events';
import type { Doc } from '@flywheel/store';
import { materializeClaims, materializeVersion } from '../records/materialize-version.ts';
import { readModel, readVersion } from '../records/read-model.ts';
import {
  type LineageRecord,
  lineageKeysOf,
  type ModelRecord,
  newModelRecord,
  type Pairs,
  type PrincipalRecord,
  type RegistryCollections,
  type SignatureRecord,
  type VersionRecord,
  versionId,
} from '../records/registry-records.ts';
import { retryOnConflict } from '../records/retry-on-conflict.ts';
import { artifactSignature } from './artifact-signature.ts';

// How a version number is allocated and announced exactly once, whatever crashes:
//
// 1. Claim. One compare-and-set write on the model document takes number n = latestVersion + 1
//    and stores the whole version record (request_id, artifact, event id…) in `claims`. This
//    write is the commit point: two registrations racing for n both read latestVersion n-1 and
//    only one write succeeds; the other gets `aborted` and tries again with n+1. No number is
//    ever handed out twice, and none is skipped, since the claim carries all it takes to finish.
// 2. Materialize. The version document `<model>/<n>` is written create-only (expectedVersion 0)
//    with its `model.version-registered` event in the same write. Whoever does it first wins;
//    any later attempt writes nothing, so the event exists exactly once.
// 3. Clean up. The claim is dropped from the model document (best effort: the next claim write
//    drops it too, after materializing it).
//
// A crash after 1 leaves a claim that is rolled forward by the next registration, by any read of
// that version, or by the startup sweep (recover-claims.ts). The request_id → version mapping is
// the claim while it lasts, then the version document's indexed `requestId`. A registration reads
// the model document first and the versions second, and claims with expectedVersion = the model
// document it read; a concurrent claim of the same request_id changes that document, so at most
// one of them commits and the other finds it on its retry.

/** Where a version's artifact comes from. */
export type ArtifactSource = { bytes: Uint8Array } | { sha256: string };

/** What RegisterVersion asks for, in stored shapes (see version-inputs.ts). */
export interface RegisterVersionInput {
  requestId: string;
  modelName: string;
  /** Empty: the caller's team. */
  team: string;
  artifact: ArtifactSource;
  description: string;
  /** What the client says the signature is; it must agree with the graph's, which is recorded. */
  signature: SignatureRecord | null;
  metrics: Pairs<number>;
  parameters: Pairs<string>;
  tags: Pairs<string>;
  lineage: LineageRecord;
}

export interface RegisteredVersion {
  version: VersionRecord;
  /** The model's aliases, to report which point at the version. */
  modelAliases: Pairs<number>;
  /** False when `requestId` had registered it before. */
  created: boolean;
}

export interface RegisterVersionDeps {
  collections: RegistryCollections;
  blobs: BlobStore;
}

/**
 * RegisterVersion: stores the artifact (inline bytes) or checks it is in the blob store (sha256),
 * creates the model on its first version, allocates the next version number and emits
 * `model.version-registered`, exactly once per request_id. Throws `failed_precondition` when the
 * blob is absent, the request_id was used with another artifact, the team differs from the
 * model's, or a lineage parent does not exist; `invalid_argument` for an empty artifact, one that
 * is not a loadable ONNX model, or a signature that disagrees with the model's graph.
 */
export function createRegisterVersion(deps: RegisterVersionDeps) {
  const { collections, blobs } = deps;

  /** The version `requestId` registered on `model`, if any (rolled forward if only claimed). */
  async function findByRequest(
    model: Doc<ModelRecord>,
    requestId: string,
    signal: AbortSignal,
  ): Promise<VersionRecord | undefined> {
    const claim = model.data.claims.find((c) => c.requestId === requestId);
    if (claim) return (await readVersion(collections, model, claim.version, signal)).data;
    const [stored] = await collections.versions.find(
      { modelName: model.id, requestId },
      { limit: 1, signal },
    );
    return stored?.data;
  }

  function replay(existing: VersionRecord, model: Doc<ModelRecord>, sha256: string): RegisteredVersion {
    if (existing.artifact.sha256 !== sha256) {
      throw new AppError(
        'failed_precondition',
        `request_id "${existing.requestId}" already registered version ${existing.version} of model ` +
          `"${existing.modelName}" with artifact ${existing.artifact.sha256}; this request's artifact is ${sha256}`,
        { field: 'request_id' },
      );
    }
    return { version: existing, modelAliases: model.data.aliases, created: false };
  }

  function checkTeam(model: ModelRecord, team: string): void {
    if (team !== '' && team !== model.team) {
      throw new AppError(
        'failed_precondition',
        `team: model "${model.name}" belongs to team "${model.team}", not "${team}"`,
        { field: 'team' },
      );
    }
  }

  /**
   * Checks the artifact is a loadable ONNX model and reads its signature (artifact-signature.ts),
   * then stores inline bytes, or checks the named blob exists; resolves the artifact's digest,
   * size and signature. Refused bytes are never stored.
   */
  async function storeArtifact(
    source: ArtifactSource,
    sent: SignatureRecord | null,
    signal: AbortSignal,
  ): Promise<{ sha256: string; sizeBytes: number; signature: SignatureRecord }> {
    if ('bytes' in source) {
      const signature = await artifactSignature(source.bytes, 'artifact_bytes', sent);
      const ref = await blobs.put(source.bytes, { signal, contentType: 'application/octet-stream' });
      return { sha256: ref.sha256, sizeBytes: ref.size, signature };
    }
    const ref = await blobs.stat(source.sha256, { signal });
    if (!ref) {
      throw new AppError(
        'failed_precondition',
        `artifact_sha256: no blob ${source.sha256} in the blob store; upload it first (UploadArtifact)`,
        { field: 'artifact_sha256' },
      );
    }
    const bytes = await blobs.getBytes(source.sha256, { signal });
    const signature = await artifactSignature(bytes, 'artifact_sha256', sent);
    return { sha256: ref.sha256, sizeBytes: ref.size, signature };
  }

  async function checkParents(lineage: LineageRecord, signal: AbortSignal): Promise<void> {
    for (const [i, parent] of lineage.parentVersions.entries()) {
      try {
        await readVersion(
          collections,
          await readModel(collections, parent.modelName, signal),
          parent.version,
          signal,
        );
      } catch (thrown) {
        if (!isAppError(thrown, 'not_found')) throw thrown;
        throw new AppError('failed_precondition', `lineage.parent_versions[${i}]: ${thrown.message}`, {
          field: `lineage.parent_versions[${i}]`,
        });
      }
    }
  }

  return async function registerVersion(
    input: RegisterVersionInput,
    principal: PrincipalRecord,
    signal: AbortSignal,
  ): Promise<RegisteredVersion> {
    const sha256 = 'bytes' in input.artifact ? sha256Hex(input.artifact.bytes) : input.artifact.sha256;
    if ('bytes' in input.artifact && input.artifact.bytes.byteLength === 0) {
      throw AppError.invalidArgument('artifact_bytes', 'must not be empty');
    }

    // A retry is answered before touching the blob store: it must not depend on the blob still
    // being there, nor re-upload bytes.
    const known = await collections.models.get(input.modelName, { signal });
    if (known) {
      const existing = await findByRequest(known, input.requestId, signal);
      if (existing) return replay(existing, known, sha256);
      checkTeam(known.data, input.team);
    }

    const { signature, ...artifact } = await storeArtifact(input.artifact, input.signature, signal);
    await checkParents(input.lineage, signal);

    const claimed = await retryOnConflict(
      `register a version of model "${input.modelName}"`,
      signal,
      async () => {
        const model = await collections.models.get(input.modelName, { signal });
        if (model) {
          const existing = await findByRequest(model, input.requestId, signal);
          if (existing) return { replayed: replay(existing, model, sha256) };
          checkTeam(model.data, input.team);
          // Claims of earlier registrations are dropped by this write, so they are written first.
          await materializeClaims(collections.versions, model.data.claims, signal);
        }
        const now = Date.now();
        const version = (model?.data.latestVersion ?? 0) + 1;
        const team = model?.data.team ?? (input.team || principal.team);
        const claim: VersionRecord = {
          modelName: input.modelName,
          version,
          team,
          description: input.description,
          artifact: { format: 'ONNX', ...artifact },
          signature,
          metrics: input.metrics,
          parameters: input.parameters,
          tags: input.tags,
          lineage: input.lineage,
          parentKeys: input.lineage.parentVersions.map((p) => versionId(p.modelName, p.version)),
          lineageKeys: lineageKeysOf(input.lineage),
          stage: 'NONE',
          requestId: input.requestId,
          eventId: newEventId(),
          createTimeMs: now,
          updateTimeMs: now,
          createdBy: principal,
          updatedBy: principal,
        };
        const next: ModelRecord = model
          ? {
              ...model.data,
              latestVersion: version,
              claims: [claim],
              hasClaims: true,
              updateTimeMs: now,
              updatedBy: principal,
            }
          : {
              ...newModelRecord({ name: input.modelName, team, description: '', labels: [] }, principal, now),
              latestVersion: version,
              claims: [claim],
              hasClaims: true,
            };
        const written = await collections.models.put(input.modelName, next, {
          expectedVersion: model?.version ?? 0,
          signal,
        });
        return { claim, written };
      },
    );
    if ('replayed' in claimed) return claimed.replayed;

    const { claim, written } = claimed;
    await materializeVersion(collections.versions, claim, signal);
    await dropClaim(collections, written, signal);
    return { version: claim, modelAliases: written.data.aliases, created: true };
  };
}

/**
 * Drops the (now materialized) claims of `model` if nobody wrote it since. Best effort: the
 * version is registered already, and a claim left behind is dropped by the next writer.
 */
async function dropClaim(collections: RegistryCollections, model: Doc<ModelRecord>, signal: AbortSignal) {
  await collections.models
    .put(
      model.id,
      { ...model.data, claims: [], hasClaims: false },
      { expectedVersion: model.version, signal },
    )
    .catch(() => {});
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
