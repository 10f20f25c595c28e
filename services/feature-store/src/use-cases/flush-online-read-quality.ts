import { randomUUID } from 'node:crypto';
import type { CallOptions, Logger } from '@flywheel/core';
import { toOutboxEntry } from '@flywheel/events';
import { countChecked, countViolation, emptyTally } from '@flywheel/quality';
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
 * retried write repeats ids, never counts. Then, per view with a freshness expectation, the age of
 * its latest offline event: over `max_age`, one `data-quality.violated` (stage VIEW) per latest
 * event time — a view no data arrives for is reported once, not every interval (its id names
 * that time, so replicas flushing alike announce one event).
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
    return written + (await reportStaleViews(deps, endMs, options));
  };
}

async function reportStaleViews(
  deps: FlushOnlineReadQualityDeps,
  nowMs: number,
  options: CallOptions,
): Promise<number> {
  const { collections, log } = deps;
  let written = 0;
  const views = (await collections.views.find({}, { ...options, limit: 10_000 })).map((d) => d.data);
  for (const view of views) {
    const expectations = view.expectations ?? [];
    if (!expectations.some((e) => e.kind === 'freshness')) continue;
    const chunks = (await collections.viewData.get(view.name, options))?.data.chunks ?? [];
    if (chunks.length === 0) continue;
    const latestMs = Math.max(...chunks.map((c) => c.maxTimeMs));
    const reported = new Map(
      (await collections.qualityFlushes.get(view.name, options))?.data.staleReported ?? [],
    );
    const tallies = expectations.map((expectation, i) => {
      const tally = emptyTally();
      if (expectation.kind !== 'freshness' || reported.get(i) === latestMs) return tally;
      const ageMs = nowMs - latestMs;
      if (ageMs <= expectation.maxAgeMs) return tally;
      countChecked(tally, latestMs);
      countViolation(tally, null, { ageMs });
      return tally;
    });
    const events = violationEvents(view, tallies, {
      stage: 'view',
      idBase: `${view.name}/stale/${latestMs}`,
    });
    if (events.length === 0) continue;
    const now = new Set(tallies.flatMap((t, i) => (t.violations > 0 ? [i] : [])));
    await updateDocument(
      collections.qualityFlushes,
      view.name,
      (current) => {
        const stale = new Map(current?.data.staleReported ?? []);
        for (const i of now) stale.set(i, latestMs);
        return {
          data: {
            view: view.name,
            flushes: current?.data.flushes ?? 0,
            lastFlushTime: current?.data.lastFlushTime ?? new Date(nowMs).toISOString(),
            staleReported: [...stale],
          },
          outbox: events.map(toOutboxEntry),
        };
      },
      options,
    );
    log.info('feature view is stale', {
      featureView: view.name,
      latestEventTime: new Date(latestMs).toISOString(),
    });
    written += events.length;
  }
  return written;
}
