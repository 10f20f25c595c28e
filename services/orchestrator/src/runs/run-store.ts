import { AppError, type CallOptions, isAppError } from '@flywheel/core';
import type { CloudEvent } from '@flywheel/events';
import { toOutboxEntry } from '@flywheel/events';
import type { Collection, Doc, DocumentStore, FieldCondition, FindOptions } from '@flywheel/store';
import { type RunRecord, runIndexes, runsCollection } from './run-records.ts';

/** A change to a run: the next record and the events announcing it, written together. */
export interface RunChange {
  record: RunRecord;
  events?: readonly CloudEvent[];
}

/** Computes a change from the current record (a copy it may modify), or undefined for none. */
export type RunMutation = (current: RunRecord) => RunChange | undefined;

/** The runs collection with compare-and-set updates and in-process change notifications. */
export interface RunStore {
  get(id: string, options?: CallOptions): Promise<Doc<RunRecord> | undefined>;
  /** Creates a run (expectedVersion 0) with its events. Throws `already_exists` when the id is taken. */
  create(change: RunChange, options?: CallOptions): Promise<Doc<RunRecord>>;
  /**
   * Applies `mutation` to the stored run and writes the result with its events in one
   * compare-and-set write; on a concurrent write it re-reads and applies the mutation again.
   * Resolves to the stored document (unchanged when the mutation returned undefined). Throws
   * `not_found` for an unknown run.
   */
  update(id: string, mutation: RunMutation, options?: CallOptions): Promise<Doc<RunRecord>>;
  find(filter: Readonly<Record<string, FieldCondition>>, options?: FindOptions): Promise<Doc<RunRecord>[]>;
  /** Calls `listener` with every version of run `id` this process writes. Returns the unsubscribe. */
  watch(id: string, listener: (doc: Doc<RunRecord>) => void): () => void;
}

/** The run store on the service's document store. */
export function createRunStore(store: DocumentStore): RunStore {
  const runs: Collection<RunRecord> = store.collection<RunRecord>(runsCollection, { indexes: runIndexes });
  const listeners = new Map<string, Set<(doc: Doc<RunRecord>) => void>>();

  const notify = (doc: Doc<RunRecord>): void => {
    for (const listener of listeners.get(doc.id) ?? []) listener(doc);
  };
  const write = async (
    id: string,
    change: RunChange,
    expectedVersion: number,
    options: CallOptions,
  ): Promise<Doc<RunRecord>> => {
    const doc = await runs.put(id, change.record, {
      ...options,
      expectedVersion,
      outbox: (change.events ?? []).map(toOutboxEntry),
    });
    notify(doc);
    return doc;
  };

  return {
    get: (id, options) => runs.get(id, options),
    create: (change, options = {}) => write(change.record.id, change, 0, options),
    update: async (id, mutation, options = {}) => {
      for (let attempt = 1; ; attempt++) {
        const current = await runs.get(id, options);
        if (!current) throw new AppError('not_found', `run "${id}" not found`);
        const change = mutation(structuredClone(current.data));
        if (!change) return current;
        try {
          return await write(id, change, current.version, options);
        } catch (error) {
          if (!isAppError(error, 'aborted') || attempt >= 20) throw error;
        }
      }
    },
    find: (filter, options) => runs.find(filter, options),
    watch: (id, listener) => {
      let set = listeners.get(id);
      if (!set) {
        set = new Set();
        listeners.set(id, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(id);
      };
    },
  };
}
