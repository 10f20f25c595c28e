// The contract every EventBus adapter passes, run by memory-bus.test.ts, kafka-bus.test.ts and
// nats-bus.test.ts (the last two against real servers). Test support: it imports Vitest, so it lives out of src/.
import { AppError } from '@flywheel/core';
import { type CloudEvent, contentTypes, newEventId, type WireMessage } from '@flywheel/events';
import { uniqueName, waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Delivery,
  dlqHeaders,
  dlqTopicOf,
  type EventBus,
  type SubscribeOptions,
  type Subscription,
} from '../src/event-bus.ts';

/**
 * One adapter under test, plus raw access to its broker through an independent client, to put
 * bytes on a topic that no Flywheel producer would write, and to read what sits on a topic
 * (the DLQ) exactly as it is stored.
 */
export interface EventBusHarness {
  readonly bus: EventBus;
  /** Writes one message to `topic` as a foreign producer would. */
  publishWire(topic: string, message: WireMessage): Promise<void>;
  /** Reads `topic` from its beginning until it holds at least `count` messages (or the deadline passes). */
  readWire(topic: string, count: number, timeoutMs: number): Promise<WireMessage[]>;
  /**
   * Another bus of the adapter on the same broker whose topics carry `topicPrefix`; raw access
   * (`publishWire`, `readWire`) keeps using broker names, e.g. `readWire('<prefix><topic>.dlq')`.
   * The harness closes it. (The in-process bus has no broker to share: there, each bus is its own,
   * and raw access reads every bus the harness made.)
   */
  withTopicPrefix(topicPrefix: string): EventBus;
  /** The topic names the broker has, as an independent client lists them; absent where there is no such client. */
  topicNames?(): Promise<string[]>;
  close(): Promise<void>;
}

/** How long a contract test waits for something the broker should do, ms. */
const patienceMs = 45_000;
/** The outage a retried delivery lives through: longer than the Kafka harness's 10 s session timeout. */
const outageMs = 12_000;
/** How services subscribe (the service host sets nothing about the start position). */
const serviceStart: Partial<SubscribeOptions> = {};
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * Declares the event-bus contract tests for one adapter. `makeHarness` runs once per suite; every
 * test uses its own topics and groups, so suites may run in parallel against one broker.
 */
