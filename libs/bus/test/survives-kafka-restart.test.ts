// The Kafka broker is stopped and started again (same port, data kept) in the middle of a
// 10 000-event publish/consume run. Every event arrives; redeliveries are absorbed by the
// idempotent handler, so effects == events. The broker is a private one (its own run dir and
// ports, started with scripts/servers/servers.sh by `startPrivateServer`), so other tests using the shared Kafka are not
// disturbed.
import { join } from 'node:path';
import { createIdempotentHandler, handleEvents } from '@flywheel/bus';
import { createKafkaBus } from '@flywheel/bus/kafka';
import { AppError, delay } from '@flywheel/core';
import { type CloudEvent, newEventId } from '@flywheel/events';
import { createEmbeddedStore } from '@flywheel/store';
import {
  type KafkaSettings,
  kafkaSettingsOf,
  type PrivateServer,
  startPrivateServer,
  uniqueName,
  waitFor,
} from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const total = 10_000;
const batchSize = 100;

describe('Kafka broker restart in the middle of a run (real Kafka)', () => {
  let kafka: PrivateServer;
  let settings: KafkaSettings;

  beforeAll(async () => {
    kafka = await startPrivateServer('kafka');
    settings = kafkaSettingsOf(kafka.env);
  }, 180_000);

  afterAll(async () => {
    await kafka?.clean();
  }, 120_000);

  it('loses no event and has one effect per event', { timeout: 420_000 }, async () => {
    const topic = uniqueName('restart.events');
    const group = uniqueName('restart-group');
    const bus = createKafkaBus({
      ...settings,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1000,
      defaultTimeoutMs: 5000,
    });
    const storeDir = join(kafka.runDir, 'store');
    const store = await createEmbeddedStore({ dir: storeDir, fsync: false });
    await bus.ensureTopics([topic], { timeoutMs: 60_000 });

    const deliveries = new Map<string, number>();
    const effects = new Map<string, number>();
    const idempotent = createIdempotentHandler({ store, leaseMs: 30_000 }, async (event) => {
      effects.set(event.id, (effects.get(event.id) ?? 0) + 1);
    });
    const stop = new AbortController();
    const consuming = handleEvents(
      bus.subscribe({ topics: [topic], group, concurrency: 3 }),
      async (event, context) => {
        deliveries.set(event.id, (deliveries.get(event.id) ?? 0) + 1);
        await idempotent(event, context);
      },
      { signal: stop.signal },
    );

    const ids: string[] = [];
    let publishFailures = 0;
    let restart: Promise<void> | undefined;
    let stoppedWithEffects = 0;
    for (let b = 0; b < total / batchSize; b++) {
      const batch: CloudEvent[] = Array.from({ length: batchSize }, (_, i) => ({
        id: newEventId(),
        type: topic,
        source: 'restart-test',
        time: new Date().toISOString(),
        datacontenttype: 'text/plain',
        data: new TextEncoder().encode(`event ${b * batchSize + i}`),
        key: `key-${i % 20}`,
      }));
      ids.push(...batch.map((event) => event.id));
      // At-least-once publishing: a batch that was not acknowledged is sent again, until a
      // deadline (a broker that never comes back fails the test instead of hanging it).
      const deadline = Date.now() + 180_000;
      for (;;) {
        try {
          await bus.publish(batch, { timeoutMs: 5000 });
          break;
        } catch (error) {
          if (!(error instanceof AppError) || !error.retriable || Date.now() > deadline) throw error;
          publishFailures += 1;
          await delay(250);
        }
      }
      if (b === 30) {
        // Once consumption is under way too, stop the broker; start it again in the background
        // while the next batches are being published (they fail with `unavailable` until it is back).
        await waitFor(() => effects.size > 500, { timeoutMs: 60_000, what: 'consumption to get going' });
        stoppedWithEffects = effects.size;
        await kafka.stop();
        restart = kafka.start();
      }
    }
    await restart;

    await waitFor(() => ids.every((id) => deliveries.has(id)), {
      timeoutMs: 240_000,
      intervalMs: 250,
      what: `all ${total} events to be delivered (got ${deliveries.size})`,
    });
    await waitFor(() => effects.size === total, { timeoutMs: 60_000, what: 'every effect' });
    stop.abort();
    await consuming;
    await bus.close();
    await store.close();

    const redelivered = [...deliveries.values()].filter((count) => count > 1).length;
    console.info(
      `restart run: broker stopped at ${stoppedWithEffects} effects; ${publishFailures} publish attempts failed meanwhile; ` +
        `${deliveries.size} distinct events delivered, ${redelivered} of them more than once; ${effects.size} effects`,
    );
    expect(stoppedWithEffects).toBeLessThan(total);
    expect(ids.filter((id) => !deliveries.has(id))).toEqual([]);
    expect(effects.size).toBe(total);
    expect([...effects.values()].every((count) => count === 1)).toBe(true);
    expect([...effects.values()].reduce((sum, count) => sum + count, 0)).toBe(total);
  });
});
