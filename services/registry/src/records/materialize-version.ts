import { isAppError } from '@flywheel/core';
import { newEvent, toOutboxEntry } from '@flywheel/events';
import { ModelVersionRegisteredSchema } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { blobRefMessage, lineageMessage, principalMessage, signatureMessage } from './registry-messages.ts';
import { type RegistryCollections, type VersionRecord, versionId } from './registry-records.ts';

/** The CloudEvent source of everything the registry emits. */
export const eventSource = 'flywheel/registry';

/**
 * Writes a claimed version's document together with its `model.version-registered` event, in one
 * create-only write (expectedVersion 0). Safe to call any number of times, from any process: the
 * first call creates the document and its event, later ones find it (`already_exists`) and write
 * nothing, so a version is never announced twice. The event id is the one fixed in the claim.
 */
export async function materializeVersion(
  versions: RegistryCollections['versions'],
  claim: VersionRecord,
  signal: AbortSignal,
): Promise<void> {
  const event = newEvent(
    ModelVersionRegisteredSchema,
    {
      modelName: claim.modelName,
      modelVersion: BigInt(claim.version),
      team: claim.team,
      artifact: blobRefMessage(claim.artifact),
      ...(claim.signature ? { signature: signatureMessage(claim.signature) } : {}),
      metrics: Object.fromEntries(claim.metrics),
      tags: Object.fromEntries(claim.tags),
      lineage: lineageMessage(claim.lineage),
      requestId: claim.requestId,
      principal: principalMessage(claim.createdBy),
    },
    { source: eventSource, id: claim.eventId, time: new Date(claim.createTimeMs) },
  );
  try {
    await versions.put(versionId(claim.modelName, claim.version), claim, {
      expectedVersion: 0,
      outbox: [toOutboxEntry(event)],
      signal,
    });
  } catch (thrown) {
    if (!isAppError(thrown, 'already_exists')) throw thrown;
  }
}

/** Materializes every claim of a model document (see {@link materializeVersion}). */
export async function materializeClaims(
  versions: RegistryCollections['versions'],
  claims: readonly VersionRecord[],
  signal: AbortSignal,
): Promise<void> {
  for (const claim of claims) await materializeVersion(versions, claim, signal);
}
