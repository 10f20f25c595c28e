import type { EventBus } from '@flywheel/bus';
import { AppError, type Logger } from '@flywheel/core';
import { type CloudEvent, newEvent } from '@flywheel/events';
import { PredictionLoggedSchema } from '@flywheel/proto/flywheel/events/v1/prediction_pb.js';
import { type PredictionSample, predictionsOf } from './prediction-rows.ts';

/** How sampled predictions are buffered and published as `prediction.logged` events. */
export interface PredictionLogConfig {
  /** Predictions (rows) the in-memory buffer holds; beyond it, samples are dropped and counted. */
  capacity: number;
  /** Predictions per event unless a deployment says otherwise. */
  maxBatchSize: number;
  /** Longest a prediction waits before its batch is published unless a deployment says otherwise, ms. */
  maxBatchDelayMs: number;
  /** Deadline of one publish, ms. */
  publishTimeoutMs: number;
}

/** How one deployment's predictions are logged. */
export interface PredictionLogSettings {
  /** Fraction of requests logged, 0 to 1. */
  readonly sampleRate: number;
  /** Predictions per event; 0 means the server's default. */
  readonly batchSize: number;
  /** Longest a prediction waits for its batch, ms; 0 means the server's default. */
  readonly batchDelayMs: number;
  readonly includeTensors: boolean;
}

/**
 * Sampled, asynchronous prediction logging: requests hand samples over without waiting, a bounded
 * buffer holds them, and a background flusher publishes `prediction.logged` batches per deployment
 * and model version straight to the bus (telemetry that changes no state, so no outbox).
 */
export interface PredictionLog {
  /**
   * Offers one answered request for logging: sampled at `settings.sampleRate`, then buffered.
   * Never waits and never throws; when the buffer is full the sample is dropped and counted in the
   * next event's `dropped_count`.
   */
  offer(sample: PredictionSample, settings: PredictionLogSettings): void;
  /** Publishes what is buffered, then stops taking samples. */
  close(): Promise<void>;
}

export interface PredictionLogDeps {
  bus: EventBus;
  config: PredictionLogConfig;
  log: Logger;
  /** Uniform in [0, 1); for sampling. */
  random?: () => number;
}

interface Group {
  readonly deploymentName: string;
  readonly modelName: string;
  readonly team: string;
  readonly modelVersion: number;
  settings: PredictionLogSettings;
  samples: PredictionSample[];
  rows: number;
  /** Sampled predictions dropped since the last event of this group. */
  dropped: number;
  timer: NodeJS.Timeout | undefined;
  immediate: boolean;
}

export function createPredictionLog(deps: PredictionLogDeps): PredictionLog {
  const { bus, config, log } = deps;
  const random = deps.random ?? Math.random;
  const groups = new Map<string, Group>();
  /** Rows held: buffered or being published. Bounds memory. */
  let held = 0;
  let closed = false;
  /** Publishes run one after another, oldest first. */
  let publishing: Promise<void> = Promise.resolve();

  const batchSizeOf = (group: Group): number => group.settings.batchSize || config.maxBatchSize;
  const batchDelayOf = (group: Group): number => group.settings.batchDelayMs || config.maxBatchDelayMs;

  const schedule = (group: Group): void => {
    if (group.rows >= batchSizeOf(group)) {
      if (group.immediate) return;
      group.immediate = true;
      setImmediate(() => flush(group));
      return;
    }
    if (group.timer) return;
    group.timer = setTimeout(() => flush(group), batchDelayOf(group));
    group.timer.unref();
  };

  const flush = (group: Group): void => {
    clearTimeout(group.timer);
    group.timer = undefined;
    group.immediate = false;
    const samples = group.samples;
    const rows = group.rows;
    const dropped = group.dropped;
    group.samples = [];
    group.rows = 0;
    group.dropped = 0;
    // The next sample starts a fresh group, so groups of versions no longer served do not pile up.
    if (groups.get(keyOf(group)) === group) groups.delete(keyOf(group));
    if (rows === 0 && dropped === 0) return;
    const events = eventsOf(group, samples, dropped);
    publishing = publishing.then(async () => {
      try {
        await bus.publish(events, { timeoutMs: config.publishTimeoutMs });
      } catch (error) {
        // Logging never fails a request and is never retried without bound: what did not go out is counted as dropped.
        group.dropped += rows + dropped;
        log.warn('prediction log publish failed; predictions dropped', {
          deployment: group.deploymentName,
          version: group.modelVersion,
          rows,
          error: AppError.from(error),
        });
        if (!closed) schedule(group);
      } finally {
        held -= rows;
      }
    });
  };

  const eventsOf = (group: Group, samples: PredictionSample[], dropped: number): CloudEvent[] => {
    const predictions = samples.flatMap((sample) => predictionsOf(sample, group.settings.includeTensors));
    const size = batchSizeOf(group);
    const events: CloudEvent[] = [];
    for (let start = 0; start < predictions.length || events.length === 0; start += size) {
      events.push(
        newEvent(
          PredictionLoggedSchema,
          {
            modelName: group.modelName,
            modelVersion: BigInt(group.modelVersion),
            deploymentName: group.deploymentName,
            team: group.team,
            predictions: predictions.slice(start, start + size),
            sampleRate: group.settings.sampleRate,
            droppedCount: events.length === 0 ? BigInt(dropped) : 0n,
          },
          { source: 'flywheel/serving' },
        ),
      );
    }
    return events;
  };

  return {
    offer(sample, settings) {
      if (closed || sample.rows <= 0 || settings.sampleRate <= 0) return;
      if (settings.sampleRate < 1 && random() >= settings.sampleRate) return;
      const key = `${sample.deploymentName}\u0000${sample.modelVersion}`;
      let group = groups.get(key);
      if (!group) {
        group = {
          deploymentName: sample.deploymentName,
          modelName: sample.modelName,
          team: sample.team,
          modelVersion: sample.modelVersion,
          settings,
          samples: [],
          rows: 0,
          dropped: 0,
          timer: undefined,
          immediate: false,
        };
        groups.set(key, group);
      }
      group.settings = settings;
      if (held + sample.rows > config.capacity) {
        group.dropped += sample.rows;
      } else {
        group.samples.push(sample);
        group.rows += sample.rows;
        held += sample.rows;
      }
      schedule(group);
    },
    async close() {
      closed = true;
      for (const group of groups.values()) flush(group);
      groups.clear();
      await publishing;
    },
  };
}

function keyOf(group: Group): string {
  return `${group.deploymentName}\u0000${group.modelVersion}`;
}
