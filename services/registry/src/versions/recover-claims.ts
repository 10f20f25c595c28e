import type { Logger } from '@flywheel/core';
import { materializeClaims } from '../records/materialize-version.ts';
import type { RegistryCollections } from '../records/registry-records.ts';

/**
 * Rolls forward the version claims a crashed registry left on model documents: writes each
 * claimed version with its event (once, see materialize-version.ts) and drops the claims. Run
 * at start-up; readers and the next registration of a model roll claims forward too, so a failure
 * here is logged and left to them. Resolves with the number of models it finished.
 */
export async function recoverClaims(
  deps: { collections: RegistryCollections; log: Logger },
  signal: AbortSignal,
): Promise<number> {
  const { collections, log } = deps;
  let finished = 0;
  try {
    const pending = await collections.models.find({ hasClaims: true }, { limit: 10_000, signal });
    for (const model of pending) {
      await materializeClaims(collections.versions, model.data.claims, signal);
      const dropped = await collections.models
        .put(
          model.id,
          { ...model.data, claims: [], hasClaims: false },
          { expectedVersion: model.version, signal },
        )
        .then(
          () => true,
          () => false,
        );
      if (dropped) finished++;
    }
    if (pending.length > 0) log.info('rolled forward version claims', { models: pending.length, finished });
  } catch (error) {
    if (!signal.aborted) log.warn('could not roll forward version claims; readers will', { error });
  }
  return finished;
}