export function describeEventBusContract(name: string, makeHarness: () => Promise<EventBusHarness>): void {
  describe(`EventBus contract: ${name}`, () => {
    let harness: EventBusHarness;
    const open: Subscription[] = [];
    const bus = (): EventBus => harness.bus;
    const subscribe = (options: SubscribeOptions): Subscription => {
      const subscription = bus().subscribe(options);
      open.push(subscription);
      return subscription;
    };
    const freshTopic = async (prefix: string): Promise<string> => {
      const topic = uniqueName(`contract.${prefix}`);
      await bus().ensureTopics([topic], { timeoutMs: patienceMs });
      return topic;
    };

    beforeAll(async () => {
      harness = await makeHarness();
    });
    afterAll(async () => {
      await Promise.all(open.map((subscription) => subscription.close()));
      await harness?.close();
    });

    it('delivers an event with its payload bytes, every attribute, key and trace context', async () => {
      const topic = await freshTopic('roundtrip');
      const sent: CloudEvent = {
        id: newEventId(),
        type: topic,
        source: 'flywheel/contract-test',
        time: '2026-01-02T03:04:05.678Z',
        subject: 'models/churn',
        datacontenttype: contentTypes.protobuf,
        dataschema: 'flywheel.events.v1.ModelVersionRegistered',
        data: new Uint8Array([0, 1, 2, 0xfe, 0xff, 10, 13, 0]),
        key: 'churn-model',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        tracestate: 'vendor=value',
        extensions: { principal: 'team-a/alice' },
      };
      const subscription = subscribe({ topics: [topic], group: uniqueName('g') });
      await bus().publish([sent], { timeoutMs: patienceMs });
      const [delivery] = await take(subscription, 1);
      await delivery!.ack();
      expect(delivery!.topic).toBe(topic);
      expect(delivery!.attempt).toBe(1);
      const { data, ...attributes } = delivery!.event;
      const { data: sentData, ...sentAttributes } = sent;
      expect(attributes).toEqual(sentAttributes);
      expect([...data]).toEqual([...sentData]);
    });

    it('delivers the events of each key in publish order, also when handled concurrently', async () => {
      const topic = await freshTopic('order');
      const keys = ['a', 'b', 'c', 'd', 'e'];
      const events = Array.from({ length: 100 }, (_, i) => event(topic, keys[i % keys.length]!, `${i}`));
      const subscription = subscribe({ topics: [topic], group: uniqueName('g'), concurrency: 4 });
      for (let i = 0; i < events.length; i += 25)
        await bus().publish(events.slice(i, i + 25), { timeoutMs: patienceMs });
      const seen = new Map<string, number[]>();
      await consumeUntil(subscription, async (delivery) => {
        const list = seen.get(delivery.event.key) ?? [];
        list.push(Number(text(delivery.event)));
        seen.set(delivery.event.key, list);
        await delivery.ack();
        return sum(seen) >= events.length;
      });
      for (const key of keys) {
        const list = seen.get(key)!;
        expect(list).toEqual([...list].sort((x, y) => x - y));
        expect(list).toHaveLength(events.length / keys.length);
      }
    });

    it("reports a group's lag per topic (everything retained before it consumes, none once it settled all) and each attempt's outcome", async () => {
      const topic = await freshTopic('lag');
      const absent = uniqueName('contract.absent');
      const group = uniqueName('g');
      await bus().publish(
        ['retried', 'poison', 'plain'].map((body) => event(topic, 'one-key', body)),
        { timeoutMs: patienceMs },
      );
      const lagOf = async (): Promise<number[]> =>
        (await bus().consumerLag(group, [topic, absent], { timeoutMs: patienceMs })).map((entry) => {
          expect(entry.group).toBe(group);
          return entry.lag;
        });
      await waitFor(async () => (await lagOf())[0] === 3, {
        what: 'a lag of 3 before the group consumes',
        timeoutMs: patienceMs,
        intervalMs: 250,
      });
      expect(await lagOf()).toEqual([3, 0]);
      const outcomes: string[] = [];
      const subscription = subscribe({
        topics: [topic],
        group,
        retryBackoff: { baseMs: 10, maxMs: 20 },
        onOutcome: (at, outcome) => outcomes.push(`${at === topic ? 'topic' : at}:${outcome}`),
      });
      let settled = 0;
      await consumeUntil(subscription, async (delivery) => {
        const body = text(delivery.event);
        if (body === 'retried' && delivery.attempt === 1) {
          await delivery.nack(new AppError('unavailable', 'try later'));
          return false;
        }
        if (body === 'poison') await delivery.nack(new AppError('invalid_argument', 'never'));
        else await delivery.ack();
        return ++settled === 3;
      });
      await waitFor(async () => (await lagOf())[0] === 0, {
        what: 'a lag of 0 once all is settled',
        timeoutMs: patienceMs,
        intervalMs: 250,
      });
      await waitFor(async () => outcomes.length === 4, { what: 'four outcomes', timeoutMs: patienceMs });
      expect(outcomes).toEqual(['topic:retried', 'topic:ok', 'topic:dead_lettered', 'topic:ok']);
    });

    it('holds back the later events of a key while an earlier one is retried', async () => {
      const topic = await freshTopic('retry-order');
      const events = ['first', 'second', 'third'].map((body) => event(topic, 'one-key', body));
      const subscription = subscribe({
        topics: [topic],
        group: uniqueName('g'),
        retryBackoff: { baseMs: 50, maxMs: 100 },
        concurrency: 2,
      });
      await bus().publish(events, { timeoutMs: patienceMs });
      const order: string[] = [];
      await consumeUntil(subscription, async (delivery) => {
        order.push(`${text(delivery.event)}#${delivery.attempt}`);
        if (text(delivery.event) === 'first' && delivery.attempt === 1)
          await delivery.nack(new AppError('unavailable', 'try later'));
        else await delivery.ack();
        return order.includes('third#1');
      });
      expect(order).toEqual(['first#1', 'first#2', 'second#1', 'third#1']);
    });

    it('shares the work of one group between its members without duplicates in steady state', async () => {
      const topic = await freshTopic('share');
      const group = uniqueName('g');
      const members = [subscribe({ topics: [topic], group }), subscribe({ topics: [topic], group })];
      await Promise.all(members.map((member) => member.ready({ timeoutMs: patienceMs })));
      const events = Array.from({ length: 64 }, (_, i) => event(topic, `key-${i}`, `${i}`));
      await bus().publish(events, { timeoutMs: patienceMs });
      const received = members.map(() => [] as string[]);
      const all = new Set<string>();
      await Promise.all(
        members.map((member, m) =>
          consumeUntil(
            member,
            async (delivery) => {
              received[m]!.push(delivery.event.id);
              all.add(delivery.event.id);
              await delivery.ack();
              return all.size >= events.length;
            },
            () => all.size >= events.length,
          ),
        ),
      );
      const ids = received.flat();
      expect(new Set(ids).size).toBe(events.length);
      expect(ids).toHaveLength(events.length);
      expect(received[0]!.length).toBeGreaterThan(0);
      expect(received[1]!.length).toBeGreaterThan(0);
    });

    it('gives every group all events', async () => {
      const topic = await freshTopic('groups');
      const groups = [
        subscribe({ topics: [topic], group: uniqueName('g1') }),
        subscribe({ topics: [topic], group: uniqueName('g2') }),
      ];
      const events = Array.from({ length: 10 }, (_, i) => event(topic, `k${i % 3}`, `${i}`));
      await bus().publish(events, { timeoutMs: patienceMs });
      const received = await Promise.all(groups.map((group) => take(group, events.length, true)));
      for (const deliveries of received) {
        expect(deliveries.map((d) => d.event.id).sort()).toEqual(events.map((e) => e.id).sort());
      }
    });

    it('starts a new group at the end when not fromBeginning: it gets what is published after ready()', async () => {
      const topic = await freshTopic('latest');
      await bus().publish([event(topic, 'k', 'before')], { timeoutMs: patienceMs });
      const subscription = subscribe({ topics: [topic], group: uniqueName('g'), fromBeginning: false });
      await subscription.ready({ timeoutMs: patienceMs });
      await bus().publish([event(topic, 'k', 'after')], { timeoutMs: patienceMs });
      const [delivery] = await take(subscription, 1, true);
      expect(text(delivery!.event)).toBe('after');
    });

    it('does not deliver acked events to the group again after it resubscribes', async () => {
      const topic = await freshTopic('commit');
      const group = uniqueName('g');
      const before = Array.from({ length: 5 }, (_, i) => event(topic, 'k', `before-${i}`));
      const first = subscribe({ topics: [topic], group });
      await bus().publish(before, { timeoutMs: patienceMs });
      await take(first, before.length, true);
      await first.close();
      const after = Array.from({ length: 3 }, (_, i) => event(topic, 'k', `after-${i}`));
      await bus().publish(after, { timeoutMs: patienceMs });
      const second = subscribe({ topics: [topic], group });
      const seen: string[] = [];
      await consumeUntil(second, async (delivery) => {
        seen.push(text(delivery.event));
        await delivery.ack();
        return seen.includes('after-2');
      });
      expect(seen).toEqual(['after-0', 'after-1', 'after-2']);
    });

    it('redelivers a retriable failure with attempt + 1 until its retry budget is spent, then dead-letters it saying how long it tried', async () => {
      const topic = await freshTopic('retry');
      const group = uniqueName('g');
      const failing = event(topic, 'k', 'always fails');
      const next = event(topic, 'k', 'fine');
      const subscription = subscribe({
        topics: [topic],
        group,
        retryBudgetMs: 400,
        retryBackoff: { baseMs: 10, maxMs: 50 },
      });
      await bus().publish([failing, next], { timeoutMs: patienceMs });
      const attempts: number[] = [];
      await consumeUntil(subscription, async (delivery) => {
        if (delivery.event.id === failing.id) {
          attempts.push(delivery.attempt);
          await delivery.nack(new AppError('unavailable', 'model store is down'));
          return false;
        }
        await delivery.ack();
        return true;
      });
      const n = attempts.length;
      expect(n).toBeGreaterThan(1);
      expect(attempts).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      const [letter] = await harness.readWire(dlqTopicOf(topic), 1, patienceMs);
      expect(letter!.key).toBe('k');
      expect(fromUtf8.decode(letter!.value)).toBe('always fails');
      expect(letter!.headers.ce_id).toBe(failing.id);
      expect(letter!.headers[dlqHeaders.reason]).toContain('unavailable: model store is down');
      expect(letter!.headers[dlqHeaders.reason]).toMatch(new RegExp(`gave up after ${n} attempts over \\d`));
      expect(letter!.headers[dlqHeaders.attempts]).toBe(String(n));
      expect(letter!.headers[dlqHeaders.topic]).toBe(topic);
      expect(letter!.headers[dlqHeaders.group]).toBe(group);
      expect(Number.isNaN(Date.parse(letter!.headers[dlqHeaders.failedAt] ?? ''))).toBe(false);
    });

    it('retries a retriable failure through an outage longer than five attempts and the session timeout, in place, then delivers it and the next event of its key', async () => {
      const topic = await freshTopic('outage');
      const outage = event(topic, 'k', 'during the outage');
      const after = event(topic, 'k', 'after it');
      const subscription = subscribe({
        topics: [topic],
        group: uniqueName('g'),
        retryBudgetMs: 60_000,
        retryBackoff: { baseMs: 50, maxMs: 1000 },
      });
      await bus().publish([outage, after], { timeoutMs: patienceMs });
      const storeBackAt = Date.now() + outageMs;
      const seen: string[] = [];
      const attempts: number[] = [];
      await consumeUntil(subscription, async (delivery) => {
        seen.push(`${text(delivery.event)}#${delivery.attempt}`);
        if (delivery.event.id === outage.id) {
          attempts.push(delivery.attempt);
          if (Date.now() < storeBackAt) {
            await delivery.nack(new AppError('unavailable', 'the store is down'));
            return false;
          }
        }
        await delivery.ack();
        return delivery.event.id === after.id;
      });
      // One member kept the event all along (attempts never restart at 1) and nothing overtook it.
      const n = attempts.length;
      expect(n).toBeGreaterThan(5);
      expect(attempts).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect(seen).toEqual([...attempts.map((a) => `during the outage#${a}`), 'after it#1']);
    });

    it('dead-letters a non-retriable failure at once, on attempt 1', async () => {
      const topic = await freshTopic('fatal');
      const bad = event(topic, 'k', 'bad input');
      const subscription = subscribe({ topics: [topic], group: uniqueName('g'), retryBudgetMs: 60_000 });
      await bus().publish([bad], { timeoutMs: patienceMs });
      const [delivery] = await take(subscription, 1);
      expect(delivery!.attempt).toBe(1);
      await delivery!.nack(AppError.invalidArgument('features', 'must not be empty'));
      const [letter] = await harness.readWire(dlqTopicOf(topic), 1, patienceMs);
      expect(letter!.headers.ce_id).toBe(bad.id);
      expect(letter!.headers[dlqHeaders.reason]).toContain('invalid_argument: features: must not be empty');
      expect(letter!.headers[dlqHeaders.reason]).toContain('not retriable');
      expect(letter!.headers[dlqHeaders.attempts]).toBe('1');
    });

    it('never skips what a group has not handled: events published while its members were away reach it on rejoin, on every partition, also ones assigned by a rebalance', async () => {
      const topic = await freshTopic('away');
      const group = uniqueName('g');
      const first = subscribe({ topics: [topic], group, ...serviceStart });
      await first.ready({ timeoutMs: patienceMs });
      // The group commits where this one event went, and nowhere else, before its member leaves.
      await bus().publish([event(topic, 'key-0', 'early')], { timeoutMs: patienceMs });
      await take(first, 1, true);
      await first.close();
      const away = Array.from({ length: 30 }, (_, i) => event(topic, `key-${i}`, `away-${i}`));
      await bus().publish(away, { timeoutMs: patienceMs });
      const back = subscribe({ topics: [topic], group, ...serviceStart });
      await back.ready({ timeoutMs: patienceMs });
      const second = subscribe({ topics: [topic], group, ...serviceStart });
      const received = new Set<string>();
      const all = (): boolean => away.every((e) => received.has(e.id));
      await Promise.all(
        [back, second].map((member) =>
          consumeUntil(
            member,
            async (delivery) => {
              received.add(delivery.event.id);
              await delivery.ack();
              return all();
            },
            all,
          ),
        ),
      );
      expect([...received].sort()).toEqual(away.map((e) => e.id).sort());
    });

    it('dead-letters a message that is not a CloudEvent and goes on with the next', async () => {
      const topic = await freshTopic('garbage');
      const subscription = subscribe({ topics: [topic], group: uniqueName('g') });
      await harness.publishWire(topic, {
        key: 'k',
        value: utf8.encode('{ this is not json'),
        headers: { 'x-origin': 'test' },
      });
      const good = event(topic, 'k', 'good');
      await bus().publish([good], { timeoutMs: patienceMs });
      const [delivery] = await take(subscription, 1, true);
      expect(delivery!.event.id).toBe(good.id);
      const [letter] = await harness.readWire(dlqTopicOf(topic), 1, patienceMs);
      expect(fromUtf8.decode(letter!.value)).toBe('{ this is not json');
      expect(letter!.key).toBe('k');
      expect(letter!.headers['x-origin']).toBe('test');
      expect(letter!.headers[dlqHeaders.reason]).toMatch(/undecodable: .*not JSON/);
      expect(letter!.headers[dlqHeaders.attempts]).toBe('0');
    });

    it('drains on close: waits for the delivery in hand, commits it, hands back the rest', async () => {
      const topic = await freshTopic('drain');
      const group = uniqueName('g');
      const events = ['one', 'two', 'three'].map((body) => event(topic, 'k', body));
      const first = subscribe({ topics: [topic], group });
      await bus().publish(events, { timeoutMs: patienceMs });
      const iterator = first[Symbol.asyncIterator]();
      const held = await nextWithin(iterator, patienceMs);
      expect(text(held.event)).toBe('one');
      let closed = false;
      const closing = first.close().then(() => {
        closed = true;
      });
      await Promise.resolve();
      expect(closed).toBe(false);
      await held.ack();
      await closing;
      expect((await iterator.next()).done).toBe(true);
      const second = subscribe({ topics: [topic], group });
      const rest = await take(second, 2, true);
      expect(rest.map((d) => text(d.event))).toEqual(['two', 'three']);
    });

    it('keeps environments apart: buses with other topic prefixes on one broker see none of its events', async () => {
      const environment = uniqueName('env');
      const prefixes = [`${environment}-a.`, `${environment}-b.`];
      const buses = [...prefixes.map((prefix) => harness.withTopicPrefix(prefix)), bus()];
      const topic = uniqueName('contract.prefix');
      const subscriptions = buses.map((each) => {
        const subscription = each.subscribe({ topics: [topic], group: uniqueName('g') });
        open.push(subscription);
        return subscription;
      });
      const names = ['a', 'b', 'none'];
      for (const [i, each] of buses.entries())
        await each.publish([event(topic, 'k', `${names[i]}-first`)], { timeoutMs: patienceMs });
      // Were the topics shared, each group would see the others' first events before its own last.
      for (const [i, each] of buses.entries())
        await each.publish([event(topic, 'k', `${names[i]}-last`)], { timeoutMs: patienceMs });
      for (const [i, subscription] of subscriptions.entries()) {
        const seen: Delivery[] = [];
        await consumeUntil(subscription, async (delivery) => {
          seen.push(delivery);
          await delivery.ack();
          return text(delivery.event).endsWith('-last');
        });
        expect(seen.map((delivery) => text(delivery.event))).toEqual([
          `${names[i]}-first`,
          `${names[i]}-last`,
        ]);
        // Handlers, dedupe records and trigger rules see the topic and type without the prefix.
        expect(seen.map((delivery) => [delivery.topic, delivery.event.type])).toEqual([
          [topic, topic],
          [topic, topic],
        ]);
      }
      const stored = await harness.readWire(`${prefixes[0]}${topic}`, 2, patienceMs);
      expect(stored.map((message) => [message.headers.ce_type, fromUtf8.decode(message.value)])).toEqual([
        [topic, 'a-first'],
        [topic, 'a-last'],
      ]);
      if (harness.topicNames) {
        const onBroker = await harness.topicNames();
        for (const prefix of prefixes) {
          expect(onBroker).toContain(`${prefix}${topic}`);
          expect(onBroker).toContain(`${prefix}${topic}.dlq`);
        }
      }
    });

    it('dead-letters into <prefix><topic>.dlq, the letter naming the topic without the prefix', async () => {
      const prefix = `${uniqueName('env')}.`;
      const prefixed = harness.withTopicPrefix(prefix);
      const topic = uniqueName('contract.prefix-dlq');
      const group = uniqueName('g');
      const subscription = prefixed.subscribe({ topics: [topic], group });
      open.push(subscription);
      const bad = event(topic, 'k', 'bad input');
      await prefixed.publish([bad], { timeoutMs: patienceMs });
      const [delivery] = await take(subscription, 1);
      expect(delivery!.topic).toBe(topic);
      await delivery!.nack(AppError.invalidArgument('features', 'must not be empty'));
      const [letter] = await harness.readWire(dlqTopicOf(`${prefix}${topic}`), 1, patienceMs);
      expect(letter!.headers.ce_id).toBe(bad.id);
      expect(letter!.headers.ce_type).toBe(topic);
      expect(letter!.headers[dlqHeaders.topic]).toBe(topic);
      expect(letter!.headers[dlqHeaders.group]).toBe(group);
    });

    it('rejects a topic prefix that would not make topic names', () => {
      for (const prefix of ['staging', 'a b.', 'under_score.', '.', 'x..']) {
        expect(() => harness.withTopicPrefix(prefix)).toThrow(/topicPrefix/);
      }
    });

    it('rejects events whose type is not a topic name', async () => {
      const bad = { ...event('x', 'k', 'v'), type: 'not a topic!' };
      await expect(bus().publish([bad], { timeoutMs: 5000 })).rejects.toMatchObject({
        code: 'invalid_argument',
      });
    });
  });
}

