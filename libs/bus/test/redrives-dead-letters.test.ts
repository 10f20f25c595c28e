// Redriving a DLQ on real brokers: a poison event is dead-lettered, the handler is fixed, a redrive
// (the module function, then the `flywheel dlq` command as a child process) gets it handled once.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AppError } from '@flywheel/core';
import { type CloudEvent, newEventId } from '@flywheel/events';
import { realServers, uniqueName, waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeadLetterQueue } from '../src/create-dead-letter-queue.ts';
import { type BusConfig, createEventBus } from '../src/create-event-bus.ts';
import type { DeadLetterQueue } from '../src/dlq/dead-letter-queue.ts';
import { listDeadLetters, redriveDeadLetters } from '../src/dlq/redrive-dead-letters.ts';
import { dlqTopicOf, type EventBus, type Subscription } from '../src/event-bus.ts';
import { realNats } from './nats-test-harness.ts';

const run = promisify(execFile);
const repoRoot = new URL('../../../', import.meta.url).pathname;
const patience = { timeoutMs: 60_000 };
const utf8 = new TextEncoder();

// The same on a broker shared with other environments: FLYWHEEL_TOPIC_PREFIX set.
const environment = `redrive-${process.pid}-${Date.now().toString(36)}.`;
const brokers: [string, () => { config: BusConfig; env: Record<string, string> }][] = [
  '',
  environment,
].flatMap((topicPrefix): [string, () => { config: BusConfig; env: Record<string, string> }][] => {
  const prefixed = topicPrefix ? { topicPrefix } : {};
  const prefixEnv: Record<string, string> = topicPrefix ? { FLYWHEEL_TOPIC_PREFIX: topicPrefix } : {};
  const named = (name: string) => (topicPrefix ? `${name}, topic prefix ${topicPrefix}` : name);
  return [
    [
      named('kafka'),
      () => {
        const servers = realServers();
        const { brokers: brokerList, ...security } = servers.kafka;
        return {
          config: {
            kind: 'kafka',
            brokers: brokerList,
            numPartitions: 3,
            sessionTimeoutMs: 10_000,
            security,
            ...prefixed,
          },
          env: { FLYWHEEL_BUS: 'kafka', ...servers.kafkaEnv, ...prefixEnv },
        };
      },
    ],
    [
      named('nats'),
      () => {
        const { url, security } = realNats();
        return {
          config: { kind: 'nats', url, security, ...prefixed },
          env: { FLYWHEEL_BUS: 'nats', ...realServers().natsEnv, ...prefixEnv },
        };
      },
    ],
  ];
});

describe.each(brokers)('redriving dead letters on %s', (_name, servers) => {
  let bus: EventBus;
  let queue: DeadLetterQueue;
  let env: Record<string, string>;
  const open: Subscription[] = [];

  beforeAll(async () => {
    const { config, env: busEnv } = servers();
    env = busEnv;
    bus = await createEventBus(config);
    queue = await createDeadLetterQueue(config);
  });
  afterAll(async () => {
    await Promise.all(open.map((subscription) => subscription.close()));
    await queue?.close();
    await bus?.close();
  });

  const cli = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(process.execPath, ['scripts/dlq.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    return stdout;
  };

  it('a poison event, once its handler is fixed and the DLQ redriven, is handled exactly once; redriving again changes nothing', async () => {
    const topic = uniqueName('dlq.redrive');
    const group = uniqueName('g');
    await bus.ensureTopics([topic], patience);
    let fixed = false;
    const handled: string[] = [];
    const subscription = bus.subscribe({ topics: [topic], group });
    open.push(subscription);
    void (async () => {
      for await (const delivery of subscription) {
        if (!fixed && delivery.event.key === 'poison') {
          await delivery.nack(AppError.invalidArgument('payload', 'a field this version cannot read'));
        } else {
          handled.push(delivery.event.id);
          await delivery.ack();
        }
      }
    })();
    const poison = event(topic, 'poison', 'needs the fix');
    await bus.publish([poison], patience);

    const [letter] = await waitFor(
      async () => {
        const letters = await listDeadLetters(queue, topic, patience);
        return letters.length > 0 && letters;
      },
      { ...patience, intervalMs: 500, what: `the poison event in ${dlqTopicOf(topic)}` },
    );
    expect(letter).toMatchObject({ eventId: poison.id, type: topic, key: 'poison', group, attempts: 1 });
    expect(letter!.reason).toContain(
      'invalid_argument: payload: a field this version cannot read (not retriable)',
    );

    // Only the named group's failures are redriven.
    const elsewhere = await redriveDeadLetters(queue, topic, { group: 'another-group' }, patience);
    expect(elsewhere.redriven).toHaveLength(0);
    expect(elsewhere.skipped.map((l) => l.eventId)).toEqual([poison.id]);

    fixed = true;
    const first = await redriveDeadLetters(queue, topic, { group, eventId: poison.id }, patience);
    expect(first.redriven.map((l) => l.eventId)).toEqual([poison.id]);
    await waitFor(() => handled.includes(poison.id), { ...patience, what: 'the redriven event handled' });

    const listed = await cli('list', topic);
    expect(listed).toContain(poison.id);
    expect(listed).toContain(group);
    expect(listed).toContain('not retriable');
    const again = await cli('redrive', topic, '--group', group);
    expect(again).toContain(`redrove 0 dead letter(s) of ${topic}.dlq`);

    // Whatever a redrive sent would arrive before a later event of the same key.
    const sentinel = event(topic, 'poison', 'after the redrives');
    await bus.publish([sentinel], patience);
    await waitFor(() => handled.includes(sentinel.id), { ...patience, what: 'the sentinel handled' });
    expect(handled.filter((id) => id === poison.id)).toHaveLength(1);
    expect(handled).toEqual([poison.id, sentinel.id]);
  });
});

function event(topic: string, key: string, body: string): CloudEvent {
  return {
    id: newEventId(),
    type: topic,
    source: 'flywheel/redrive-test',
    time: new Date().toISOString(),
    datacontenttype: 'text/plain',
    data: utf8.encode(body),
    key,
  };
}
