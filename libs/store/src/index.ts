export type { StoreConfig } from './create-document-store.ts';
export { createDocumentStore, readStoreConfig } from './create-document-store.ts';
export type {
  Collection,
  DeleteOptions,
  Doc,
  DocumentStore,
  FieldCondition,
  FindCursor,
  FindOptions,
  InCondition,
  OutboxEntry,
  PendingOutboxEntry,
  PutOptions,
  RangeCondition,
  RelayedEntry,
  Scalar,
  VersionedWrite,
} from './document-store.ts';
export { maxBatchDocuments } from './document-store.ts';
export type { EmbeddedStoreOptions } from './embedded-store.ts';
export { createEmbeddedStore } from './embedded-store.ts';
export type { MongoStoreOptions } from './mongo-store.ts';
export type { OutboxRelay, OutboxRelayOptions, PublishOutbox } from './outbox-relay.ts';
export { createOutboxRelay } from './outbox-relay.ts';
