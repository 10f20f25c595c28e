import { AppError, type Logger } from '@flywheel/core';
import type { BusConfig } from './create-event-bus.ts';
import type { DeadLetterQueue } from './dlq/dead-letter-queue.ts';
import { createKafkaDeadLetterQueue } from './kafka/kafka-dead-letter-queue.ts';
import { createNatsDeadLetterQueue } from './nats/nats-dead-letter-queue.ts';

/**
 * Raw access to the dead-letter topics of the broker `config` names (Kafka or NATS). Throws
 * `failed_precondition` for the embedded bus: its topics live inside the platform's process, out
 * of reach of another process (there, `MemoryBus.retained('<topic>.dlq')` shows them).
 */
export function createDeadLetterQueue(config: BusConfig, deps: { log?: Logger } = {}): DeadLetterQueue {
  const names = config.topicPrefix === undefined ? {} : { topicPrefix: config.topicPrefix };
  switch (config.kind) {
    case 'memory':
      throw new AppError(
        'failed_precondition',
        'FLYWHEEL_BUS=memory: the embedded bus lives inside the platform process; its dead letters cannot be read from another process (set FLYWHEEL_BUS=kafka or nats)',
      );
    case 'kafka':
      return createKafkaDeadLetterQueue({ brokers: config.brokers, ...names, ...deps });
    case 'nats':
      return createNatsDeadLetterQueue({ url: config.url, ...names, ...deps });
  }
}
