export type { ConsumerSet, ConsumerSetOptions, WantedConsumer } from './consumer-set.ts';
export { createConsumerSet } from './consumer-set.ts';
export { createDeadLetterQueue } from './create-dead-letter-queue.ts';
export type { BusConfig, BusDeliveryConfig } from './create-event-bus.ts';
export { busKinds, createEventBus, readBusConfig } from './create-event-bus.ts';
export type { DeadLetter, DeadLetterQueue } from './dlq/dead-letter-queue.ts';
export { redriveGroup } from './dlq/dead-letter-queue.ts';
export type { RedriveFilter } from './dlq/redrive-dead-letters.ts';
export { listDeadLetters, redriveDeadLetters } from './dlq/redrive-dead-letters.ts';
export type { EventAdmission, EventSecurityConfig } from './event-admission.ts';
export { createEventAdmission, readEventSecurityConfig, signerFor } from './event-admission.ts';
export type {
  ConsumerLag,
  Delivery,
  DeliveryAttemptOutcome,
  EventBus,
  SubscribeOptions,
  Subscription,
} from './event-bus.ts';
export { dlqHeaders, dlqTopicOf } from './event-bus.ts';
export type { EventHandler, HandleEventsOptions, HandlerContext } from './handle-events.ts';
export { handleEvents } from './handle-events.ts';
export type { IdempotentHandlerOptions, ProcessedEvent } from './idempotent-handler.ts';
export { createIdempotentHandler } from './idempotent-handler.ts';
export type { KafkaBus, KafkaBusOptions } from './kafka/kafka-bus.ts';
export type { MemoryBus, MemoryBusOptions } from './memory/memory-bus.ts';
export { createMemoryBus } from './memory/memory-bus.ts';
export type { NatsBusOptions } from './nats/nats-bus.ts';
export type { NatsSecurity } from './nats/nats-security.ts';
export { natsConnectOptionsOf, readNatsSecurity } from './nats/nats-security.ts';
export { assertTopicName } from './topic-names.ts';
