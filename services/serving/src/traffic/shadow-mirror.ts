import { create } from '@bufbuild/protobuf';
import { type Duration, DurationSchema, timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { EventBus } from '@flywheel/bus';
import { AppError, type Logger } from '@flywheel/core';
import { newEvent } from '@flywheel/events';
import { ShadowComparedSchema } from '@flywheel/proto/flywheel/events/v1/deployment_pb.js';
import type { LiveModel } from '../runtime/live-model.ts';
import type { TensorValue } from '../runtime/model-runner.ts';
import { quantile } from './traffic-stats.ts';

/** A request the primary answered, offered for mirroring. */
export interface MirroredRequest {
  deploymentName: string;
  modelName: string;
  team: string;
  primaryVersion: number;
  primaryLatencyNs: bigint;
  inputs: ReadonlyMap<string, TensorValue>;
  outputNames: readonly string[];
  outputs: ReadonlyMap<string, TensorValue>;
}

/**
 * Mirrors answered requests to shadow versions in the background and publishes how they compare
 * (`shadow.compared`, one event per deployment, shadow version and window). Offering never waits:
 * at most `maxInFlight` shadow runs are under way; beyond that a mirror is dropped and counted
 * (`metrics.dropped` of the next event). Events are telemetry and change no state, so they are
 * published directly, not through the outbox.
 */
export interface ShadowMirror {
  offer(request: MirroredRequest, shadows: readonly LiveModel[], windowMs: number): void;
  /** Publishes every open window now and stops; resolves when published. */
  close(): Promise<void>;
}

export interface ShadowMirrorOptions {
  bus: EventBus;
  log: Logger;
  /** Shadow runs under way at once; default 32. */
  maxInFlight?: number;
  /** Deadline of one publish, ms; default 10 s. */
  publishTimeoutMs?: number;
}

interface Window {
  key: string;
  deploymentName: string;
  modelName: string;
  team: string;
  primaryVersion: number;
  shadowVersion: number;
  startMs: number;
  samples: number;
  errors: number;
  agreed: number;
  absDiffSum: number;
  diffCount: number;
  maxAbsDiff: number;
  dropped: number;
  primaryMs: number[];
  shadowMs: number[];
  timer: NodeJS.Timeout | undefined;
}

export function createShadowMirror(options: ShadowMirrorOptions): ShadowMirror {
  const { bus, log } = options;
  const maxInFlight = options.maxInFlight ?? 32;
  const publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
  const windows = new Map<string, Window>();
  let inFlight = 0;
  let publishing: Promise<void> = Promise.resolve();
  let closed = false;

  const windowOf = (request: MirroredRequest, shadowVersion: number, windowMs: number): Window => {
    const key = `${request.deploymentName}\u0000${shadowVersion}`;
    let window = windows.get(key);
    if (!window) {
      window = {
        key,
        deploymentName: request.deploymentName,
        modelName: request.modelName,
        team: request.team,
        primaryVersion: request.primaryVersion,
        shadowVersion,
        startMs: Date.now(),
        samples: 0,
        errors: 0,
        agreed: 0,
        absDiffSum: 0,
        diffCount: 0,
        maxAbsDiff: 0,
        dropped: 0,
        primaryMs: [],
        shadowMs: [],
        timer: undefined,
      };
      const opened = window;
      window.timer = setTimeout(() => flush(opened), windowMs);
      window.timer.unref();
      windows.set(key, window);
    }
    return window;
  };

  const flush = (window: Window): void => {
    clearTimeout(window.timer);
    if (windows.get(window.key) === window) windows.delete(window.key);
    if (window.samples === 0 && window.errors === 0 && window.dropped === 0) return;
    const endMs = Date.now();
    const compared = window.samples;
    const event = newEvent(
      ShadowComparedSchema,
      {
        deploymentName: window.deploymentName,
        team: window.team,
        modelName: window.modelName,
        primaryVersion: BigInt(window.primaryVersion),
        shadowVersion: BigInt(window.shadowVersion),
        windowStartTime: timestampFromMs(window.startMs),
        windowEndTime: timestampFromMs(endMs),
        sampleCount: BigInt(compared + window.errors),
        shadowErrorCount: BigInt(window.errors),
        agreementRate: compared === 0 ? 0 : window.agreed / compared,
        meanAbsDiff: window.diffCount === 0 ? 0 : window.absDiffSum / window.diffCount,
        primaryLatencyP99: latencyDuration(quantile(window.primaryMs, 0.99)),
        shadowLatencyP99: latencyDuration(quantile(window.shadowMs, 0.99)),
        metrics: { max_abs_diff: window.maxAbsDiff, dropped: window.dropped },
      },
      { source: 'flywheel/serving' },
    );
    publishing = publishing.then(() =>
      bus.publish([event], { timeoutMs: publishTimeoutMs }).catch((error: unknown) => {
        log.warn('shadow comparison publish failed; the window is lost', {
          deployment: window.deploymentName,
          shadow: window.shadowVersion,
          error: AppError.from(error),
        });
      }),
    );
  };

  // Results are counted in the window open when they arrive, not the one open when they were
  // offered: on a busy machine a shadow may finish after its window flushed, and counting it into
  // the flushed window would lose it (neither compared nor dropped).
  const mirror = async (request: MirroredRequest, shadow: LiveModel, windowMs: number): Promise<void> => {
    let lease: ReturnType<LiveModel['acquire']>;
    try {
      lease = shadow.acquire(Number.MAX_SAFE_INTEGER);
    } catch {
      windowOf(request, shadow.version, windowMs).dropped++;
      return;
    }
    const started = process.hrtime.bigint();
    try {
      const outputs = await shadow.runner.run(request.inputs, request.outputNames);
      if (closed) return; // the last windows were flushed by close()
      const window = windowOf(request, shadow.version, windowMs);
      window.shadowMs.push(Number(process.hrtime.bigint() - started) / 1e6);
      window.primaryMs.push(Number(request.primaryLatencyNs) / 1e6);
      window.samples++;
      const diff = compareOutputs(request.outputs, outputs);
      if (diff.agree) window.agreed++;
      window.absDiffSum += diff.absDiffSum;
      window.diffCount += diff.count;
      window.maxAbsDiff = Math.max(window.maxAbsDiff, diff.maxAbsDiff);
    } catch {
      if (!closed) windowOf(request, shadow.version, windowMs).errors++;
    } finally {
      lease.release();
    }
  };

  return {
    offer(request, shadows, windowMs) {
      if (closed) return;
      for (const shadow of shadows) {
        if (inFlight >= maxInFlight) {
          windowOf(request, shadow.version, windowMs).dropped++;
          continue;
        }
        inFlight++;
        // After the response is sent: the primary never waits for its shadows.
        setImmediate(() => {
          void mirror(request, shadow, windowMs).finally(() => {
            inFlight--;
          });
        });
      }
    },
    async close() {
      closed = true;
      for (const window of [...windows.values()]) flush(window);
      await publishing;
    },
  };
}

/**
 * How a shadow's outputs compare with the primary's: they agree when every integer, boolean and
 * string output is equal and, for floating-point outputs, every element rounds to the same side of
 * 0.5 (a probability's label); mean/max absolute difference over floating-point elements.
 */
export function compareOutputs(
  primary: ReadonlyMap<string, TensorValue>,
  shadow: ReadonlyMap<string, TensorValue>,
): { agree: boolean; absDiffSum: number; count: number; maxAbsDiff: number } {
  let agree = true;
  let absDiffSum = 0;
  let count = 0;
  let maxAbsDiff = 0;
  for (const [name, expected] of primary) {
    const actual = shadow.get(name);
    if (!actual || actual.data.length !== expected.data.length) {
      agree = false;
      continue;
    }
    const floating = expected.datatype === 'FP32' || expected.datatype === 'FP64';
    for (let i = 0; i < expected.data.length; i++) {
      const a = expected.data[i];
      const b = actual.data[i];
      if (floating && typeof a === 'number' && typeof b === 'number') {
        const diff = Math.abs(a - b);
        absDiffSum += diff;
        count++;
        if (diff > maxAbsDiff) maxAbsDiff = diff;
        if (a >= 0.5 !== b >= 0.5) agree = false;
      } else if (String(a) !== String(b)) agree = false;
    }
  }
  return { agree, absDiffSum, count, maxAbsDiff };
}

/**
 * A measured latency (fractional ms from `performance.now()`, never negative) as a Duration in
 * whole microseconds. `durationFromMs` keeps the fraction, so 8.142511 ms became 8142511.000000001
 * nanos, which protobuf refuses to encode (the mirror's flush then threw).
 */
export function latencyDuration(ms: number): Duration {
  const micros = Math.max(0, Math.round(ms * 1000));
  const seconds = Math.floor(micros / 1_000_000);
  return create(DurationSchema, { seconds: BigInt(seconds), nanos: (micros - seconds * 1_000_000) * 1000 });
}
