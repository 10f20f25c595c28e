import type { EventHandler } from '@flywheel/bus';
import { AppError, type CallOptions, type Logger } from '@flywheel/core';
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
  const running = new Map<string, { group: string; topic: string; stop(): Promise<void> }>();
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  const reconcileNow = async (options: CallOptions): Promise<string[]> => {
    if (closed) return [];
    const views = (await collections.views.find({}, { ...options, limit: 10_000 })).map((doc) => doc.data);
    const wanted = new Map<string, { group: string; topic: string }>();
    for (const view of views) {
      const topic = view.source?.stream?.topic;
      if (topic) wanted.set(view.name, { group: streamGroupOf(view), topic });
    }
    for (const [name, consumer] of running) {
      const want = wanted.get(name);
      if (want && want.group === consumer.group && want.topic === consumer.topic) continue;
      running.delete(name);
      await consumer.stop();
      log.info('stream consumer stopped', {
        featureView: name,
        topic: consumer.topic,
        group: consumer.group,
      });
    }
    for (const [name, want] of wanted) {
      if (running.has(name) || closed) continue;
      const consumer = await start(want.group, want.topic, handlerFor(name));
      running.set(name, { ...want, stop: () => consumer.stop() });
      log.info('stream consumer started', { featureView: name, topic: want.topic, group: want.group });
    }
    return [...running.keys()];
  };

  return {
    reconcile: (options = {}) => {
      const next = queue.then(() => reconcileNow(options));
      queue = next.catch((error: unknown) =>
        log.warn('stream consumers not reconciled', { error: AppError.from(error).message }),
      );
      return next;
    },
    close: async () => {
      closed = true;
      await queue;
      await Promise.all([...running.values()].map((consumer) => consumer.stop()));
      running.clear();
    },
  };
}
