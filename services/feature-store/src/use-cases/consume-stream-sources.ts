import { createConsumerSet, type EventHandler, type WantedConsumer } from '@flywheel/bus';
import type { CallOptions, Logger } from '@flywheel/core';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';

/** Starts one consumer of raw records; what `ServiceHost.consume` gives (group without the host prefix). */
export type StartStreamConsumer = (
  group: string,
  topic: string,
  handler: EventHandler,
) => Promise<{ stop(): Promise<void> }>;

export interface ConsumeStreamSourcesDeps {
  collections: FeatureStoreCollections;
  start: StartStreamConsumer;
  /** The handler of one view's records. */
  handlerFor(viewName: string): EventHandler;
  log: Logger;
}

/** The consumers of the views' stream topics, kept in step with the catalog. */
export interface StreamSourceConsumers {
  /**
   * Makes the running consumers match the stored views: one per view with a stream source, started
   * when missing, stopped when the view is gone, restarted when its topic changed. Calls are
   * serialized. Resolves the view names consumed.
   */
  reconcile(options?: CallOptions): Promise<string[]>;
  /** Stops every consumer. */
  close(): Promise<void>;
}

/**
 * The group of a view's stream consumer: `feature-store.stream.<view>.<create time, epoch ms>`.
 * One per view (members of all replicas share its partitions); a view deleted and applied again is
 * a new view with a new group, so it reads its topic from the beginning again (its old rows were
 * deleted with it). A group starts at the earliest record (the host never skips).
 */
export function streamGroupOf(view: { name: string; createTime: string }): string {
  return `feature-store.stream.${view.name}.${Date.parse(view.createTime)}`;
}

/** The stream consumers of the feature store over the view catalog and the service host's consume. */
export function createStreamSourceConsumers(deps: ConsumeStreamSourcesDeps): StreamSourceConsumers {
  const { collections, start, handlerFor, log } = deps;
  return createConsumerSet({
    wanted: async (options) => {
      const views = (await collections.views.find({}, { ...options, limit: 10_000 })).map((doc) => doc.data);
      const wanted = new Map<string, WantedConsumer>();
      for (const view of views) {
        const topic = view.source?.stream?.topic;
        if (topic) wanted.set(view.name, { group: streamGroupOf(view), topic });
      }
      return wanted;
    },
    start: (name, { group, topic }) => start(group, topic, handlerFor(name)),
    log,
    noun: 'stream consumer',
    keyField: 'featureView',
  });
}
