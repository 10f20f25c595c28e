import { AppError, abortError } from '@flywheel/core';
import type {
  DynamicBatchingOptions,
  ModelRunner,
  ModelSignature,
  RunOptions,
  TensorValue,
} from './model-runner.ts';
import type { TensorData } from './oip-datatypes.ts';

/** How the batcher schedules one loaded version. */
export interface DynamicBatcherOptions extends DynamicBatchingOptions {
  /** Batches run at once: the inner runner's instances. */
  concurrency: number;
  /** Requests waiting in the queue before new ones fail with RESOURCE_EXHAUSTED. */
  maxQueueSize: number;
  /** Called with the rows of every batch sent to the model (statistics, tests). */
  onBatch?: (rows: number, requests: number) => void;
}

interface Queued {
  readonly inputs: ReadonlyMap<string, TensorValue>;
  readonly outputs: readonly string[];
  readonly rows: number;
  /** Requests with the same key can share a batch: same outputs, same non-batch dimensions. */
  readonly key: string;
  /** Effective level: lower first; unset (0) after every explicit level. */
  readonly level: number;
  readonly enqueuedNs: bigint;
  /** Triton `timeout`: answered DEADLINE_EXCEEDED after this (hrtime ns), never computed. */
  readonly expiresNs: bigint | undefined;
  readonly signal: AbortSignal | undefined;
  readonly onScheduled: RunOptions['onScheduled'];
  resolve(outputs: Map<string, TensorValue>): void;
  reject(error: unknown): void;
  /** Removes abort listener and timeout timer. */
  settle(): void;
}

/**
 * Triton-style dynamic batching in front of a runner: concurrent requests queue per loaded version
 * and are concatenated along dimension 0 into one run of at most `maxBatchSize` rows, whose outputs
 * are split back by rows. A batch leaves the queue when one of the `concurrency` slots is free and
 * either it reaches `maxBatchSize`, or a prefix of it reaches a preferred size, or the oldest request
 * in it has waited `maxQueueDelayUs`; while every slot is busy the queue keeps filling, so batches
 * grow with load. Requests leave in priority order (`priority`: lower level first, 0 = after every
 * level), then arrival. A request whose `timeoutUs` or `signal` ends while queued is answered
 * DEADLINE_EXCEEDED / its abort reason and never computed.
 *
 * A model whose inputs and outputs do not all have a dynamic first dimension is not batched: the
 * inner runner is returned unchanged. A request larger than `maxBatchSize` rows runs alone.
 *
 * run() throws AppError resource_exhausted when `maxQueueSize` requests are already waiting,
 * invalid_argument when `priority` or `timeoutUs` is negative or not an integer, and whatever the
 * inner runner throws for the batch the request ran in.
 */