function event(topic: string, key: string, body: string): CloudEvent {
  return {
    id: newEventId(),
    type: topic,
    source: 'flywheel/contract-test',
    time: new Date().toISOString(),
    datacontenttype: 'text/plain',
    data: utf8.encode(body),
    key,
  };
}

function text(event: CloudEvent): string {
  return fromUtf8.decode(event.data);
}

function sum(map: Map<string, number[]>): number {
  let total = 0;
  for (const list of map.values()) total += list.length;
  return total;
}

/** The next delivery, or an error naming the deadline. */
async function nextWithin(iterator: AsyncIterator<Delivery>, timeoutMs: number): Promise<Delivery> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no delivery within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const result = await Promise.race([iterator.next(), timeout]);
    if (result.done) throw new Error('the subscription ended');
    return result.value;
  } finally {
    clearTimeout(timer);
  }
}

/** Takes `count` deliveries (acking them when `ack`), leaving the subscription open. */
async function take(subscription: Subscription, count: number, ack = false): Promise<Delivery[]> {
  const iterator = subscription[Symbol.asyncIterator]();
  const deliveries: Delivery[] = [];
  while (deliveries.length < count) {
    const delivery = await nextWithin(iterator, patienceMs);
    if (ack) await delivery.ack();
    deliveries.push(delivery);
  }
  return deliveries;
}

/**
 * Hands deliveries to `onDelivery` (up to the subscription's concurrency at once) until it
 * returns true or `stop()` says so, within the contract's patience. Never drops a delivery it
 * has taken from the iterator.
 */
async function consumeUntil(
  subscription: Subscription,
  onDelivery: (delivery: Delivery) => Promise<boolean>,
  stop: () => boolean = () => false,
): Promise<void> {
  const iterator = subscription[Symbol.asyncIterator]();
  const deadline = Date.now() + patienceMs;
  const inFlight = new Set<Promise<void>>();
  let done = false;
  let pending: Promise<IteratorResult<Delivery>> | undefined;
  while (!done && !stop()) {
    if (Date.now() > deadline)
      throw new Error(`the expected deliveries did not arrive within ${patienceMs} ms`);
    pending ??= iterator.next();
    const result = await within(pending, 100);
    if (result === undefined) continue;
    pending = undefined;
    if (result.done) throw new Error('the subscription ended');
    const work = onDelivery(result.value).then((finished) => {
      if (finished) done = true;
    });
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }
  await Promise.all(inFlight);
}

/** `promise`'s value, or undefined if it takes longer than `ms` (the promise is left running). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
