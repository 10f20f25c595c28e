// GetPerformanceMetrics: logged predictions joined with ground-truth.received by request id and row.
import { create } from '@bufbuild/protobuf';
import { durationFromMs, timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { AppError } from '@flywheel/core';
import { newEvent } from '@flywheel/events';
import { ValueSchema } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { GroundTruthReceivedSchema } from '@flywheel/proto/flywheel/events/v1/prediction_pb.js';
import { FeatureKind, TaskKind } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MonitoringHarness, startMonitoring } from './monitoring-harness.ts';

const hour = 3_600_000;

describe('performance from ground truth', () => {
  let h: MonitoringHarness;
  const now = Date.now();
  beforeAll(async () => {
    h = await startMonitoring();
    await h.client.createMonitor({
      monitor: {
        name: 'rain-quality',
        modelName: 'rain',
        features: [{ name: 'wind', kind: FeatureKind.NUMERIC }],
        window: { size: 1000 },
        performance: { task: TaskKind.BINARY_CLASSIFICATION, predictionOutput: 'probability' },
        enabled: true,
      },
    });
    // Two hours ago: r1..r5 scored [0.9, 0.6, 0.2, 0.4, 0.7]; one hour ago: r6 (unlabelled), r7.
    await h.logPredictions({
      modelName: 'rain',
      modelVersion: 1,
      rows: [1, 2, 3, 4, 5].map(() => ({ wind: 3 })),
      outputs: [0.9, 0.6, 0.2, 0.4, 0.7].map((probability) => ({ probability })),
      requestIds: ['r1', 'r2', 'r3', 'r4', 'r5'],
      at: now - 2 * hour + 60_000,
    });
    await h.logPredictions({
      modelName: 'rain',
      modelVersion: 2,
      rows: [{ wind: 3 }, { wind: 4 }],
      outputs: [{ probability: 0.8 }, { probability: 0.1 }],
      requestIds: ['r6', 'r7'],
      at: now - hour + 60_000,
    });
    const label = (value: number) =>
      create(ValueSchema, { kind: { case: 'int64Value', value: BigInt(value) } });
    await h.bus.publish([
      newEvent(
        GroundTruthReceivedSchema,
        {
          modelName: 'rain',
          source: 'rain-gauges',
          labels: [
            ...[1, 0, 0, 1, 1].map((y, i) => ({ requestId: `r${i + 1}`, rowIndex: 0, label: label(y) })),
            { requestId: 'r7', rowIndex: 0, label: label(0) },
            { requestId: 'unknown', rowIndex: 0, label: label(1) },
          ],
        },
        { source: 'test/labelling' },
      ),
    ]);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('joins labels to predictions and computes binary metrics per version', async () => {
    const { metrics } = await waitFor(
      async () => {
        const response = await h.client.getPerformanceMetrics({ modelName: 'rain' });
        const labelled = response.metrics.reduce((total, m) => total + m.labelledCount, 0n);
        return labelled === 6n ? response : undefined;
      },
      { what: 'labels joined' },
    );
    expect(metrics.map((m) => [m.modelVersion, m.predictionCount, m.labelledCount])).toEqual([
      [1n, 5n, 5n],
      [2n, 2n, 1n],
    ]);
    const v1 = metrics[0]!.metrics;
    // At 0.5: predicted [1, 1, 0, 0, 1] vs [1, 0, 0, 1, 1]: TP 2, FP 1, TN 1, FN 1.
    expect(v1.accuracy).toBeCloseTo(0.6, 12);
    expect(v1.precision).toBeCloseTo(2 / 3, 12);
    expect(v1.recall).toBeCloseTo(2 / 3, 12);
    expect(v1.auc).toBeCloseTo(5 / 6, 12);
    expect(v1.log_loss).toBeCloseTo(
      -(Math.log(0.9) + Math.log(0.4) + Math.log(0.8) + Math.log(0.4) + Math.log(0.7)) / 5,
      12,
    );
    // v2 has one label, of one class: accuracy, but no AUC.
    expect(metrics[1]!.metrics.accuracy).toBe(1);
    expect(metrics[1]!.metrics.auc).toBeUndefined();
  });

  it('filters by version and splits the range into buckets', async () => {
    const { metrics } = await h.client.getPerformanceMetrics({
      modelName: 'rain',
      modelVersion: 1n,
      startTime: timestampFromMs(now - 3 * hour),
      endTime: timestampFromMs(now),
      bucket: durationFromMs(hour),
    });
    expect(metrics).toHaveLength(1);
    expect(metrics[0]?.startTime).toEqual(timestampFromMs(now - 2 * hour));
    expect(metrics[0]?.endTime).toEqual(timestampFromMs(now - hour));
  });

  it('explains what it cannot answer', async () => {
    const failure = (call: Promise<unknown>) =>
      call.then(
        () => undefined,
        (e: unknown) => e as AppError,
      );
    const noSpec = await failure(h.client.getPerformanceMetrics({ modelName: 'unmonitored' }));
    expect(noSpec?.code).toBe('failed_precondition');
    expect(noSpec?.message).toContain('performance');
    const inverted = await failure(
      h.client.getPerformanceMetrics({
        modelName: 'rain',
        startTime: timestampFromMs(now),
        endTime: timestampFromMs(now - hour),
      }),
    );
    expect(inverted?.code).toBe('invalid_argument');
    expect(inverted?.message).toContain('start_time');
    const tooFine = await failure(
      h.client.getPerformanceMetrics({ modelName: 'rain', bucket: durationFromMs(1000) }),
    );
    expect(tooFine?.message).toContain('bucket');
  });
});
