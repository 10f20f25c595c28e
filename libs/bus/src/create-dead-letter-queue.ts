import { AppError, type Logger } from '@flywheel/core';
import type { BusConfig } from './create-event-bus.ts';
import type { DeadLetterQueue } from './dlq/dead-letter-queue.ts';

/**
 * Raw access to the dead-letter topics of the broker `config` names (Kafka or NATS). Rejects
 * `failed_precondition` for the embedded bus: its topics live inside the platform's process, out
 * of reach of another process (there, `MemoryBus.retained('<topic>.dlq')` shows them).
 */
export async function createDeadLetterQueue(
  config: BusConfig,
  deps: { log?: Logger } = {},
): Promise<DeadLetterQueue> {
  const names = config.topicPrefix === undefined ? {} : { topicPrefix: config.topicPrefix };
  switch (config.kind) {
    case 'memory':
      throw new AppError(
        'failed_precondition',
        'FLYWHEEL_BUS=memory: the embedded bus lives inside the platform process; its dead letters cannot be read from another process (set FLYWHEEL_BUS=kafka or nats)',
      );
    // The broker's client library is loaded only for that broker.
    case 'kafka': {
      const { createKafkaDeadLetterQueue } = await import('./kafka/kafka-dead-letter-queue.ts');
      return createKafkaDeadLetterQueue({ brokers: config.brokers, ...config.security, ...names, ...deps });
    }
    case 'nats': {
      const { createNatsDeadLetterQueue } = await import('./nats/nats-dead-letter-queue.ts');
      return createNatsDeadLetterQueue({ url: config.url, security: config.security, ...names, ...deps });
    }
  }
}
