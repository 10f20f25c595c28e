import { randomUUID } from 'node:crypto';
import type { CallOptions, Logger } from '@flywheel/core';
import { toOutboxEntry } from '@flywheel/events';
import type { OnlineReadQuality } from '../quality/online-read-tallies.ts';
import { violationEvents } from '../quality/quality-events.ts';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import { updateDocument } from '../storage/update-document.ts';

export interface FlushOnlineReadQualityDeps {
  collections: FeatureStoreCollections;
  quality: OnlineReadQuality;
  log: Logger;
  now?: () => number;
}

/** Publishes what online reads violated since the last flush; resolves the events written. */
export type FlushOnlineReadQuality = (options?: CallOptions) => Promise<number>;

/**
 * Drains the online-read tallies and, per view with a violated expectation, writes one
 * `data-quality.violated` per expectation (stage ONLINE_READ, window = the flush interval) in one
 * write of the view's `quality-flushes` document. Event ids name this process and flush, so a
 * retried write repeats ids, never counts.
 */
export function createFlushOnlineReadQuality(deps: FlushOnlineReadQualityDeps): FlushOnlineReadQuality {
  const { collections, quality, log } = deps;
  const now = deps.now ?? Date.now;
  const processId = randomUUID();
  let flush = 0;
  let startMs = now();
  return async (options = {}) => {
    const endMs = now();
    const interval = { start: startMs, end: endMs };
    startMs = endMs;
    flush++;
    let written = 0;
    for (const { view, tallies } of quality.drain()) {
      const events = violationEvents(view, tallies, {
        stage: 'online_read',
        idBase: `${view.name}/online/${processId}/${flush}`,
        intervalMs: interval,
      });
      if (events.length === 0) continue;
      await updateDocument(
        collections.qualityFlushes,
        view.name,
        (current) => ({
          data: {
            view: view.name,
            flushes: (current?.data.flushes ?? 0) + 1,
            lastFlushTime: new Date(endMs).toISOString(),
          },
          outbox: events.map(toOutboxEntry),
        }),
        options,
      );
      log.info('online reads violated data quality expectations', {
        featureView: view.name,
        events: events.length,
      });
      written += events.length;
    }
    return written;
  };
}
