import { AppError, type CallOptions, deadlineSignal, type Logger, silentLogger } from '@flywheel/core';
import { AckPolicy, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import {
  type DeadLetter,
  type DeadLetterQueue,
  deadLetterOf,
  originalMessageOf,
  redriveGroup,
} from '../dlq/dead-letter-queue.ts';
import { dlqTopicOf } from '../event-bus.ts';
import { topicNamespace } from '../topic-names.ts';
import { ensureDurableConsumer, lazyNatsConnection } from './nats-connection.ts';
import { jetStreamErrorCode, natsCall } from './nats-errors.ts';
import { durableNameOf, streamNameOf, subjectOf } from './nats-names.ts';
import type { NatsSecurity } from './nats-security.ts';
import { natsHeadersOf, wireMessageOf } from './nats-wire.ts';

export interface NatsDeadLetterQueueOptions {
  /** `nats://host:port`, or several separated by commas. */
  url: string;
  /** TLS and the NATS user, as the bus uses them; default none. */
  security?: NatsSecurity;
  log?: Logger;
  /** First token of every subject, as the bus uses it. Default `flywheel`. */
  subjectPrefix?: string;
  /** Deadline of `list` and `redrive` when the caller gives none, ms. Default 60 000. */
  defaultTimeoutMs?: number;
  /** Put before every topic name, as the bus does (see topicNamespace): `list('t')` reads `<prefix>t.dlq`. Default none. */
  topicPrefix?: string;
}

/**
 * The dead-letter streams of a JetStream server. `list` reads a DLQ stream by sequence; `redrive`
 * pulls from the durable consumer {@link redriveGroup} of the DLQ stream, up to the last sequence
 * the stream had when the call began, republishes each chosen letter (message id
 * `<event id>-redrive-<dlq sequence>`, so the server's duplicate window cannot swallow it as the
 * original publish, and a repeat of the same letter is dropped) and acks it; letters not chosen are
 * handed back for the next redrive.
 */
export function createNatsDeadLetterQueue(options: NatsDeadLetterQueueOptions): DeadLetterQueue {
  const log = (options.log ?? silentLogger).child({ component: 'nats-dlq' });
  const prefix = options.subjectPrefix ?? 'flywheel';
  const names = topicNamespace(options.topicPrefix);
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 60_000;
  const connection = lazyNatsConnection({
    url: options.url,
    name: 'flywheel-dlq',
    requestTimeoutMs: defaultTimeoutMs,
    ...(options.security ? { security: options.security } : {}),
    log,
  });
  const lastSeqOf = async (dlq: string): Promise<{ first: number; last: number }> => {
    const { jsm } = await connection.get();
    try {
      const { state } = await jsm.streams.info(streamNameOf(dlq));
      return { first: state.first_seq, last: state.last_seq };
    } catch (error) {
      if (
        (error as { code?: unknown }).code === jetStreamErrorCode.streamNotFound ||
        /not found/i.test(String(error))
      )
        throw new AppError('not_found', `nats: there is no dead-letter stream for ${dlq}`);
      throw error;
    }
  };
  const until = <T>(callOptions: CallOptions, doing: string, work: () => Promise<T>): Promise<T> =>
    natsCall(deadlineSignal(callOptions, defaultTimeoutMs), doing, work);

  return {
    list: (topic, callOptions = {}) =>
      until(callOptions, `listing ${dlqTopicOf(names.physical(topic))}`, async () => {
        const dlq = dlqTopicOf(names.physical(topic));
        const { first, last } = await lastSeqOf(dlq);
        const { jsm } = await connection.get();
        const letters: DeadLetter[] = [];
        for (let seq = Math.max(first, 1); seq <= last; seq++) {
          const stored = await jsm.streams.getMessage(streamNameOf(dlq), { seq }).catch(() => null);
          if (stored) letters.push(deadLetterOf(String(seq), wireMessageOf(stored.data, stored.header)));
        }
        return letters;
      }),
    redrive: (topic, choose, callOptions = {}) =>
      until(callOptions, `redriving ${dlqTopicOf(names.physical(topic))}`, async () => {
        const dlq = dlqTopicOf(names.physical(topic));
        const { nc, js, jsm } = await connection.get();
        const { last } = await lastSeqOf(dlq);
        const stream = streamNameOf(dlq);
        const durable = durableNameOf(redriveGroup);
        await ensureDurableConsumer(jsm, stream, {
          durable_name: durable,
          ack_policy: AckPolicy.Explicit,
          ack_wait: nanos(60_000),
          deliver_policy: DeliverPolicy.All,
        });
        const consumer = await js.consumers.get(stream, durable);
        const redriven: DeadLetter[] = [];
        const skipped: DeadLetter[] = [];
        const handBack: JsMsg[] = [];
        for (let more = true; more; ) {
          const batch = await consumer.fetch({ max_messages: 100, expires: 1000 });
          let got = 0;
          for await (const msg of batch) {
            got += 1;
            if (msg.seq > last) {
              handBack.push(msg);
              more = false;
              continue;
            }
            const letter = deadLetterOf(String(msg.seq), wireMessageOf(msg.data, msg.headers));
            if (!choose(letter)) {
              skipped.push(letter);
              handBack.push(msg);
            } else {
              const original = originalMessageOf(letter);
              await js.publish(subjectOf(prefix, names.physical(topic)), original.value, {
                headers: natsHeadersOf(original),
                msgID: `${letter.eventId ?? 'letter'}-redrive-${msg.seq}`,
              });
              await msg.ackAck();
              redriven.push(letter);
              log.info('redrove a dead letter', {
                topic,
                eventId: letter.eventId,
                position: letter.position,
              });
            }
            if (msg.seq >= last) more = false;
          }
          if (got === 0) more = false;
        }
        for (const msg of handBack) msg.nak();
        await nc.flush();
        return { redriven, skipped };
      }),
    close: () => connection.close(),
  };
}
