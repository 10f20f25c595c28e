import type { EventBus } from '@flywheel/bus';
import { delay } from '@flywheel/core';
import { createMongoStore } from '@flywheel/store/mongo';

/** What the bus carried on one topic: distinct event ids. */
export type Published = Map<string, Set<string>>;

/**
 * Reads `topics` from the beginning with a fresh group and collects the distinct event ids per
 * topic. The bus has no end marker, so it reads until nothing new arrived for `quietMs` (and at
 * least one full quiet period passed after `ready()`), bounded by `timeoutMs`.
 */
export async function readPublished(
  bus: EventBus,
  topics: readonly string[],
  options: { group: string; quietMs?: number; timeoutMs?: number },
): Promise<Published> {
  const quietMs = options.quietMs ?? 5000;
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  const published: Published = new Map(topics.map((t) => [t, new Set<string>()]));
  const subscription = bus.subscribe({ topics, group: options.group, fromBeginning: true, concurrency: 16 });
  await subscription.ready();
  let lastNew = Date.now();
  const reading = (async () => {
    for await (const delivery of subscription) {
      const ids = published.get(delivery.topic) ?? new Set<string>();
      published.set(delivery.topic, ids);
      if (!ids.has(delivery.event.id)) {
        ids.add(delivery.event.id);
        lastNew = Date.now();
      }
      await delivery.ack();
    }
  })();
  while (Date.now() - lastNew < quietMs && Date.now() < deadline) await delay(250);
  await subscription.close();
  await reading.catch(() => undefined);
  return published;
}

/** Per consumer group and topic, the event ids whose dedupe record is `done` (and how many are not). */
export interface Handled {
  /** `<database> <group>` → topic → done event ids. */
  done: Map<string, Map<string, Set<string>>>;
  /** Records still `running` (a claim not completed). */
  running: number;
  /** Records with more than one claim (a holder crashed or overran its lease). */
  reclaimed: number;
}

/**
 * Reads the dedupe records (`processed-events`, ids `<group>/<eventId>`, see
 * `libs/bus/src/idempotent-handler.ts`) of each service database.
 */
export async function readHandled(mongoUrl: string, databases: readonly string[]): Promise<Handled> {
  const handled: Handled = { done: new Map(), running: 0, reclaimed: 0 };
  for (const database of databases) {
    const store = createMongoStore({ url: mongoUrl, database });
    try {
      const records = store.collection<{ status: string; topic: string; claims: number }>('processed-events');
      let after: { id: string } | undefined;
      for (let page = 0; page < 1000; page++) {
        const docs = await records.find({}, { limit: 1000, ...(after ? { after } : {}), timeoutMs: 30_000 });
        for (const doc of docs) {
          const slash = doc.id.lastIndexOf('/');
          const group = doc.id.slice(0, slash);
          const eventId = doc.id.slice(slash + 1);
          if (doc.data.claims > 1) handled.reclaimed++;
          if (doc.data.status !== 'done') {
            handled.running++;
            continue;
          }
          const key = `${database} ${group}`;
          const topics = handled.done.get(key) ?? new Map<string, Set<string>>();
          handled.done.set(key, topics);
          const ids = topics.get(doc.data.topic) ?? new Set<string>();
          topics.set(doc.data.topic, ids);
          ids.add(eventId);
        }
        if (docs.length < 1000) break;
        after = { id: docs.at(-1)!.id };
      }
    } finally {
      await store.close();
    }
  }
  return handled;
}
