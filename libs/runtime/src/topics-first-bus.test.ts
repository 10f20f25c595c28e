import { createMemoryBus, type EventBus } from '@flywheel/bus';
import { AppError, silentLogger } from '@flywheel/core';
import { newEvent } from '@flywheel/events';
import { ModelVersionRegisteredSchema } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { topicsFirst } from './topics-first-bus.ts';

const topic = 'model.version-registered';
const retry = { baseMs: 1, maxMs: 5 };

/** The memory bus whose ensureTopics fails `failures` times with `error` first. */
function failingFirst(failures: number, error: AppError): EventBus & { attempts: number } {
  const inner = createMemoryBus();
  const bus = {
    attempts: 0,
    publish: inner.publish,
    subscribe: inner.subscribe,
    close: inner.close,
    consumerLag: (group: string, topics: readonly string[]) => inner.consumerLag(group, topics),
    ensureTopics: async (topics: readonly string[]) => {
      bus.attempts++;
      if (bus.attempts <= failures) throw error;
      await inner.ensureTopics(topics);
    },
  };
  return bus;
}

describe('topicsFirst', () => {
  it('retries a passing failure, then publishes and consumes', async () => {
    const inner = failingFirst(3, new AppError('unavailable', 'broker down'));
    const bus = topicsFirst(inner, [topic], { log: silentLogger, retry });
    const subscription = bus.subscribe({ topics: [topic], group: 'g', fromBeginning: true });
    const event = newEvent(ModelVersionRegisteredSchema, { modelName: 'churn' }, { source: 'test' });
    await bus.publish([event], { timeoutMs: 10_000 });
    expect(inner.attempts).toBe(4);
    await subscription.ready({ timeoutMs: 10_000 });
    const seen: string[] = [];
    const consuming = (async () => {
      for await (const delivery of subscription) {
        seen.push(delivery.event.id);
        await delivery.ack();
      }
    })();
    await waitFor(() => seen.includes(event.id), { what: 'the event consumed' });
    await subscription.close();
    await consuming;
    await bus.close();
  });

  it('fails publishing, subscribing and topicsReady with a failure that will not pass', async () => {
    const inner = failingFirst(1, AppError.invalidArgument('topics', 'bad name'));
    const bus = topicsFirst(inner, [topic], { log: silentLogger, retry });
    const subscription = bus.subscribe({ topics: [topic], group: 'g' });
    await expect(bus.topicsReady()).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(bus.publish([])).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(subscription.ready()).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(inner.attempts).toBe(1);
    await subscription.close();
    await bus.close();
  });

  it('ends a subscription closed before the topics exist, and gives up creating them once closed', async () => {
    const inner = failingFirst(Number.POSITIVE_INFINITY, new AppError('unavailable', 'broker down'));
    const bus = topicsFirst(inner, [topic], { log: silentLogger, retry });
    const subscription = bus.subscribe({ topics: [topic], group: 'g' });
    await expect(bus.topicsReady({ timeoutMs: 50 })).rejects.toMatchObject({ code: 'deadline_exceeded' });
    const iterating = (async () => {
      for await (const _ of subscription) throw new Error('nothing was published');
    })();
    await subscription.close();
    await iterating;
    await bus.close();
    // Rejected only once the retry loop has ended.
    await expect(bus.topicsReady()).rejects.toMatchObject({ code: 'failed_precondition' });
  });
});
