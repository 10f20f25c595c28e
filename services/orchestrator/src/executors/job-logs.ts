import { type CallOptions, type Logger, silentLogger } from '@flywheel/core';
import type { Collection, DocumentStore } from '@flywheel/store';

export type LogStreamName = 'stdout' | 'stderr' | 'system';

/** One captured line of a job. */
export interface LogLineRecord {
  /** Position in the job's log, from 0, across its streams. */
  n: number;
  /** RFC 3339, when the orchestrator read the line. */
  time: string;
  stream: LogStreamName;
  /** Without its newline; lines longer than the limit are cut into several. */
  text: string;
}

/** Stored shape: consecutive lines of one job, keyed `<job id>#<seq>`. */
interface LogChunkRecord {
  runId: string;
  jobId: string;
  seq: number;
  lines: LogLineRecord[];
}

/** Which job a log belongs to. */
export interface JobLogKey {
  readonly runId: string;
  readonly jobId: string;
}

/** Where an executor writes a job's lines. */
export interface JobLogSink {
  /** Appends one line (cut to the line limit). Never throws; storage failures are logged and retried on the next flush. */
  write(stream: LogStreamName, text: string): void;
  /** Flushes what is buffered and ends the log; later writes are dropped. */
  close(): Promise<void>;
}

/** Captured job logs: persisted in chunks, with the lines not yet persisted kept live in memory. */
export interface JobLogs {
  open(key: JobLogKey): JobLogSink;
  /** Every line of a job so far, in order. */
  read(jobId: string, options?: CallOptions): Promise<LogLineRecord[]>;
  /**
   * The job's lines after line `afterN` (-1 for all), in batches as they are written, until the
   * job's log closes (at once when it is not being written in this process) or `signal` aborts.
   */
  follow(jobId: string, afterN: number, signal: AbortSignal): AsyncIterable<LogLineRecord[]>;
}

export interface JobLogsOptions {
  store: DocumentStore;
  log?: Logger;
  /** Longest line kept, characters; longer ones are cut into several lines. Default 8192. */
  maxLineChars?: number;
  /** How often buffered lines are persisted, ms. Default 250. */
  flushIntervalMs?: number;
  /** Lines per stored chunk. Default 500. */
  linesPerChunk?: number;
}

interface LiveLog {
  /** Lines not known to be persisted, plus the recent ones; `lines[0].n` is the first held. */
  lines: LogLineRecord[];
  persistedUpTo: number;
  nextN: number;
  nextSeq: number;
  closed: boolean;
  /** Resolves (and is replaced) on every append and on close. */
  changed: Promise<void>;
  wake: () => void;
}

const maxChunksPerJob = 10_000;

/** Job logs on the service's document store (collection `job-logs`). */
export function createJobLogs(options: JobLogsOptions): JobLogs {
  const log = options.log ?? silentLogger;
  const maxLineChars = options.maxLineChars ?? 8192;
  const flushIntervalMs = options.flushIntervalMs ?? 250;
  const linesPerChunk = options.linesPerChunk ?? 500;
  const chunks: Collection<LogChunkRecord> = options.store.collection<LogChunkRecord>('job-logs', {
    indexes: ['jobId', 'runId', 'seq'],
  });
  const live = new Map<string, LiveLog>();

  const readStored = async (jobId: string, callOptions: CallOptions = {}): Promise<LogLineRecord[]> => {
    const docs = await chunks.find({ jobId }, { ...callOptions, sortBy: 'seq', limit: maxChunksPerJob });
    return docs.flatMap((doc) => doc.data.lines);
  };

  const newChanged = (state: Pick<LiveLog, 'changed' | 'wake'>): void => {
    state.changed = new Promise<void>((resolve) => {
      state.wake = resolve;
    });
  };

  return {
    open: (key) => {
      const state: LiveLog = {
        lines: [],
        persistedUpTo: -1,
        nextN: 0,
        nextSeq: 0,
        closed: false,
        changed: Promise.resolve(),
        wake: () => {},
      };
      newChanged(state);
      live.set(key.jobId, state);
      let flushing: Promise<void> = Promise.resolve();

      const flushOnce = async (): Promise<void> => {
        for (;;) {
          const pending = state.lines.filter((line) => line.n > state.persistedUpTo).slice(0, linesPerChunk);
          if (pending.length === 0) return;
          const seq = state.nextSeq;
          try {
            await chunks.put(`${key.jobId}#${String(seq).padStart(6, '0')}`, {
              runId: key.runId,
              jobId: key.jobId,
              seq,
              lines: pending,
            });
          } catch (error) {
            log.warn('could not persist job log lines; retrying on the next flush', {
              jobId: key.jobId,
              error,
            });
            return;
          }
          state.nextSeq = seq + 1;
          state.persistedUpTo = pending.at(-1)?.n ?? state.persistedUpTo;
          // Keep what readers may still be reading live; the rest is in the store.
          const keepFrom = state.lines.length - linesPerChunk;
          if (keepFrom > 0)
            state.lines = state.lines.filter((line, i) => i >= keepFrom || line.n > state.persistedUpTo);
        }
      };
      const flush = (): Promise<void> => {
        flushing = flushing.then(flushOnce);
        return flushing;
      };
      const timer = setInterval(() => void flush(), flushIntervalMs);
      timer.unref();

      return {
        write: (stream, text) => {
          if (state.closed) return;
          const time = new Date().toISOString();
          for (let at = 0; at === 0 || at < text.length; at += maxLineChars) {
            state.lines.push({ n: state.nextN++, time, stream, text: text.slice(at, at + maxLineChars) });
          }
          const wake = state.wake;
          newChanged(state);
          wake();
        },
        close: async () => {
          if (state.closed) return;
          clearInterval(timer);
          await flush();
          state.closed = true;
          live.delete(key.jobId);
          state.wake();
        },
      };
    },

    read: async (jobId, callOptions = {}) => {
      const state = live.get(jobId);
      if (!state) return readStored(jobId, callOptions);
      // Snapshot memory first: lines dropped from memory after it were persisted before it.
      const held = [...state.lines];
      const stored = await readStored(jobId, callOptions);
      const last = stored.at(-1)?.n ?? -1;
      return [...stored, ...held.filter((line) => line.n > last)];
    },

    follow: async function* (jobId, afterN, signal) {
      let after = afterN;
      const aborted = abortion(signal);
      for (;;) {
        if (signal.aborted) return;
        const state = live.get(jobId);
        if (!state) {
          const rest = (await readStored(jobId, { signal })).filter((line) => line.n > after);
          if (rest.length > 0) yield rest;
          return;
        }
        const changed = state.changed;
        const first = state.lines[0]?.n ?? state.nextN;
        let batch = state.lines.filter((line) => line.n > after);
        if (first > after + 1) {
          const stored = (await readStored(jobId, { signal })).filter((line) => line.n > after);
          const last = stored.at(-1)?.n ?? after;
          batch = [...stored, ...batch.filter((line) => line.n > last)];
        }
        if (batch.length > 0) {
          after = batch.at(-1)?.n ?? after;
          yield batch;
          continue;
        }
        if (state.closed) return;
        await Promise.race([changed, aborted]);
      }
    },
  };
}

function abortion(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
