// A monitor naming an input or output no registered version of its model has is refused at
// CreateMonitor, naming the field, with a REAL registry answering ListVersions; a model the
// registry does not know yet, or an unreachable registry, leaves the check to the reference.

import type { MessageInitShape } from '@bufbuild/protobuf';
import { createMemoryBus } from '@flywheel/bus';
import type { AppError } from '@flywheel/core';
import { tinyOnnxModel } from '@flywheel/ml';
import type { MonitorSchema } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import {
  DriftTestKind,
  FeatureKind,
  FeatureSource,
  type Monitor,
  TaskKind,
} from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { ArtifactFormat, RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { loadRegistryConfig, wireRegistry } from '@flywheel/registry';
import { createRpcClient } from '@flywheel/rpc';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MonitoringHarness, startMonitoring } from './monitoring-harness.ts';

const tensor = (name: string) => ({ name, datatype: 'FP32', shape: [-1n, 1n] });

// The plain-object form of a Monitor init (not a built message), so partial overrides spread.
type MonitorInit = Exclude<MessageInitShape<typeof MonitorSchema>, Monitor>;

function monitor(name: string, overrides: Partial<MonitorInit> = {}): MonitorInit {
  return {
    name,
    modelName: 'rain',
    features: [{ name: 'temp_max', kind: FeatureKind.NUMERIC, tests: [{ kind: DriftTestKind.KS }] }],
    window: { size: 100 },
    enabled: true,
    ...overrides,
  };
}

describe('CreateMonitor checks the columns against the registered signatures', () => {
  let registry: InProcessService;
  let h: MonitoringHarness;
  let unreachable: MonitoringHarness;

  const failure = async (call: Promise<unknown>) => {
    const error = await call.then(
      () => undefined,
      (e: unknown) => e as AppError,
    );
    if (!error) throw new Error('expected the call to fail');
    return error;
  };

  beforeAll(async () => {
    const bus = createMemoryBus();
    registry = await startInProcess('registry', {
      load: loadRegistryConfig,
      wire: wireRegistry,
      shared: { bus },
    });
    const client = createRpcClient(RegistryService, { address: registry.address });
    try {
      // Two versions: v2 adds "wind", so a monitor may watch any input of either.
      for (const [i, inputs] of [
        ['temp_max', 'temp_min'],
        ['temp_max', 'temp_min', 'wind'],
      ].entries()) {
        const signature = { inputs: inputs.map(tensor), outputs: [tensor('probability')] };
        await client.registerVersion({
          requestId: `rain-${i}`,
          modelName: 'rain',
          // A real ONNX model with that signature: the registry reads it from the graph.
          artifactSource: { case: 'artifactBytes', value: tinyOnnxModel(signature) },
          format: ArtifactFormat.ONNX,
          signature,
        });
      }
    } finally {
      client.close();
    }
    h = await startMonitoring({ registryAddress: registry.address });
    unreachable = await startMonitoring();
  });

  afterAll(async () => {
    await h?.stop();
    await unreachable?.stop();
    await registry?.stop();
  });

  it('accepts inputs and outputs of any registered version', async () => {
    const { monitor: created } = await h.client.createMonitor({
      monitor: monitor('rain-ok', {
        features: [
          { name: 'wind', kind: FeatureKind.NUMERIC },
          { name: 'probability', kind: FeatureKind.NUMERIC, source: FeatureSource.OUTPUT },
        ],
        slices: [{ feature: 'temp_min', edges: [0] }],
        performance: { task: TaskKind.BINARY_CLASSIFICATION, predictionOutput: 'probability' },
      }),
    });
    expect(created?.name).toBe('rain-ok');
  });

  it.each<[string, Partial<MonitorInit>, string, RegExp]>([
    [
      'an input no version has',
      { features: [{ name: 'humidity', kind: FeatureKind.NUMERIC }] },
      'monitor.features[0].name',
      /no input "humidity".*2 registered version.*temp_max, temp_min, wind/,
    ],
    [
      'an output monitored as an input',
      { features: [{ name: 'probability', kind: FeatureKind.NUMERIC }] },
      'monitor.features[0].name',
      /no input "probability"/,
    ],
    [
      'an output no version has',
      {
        features: [
          { name: 'wind', kind: FeatureKind.NUMERIC },
          { name: 'label', kind: FeatureKind.CATEGORICAL, source: FeatureSource.OUTPUT },
        ],
      },
      'monitor.features[1].name',
      /no output "label".*its outputs: probability/,
    ],
    [
      'a slice on an unknown column',
      { slices: [{ feature: 'region', values: ['west'] }] },
      'monitor.slices[0].feature',
      /no input "region"/,
    ],
    [
      'an unknown prediction output',
      { performance: { task: TaskKind.BINARY_CLASSIFICATION, predictionOutput: 'score' } },
      'monitor.performance.prediction_output',
      /no output "score"/,
    ],
  ])(
    'refuses %s: INVALID_ARGUMENT naming the field, nothing stored',
    async (_case, overrides, field, message) => {
      const name = `rain-bad-${field.replace(/[^a-z0-9]+/g, '-')}`.slice(0, 60).replace(/-$/, '');
      const error = await failure(h.client.createMonitor({ monitor: monitor(name, overrides) }));
      expect(error.code).toBe('invalid_argument');
      expect(error.field).toBe(field);
      expect(error.message).toMatch(message);
      const stored = await failure(h.client.getMonitor({ monitorName: name }));
      expect(stored.code).toBe('not_found');
    },
  );

  it('accepts a monitor on a model the registry does not know yet', async () => {
    const { monitor: created } = await h.client.createMonitor({
      monitor: monitor('snow-early', {
        modelName: 'snow',
        features: [{ name: 'depth', kind: FeatureKind.NUMERIC }],
      }),
    });
    expect(created?.modelName).toBe('snow');
  });

  it('accepts when the registry cannot be reached (the reference checks the names later)', async () => {
    const { monitor: created } = await unreachable.client.createMonitor({
      monitor: monitor('rain-offline', { features: [{ name: 'humidity', kind: FeatureKind.NUMERIC }] }),
    });
    expect(created?.features.map((f) => f.name)).toEqual(['humidity']);
  });
});