export function createDynamicBatcher(inner: ModelRunner, options: DynamicBatcherOptions): ModelRunner {
  if (!batchable(inner.signature)) return inner;
  const maxBatchSize = Math.max(1, options.maxBatchSize);
  const preferred = [...new Set(options.preferredBatchSizes)]
    .filter((size) => size >= 1 && size <= maxBatchSize)
    .sort((a, b) => b - a);
  const maxDelayNs = BigInt(Math.max(0, Math.round(options.maxQueueDelayUs))) * 1000n;
  const concurrency = Math.max(1, options.concurrency);
  const queue: Queued[] = [];
  let running = 0;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = 0n;
  let closed = false;

  const remove = (entry: Queued): boolean => {
    const index = queue.indexOf(entry);
    if (index < 0) return false;
    queue.splice(index, 1);
    return true;
  };

  const expire = (entry: Queued, error: AppError): void => {
    if (!remove(entry)) return;
    entry.settle();
    entry.reject(error);
  };

  const timeoutError = (entry: Queued): AppError =>
    new AppError(
      'deadline_exceeded',
      `the request waited longer than its timeout of ${(entry.expiresNs! - entry.enqueuedNs) / 1000n} µs in the queue and was not run`,
    );

  /** Sends batches while slots are free and the queue can form one. */
  const pump = (): void => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    const now = process.hrtime.bigint();
    for (const entry of [...queue]) {
      if (entry.expiresNs !== undefined && entry.expiresNs <= now) expire(entry, timeoutError(entry));
    }
    while (running < concurrency && queue.length > 0) {
      const head = queue[0]!;
      const batch: Queued[] = [head];
      let rows = head.rows;
      for (let i = 1; i < queue.length && rows < maxBatchSize; i++) {
        const entry = queue[i]!;
        if (entry.key === head.key && rows + entry.rows <= maxBatchSize) {
          batch.push(entry);
          rows += entry.rows;
        }
      }
      const waitedEnough = now - head.enqueuedNs >= maxDelayNs;
      let take = batch.length;
      if (rows < maxBatchSize && !waitedEnough) {
        const prefix = preferredPrefix(batch, preferred);
        if (prefix === 0) {
          arm(head.enqueuedNs + maxDelayNs);
          return;
        }
        take = prefix;
      }
      const chosen = batch.slice(0, take);
      for (const entry of chosen) {
        remove(entry);
        entry.settle();
      }
      dispatch(chosen);
    }
  };

  const arm = (atNs: bigint): void => {
    if (timer && timerAt <= atNs) return;
    if (timer) clearTimeout(timer);
    timerAt = atNs;
    const ms = Number(atNs - process.hrtime.bigint()) / 1e6;
    timer = setTimeout(pump, Math.max(0, Math.ceil(ms)));
  };

  const dispatch = (batch: Queued[]): void => {
    running++;
    const rows = batch.reduce((sum, entry) => sum + entry.rows, 0);
    options.onBatch?.(rows, batch.length);
    const now = process.hrtime.bigint();
    for (const [i, entry] of batch.entries()) {
      entry.onScheduled?.({ queueNs: now - entry.enqueuedNs, batchRows: rows, first: i === 0 });
    }
    const first = batch[0]!;
    const run =
      batch.length === 1
        ? inner.run(first.inputs, first.outputs)
        : inner.run(concatenate(batch), first.outputs, { transferInputs: true });
    run
      .then(
        (outputs) => {
          if (batch.length === 1) {
            first.resolve(outputs);
            return;
          }
          let parts: Map<string, TensorValue>[];
          try {
            parts = split(outputs, batch, rows);
          } catch (error) {
            for (const entry of batch) entry.reject(error);
            return;
          }
          for (const [i, entry] of batch.entries()) entry.resolve(parts[i]!);
        },
        (error: unknown) => {
          for (const entry of batch) entry.reject(error);
        },
      )
      .finally(() => {
        running--;
        pump();
      });
  };

  return {
    signature: inner.signature,
    run(inputs, outputs, runOptions: RunOptions = {}) {
      if (closed) return Promise.reject(new AppError('failed_precondition', 'the model has been unloaded'));
      const { signal } = runOptions;
      if (signal?.aborted) return Promise.reject(abortError(signal));
      const priority = runOptions.priority ?? 0;
      const timeoutUs = runOptions.timeoutUs ?? 0;
      if (!Number.isSafeInteger(priority) || priority < 0) {
        return Promise.reject(
          AppError.invalidArgument('parameters.priority', `must be an integer ≥ 0, got ${priority}`),
        );
      }
      if (!Number.isSafeInteger(timeoutUs) || timeoutUs < 0) {
        return Promise.reject(
          AppError.invalidArgument('parameters.timeout', `must be µs ≥ 0, got ${timeoutUs}`),
        );
      }
      const rows = rowsOf(inputs);
      if (runOptions.unqueued || rows === undefined || rows > maxBatchSize) {
        // Asked to skip the queue (warm-up), not splittable along dimension 0, or larger than any
        // batch: runs alone, bypassing the queue.
        return inner.run(inputs, outputs, runOptions);
      }
      if (queue.length >= options.maxQueueSize) {
        return Promise.reject(
          new AppError(
            'resource_exhausted',
            `the model's queue holds ${queue.length} requests, its limit (max_queue_size); retry later`,
          ),
        );
      }
      return new Promise((resolve, reject) => {
        const enqueuedNs = process.hrtime.bigint();
        let timeout: NodeJS.Timeout | undefined;
        const entry: Queued = {
          inputs,
          outputs,
          rows,
          key: keyOf(inputs, outputs),
          level: priority === 0 ? Number.MAX_SAFE_INTEGER : priority,
          enqueuedNs,
          expiresNs: timeoutUs > 0 ? enqueuedNs + BigInt(timeoutUs) * 1000n : undefined,
          signal,
          onScheduled: runOptions.onScheduled,
          resolve,
          reject,
          settle() {
            signal?.removeEventListener('abort', onAbort);
            if (timeout) clearTimeout(timeout);
          },
        };
        const onAbort = (): void => expire(entry, abortError(signal!));
        signal?.addEventListener('abort', onAbort, { once: true });
        if (timeoutUs > 0) {
          timeout = setTimeout(() => expire(entry, timeoutError(entry)), Math.ceil(timeoutUs / 1000));
        }
        let at = queue.length;
        while (at > 0 && queue[at - 1]!.level > entry.level) at--;
        queue.splice(at, 0, entry);
        pump();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      for (const entry of queue.splice(0)) {
        entry.settle();
        entry.reject(new AppError('unavailable', 'the model was unloaded before the request ran'));
      }
      await inner.close();
    },
  };
}

/** Whether every input and output has a dynamic (symbolic or unnamed) first dimension. */
function batchable(signature: ModelSignature): boolean {
  const dynamicFirst = (shape: readonly (number | string)[]): boolean =>
    shape.length > 0 && typeof shape[0] === 'string';
  return (
    signature.inputs.length > 0 &&
    signature.inputs.every((spec) => dynamicFirst(spec.shape)) &&
    signature.outputs.every((spec) => dynamicFirst(spec.shape))
  );
}

/** Rows of a request: the first dimension, equal across inputs; undefined when they differ. */
function rowsOf(inputs: ReadonlyMap<string, TensorValue>): number | undefined {
  let rows: number | undefined;
  for (const value of inputs.values()) {
    const first = value.shape[0];
    if (first === undefined || (rows !== undefined && first !== rows)) return undefined;
    rows = first;
  }
  return rows !== undefined && rows > 0 ? rows : undefined;
}

function keyOf(inputs: ReadonlyMap<string, TensorValue>, outputs: readonly string[]): string {
  let key = outputs.join('\u0000');
  for (const [name, value] of inputs)
    key += `\u0001${name}:${value.datatype}:${value.shape.slice(1).join('x')}`;
  return key;
}

/** Entries in the longest prefix of `batch` whose rows sum to a preferred size; 0 when none does. */
function preferredPrefix(batch: readonly Queued[], preferred: readonly number[]): number {
  if (preferred.length === 0) return 0;
  let best = 0;
  let rows = 0;
  for (const [i, entry] of batch.entries()) {
    rows += entry.rows;
    if (preferred.includes(rows)) best = i + 1;
  }
  return best;
}

/** The batch's inputs, each concatenated along dimension 0 into fresh arrays. */
function concatenate(batch: readonly Queued[]): Map<string, TensorValue> {
  const merged = new Map<string, TensorValue>();
  const rows = batch.reduce((sum, entry) => sum + entry.rows, 0);
  for (const [name, first] of batch[0]!.inputs) {
    const parts = batch.map((entry) => entry.inputs.get(name)!.data);
    merged.set(name, {
      datatype: first.datatype,
      shape: [rows, ...first.shape.slice(1)],
      data: concat(parts),
    });
  }
  return merged;
}

function concat(parts: readonly TensorData[]): TensorData {
  const first = parts[0]!;
  if (Array.isArray(first)) return (parts as string[][]).flat();
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const Constructor = first.constructor as new (length: number) => Exclude<TensorData, string[]>;
  const out = new Constructor(length);
  let offset = 0;
  for (const part of parts) {
    (out as Float32Array).set(part as Float32Array, offset);
    offset += part.length;
  }
  return out;
}

/** The batch's outputs split back per request by rows (views, not copies). */
function split(
  outputs: ReadonlyMap<string, TensorValue>,
  batch: readonly Queued[],
  rows: number,
): Map<string, TensorValue>[] {
  const parts = batch.map(() => new Map<string, TensorValue>());
  for (const [name, value] of outputs) {
    if (value.shape[0] !== rows) {
      throw new AppError(
        'internal',
        `output "${name}" has ${value.shape[0]} rows for a batch of ${rows}; the model cannot be batched along dimension 0`,
      );
    }
    const perRow = value.data.length / rows;
    let offset = 0;
    batch.forEach((entry, i) => {
      const start = offset * perRow;
      const end = (offset + entry.rows) * perRow;
      const data = Array.isArray(value.data) ? value.data.slice(start, end) : value.data.subarray(start, end);
      parts[i]!.set(name, { datatype: value.datatype, shape: [entry.rows, ...value.shape.slice(1)], data });
      offset += entry.rows;
    });
  }
  return parts;
}
