import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { MonitoringService } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import type { ServiceHost, ServiceWiring } from '@flywheel/runtime';
import { createMonitoringApi } from './api/monitoring-api.ts';
import { monitoringPolicy } from './api/monitoring-policy.ts';
import type { MonitoringConfig } from './config.ts';
import { monitoringConsumedEvents } from './consumed-events.ts';
import { createGetDriftReport } from './drift/get-drift-report.ts';
import { createListAlerts } from './drift/list-alerts.ts';
import { createListDriftResults } from './drift/list-drift-results.ts';
import { createCreateMonitor } from './monitors/create-monitor.ts';
import { createDeleteMonitor } from './monitors/delete-monitor.ts';
import { createGetMonitor } from './monitors/get-monitor.ts';
import { createListMonitors } from './monitors/list-monitors.ts';
import { registryModelColumns } from './monitors/model-columns.ts';
import { createGetPerformanceMetrics } from './performance/get-performance-metrics.ts';
import { createRecordGroundTruth } from './performance/record-ground-truth.ts';
import { createBuildReferenceProfile } from './profiles/build-reference-profile.ts';
import { createSetReferenceProfile } from './profiles/set-reference-profile.ts';
import { maxFind, openCollections } from './records/monitoring-collections.ts';
import { createCheckTrainingServingSkew } from './skew/check-training-serving-skew.ts';
import type { SkewCheckRecord } from './skew/skew-check-records.ts';
import { driftMetricsOf } from './windows/drift-metrics.ts';
import { createEvaluateClosedWindows } from './windows/evaluate-closed-windows.ts';
import { createRecordPredictions } from './windows/record-predictions.ts';
import { createSweepWindows, startPeriodic } from './windows/sweep-windows.ts';

/**
 * The monitoring service: monitors, reference profiles (set, or built from a registered
 * version's training set), windows of logged predictions tested against them (`drift.detected`,
 * `alert.raised`), drift reports and performance from ground truth. Consumes
 * `prediction.logged` (twice: windows, and training/serving skew of the features serving looked
 * up), `model.version-registered` and `ground-truth.received`, each in its own consumer group; a
 * periodic sweep closes quiet windows by their duration.
 */
export async function wireMonitoring(host: ServiceHost, config: MonitoringConfig): Promise<ServiceWiring> {
  const { server, infra, log } = host;
  const settings = config.monitoring;
  const collections = openCollections(infra.store);
  const featureStore = createRpcClient(FeatureStoreService, {
    address: config.peers['feature-store'],
    defaultTimeoutMs: settings.peerTimeoutMs,
    ...host.peerClient,
  });
  const registry = createRpcClient(RegistryService, {
    address: config.peers.registry,
    defaultTimeoutMs: settings.peerTimeoutMs,
    ...host.peerClient,
  });
  const modelColumns = registryModelColumns(
    (request, options) => registry.listVersions(request, options),
    (modelName, error) =>
      log.warn("registry not readable: the monitor's columns are checked when its reference is set", {
        modelName,
        error: error instanceof Error ? error.message : String(error),
      }),
  );
  const windowLimits = {
    maxWindowSamples: settings.maxWindowSamples,
    maxParkedWindows: settings.maxParkedWindows,
  };
  const profileLimits = { bins: 10, sampleSize: settings.referenceSampleSize, maxCategories: 100 };

  const evaluateClosedWindows = createEvaluateClosedWindows({
    collections,
    log: log.child({ component: 'evaluation' }),
    metrics: driftMetricsOf(host.metrics),
  });
  const evaluateVersionWindows = async (modelName: string, modelVersion: number, signal: AbortSignal) => {
    const windows = await collections.windows.find({ modelName, modelVersion }, { limit: maxFind, signal });
    for (const window of windows) await evaluateClosedWindows(window.id, signal);
  };
  const profileDeps = {
    collections,
    blobs: infra.blobs,
    featureStore,
    limits: profileLimits,
    log: log.child({ component: 'reference-profiles' }),
    evaluateVersionWindows,
  };

  server.add(
    MonitoringService,
    createMonitoringApi({
      collections,
      createMonitor: createCreateMonitor({
        collections,
        maxWindowSamples: settings.maxWindowSamples,
        defaultTeam: config.host.localTeam,
        modelColumns,
      }),
      getMonitor: createGetMonitor({ collections }),
      listMonitors: createListMonitors({ collections }),
      deleteMonitor: createDeleteMonitor({ collections, log }),
      setReferenceProfile: createSetReferenceProfile(profileDeps),
      getDriftReport: createGetDriftReport({ collections }),
      listDriftResults: createListDriftResults({ collections }),
      listAlerts: createListAlerts({ collections }),
      getPerformanceMetrics: createGetPerformanceMetrics({ collections }),
    }),
    monitoringPolicy(collections),
  );

  await host.consume(
    { topics: monitoringConsumedEvents.windows, group: 'monitoring-windows' },
    createRecordPredictions({
      collections,
      limits: windowLimits,
      log: log.child({ component: 'windows' }),
      evaluateClosedWindows,
    }),
  );
  if (settings.skew) {
    await host.consume(
      { topics: monitoringConsumedEvents.skew, group: 'monitoring-skew' },
      createCheckTrainingServingSkew({
        checks: infra.store.collection<SkewCheckRecord>('skew-checks'),
        featureStore,
        settings: settings.skew,
        log: log.child({ component: 'skew' }),
      }),
    );
  }
  await host.consume(
    { topics: monitoringConsumedEvents.profiles, group: 'monitoring-profiles' },
    createBuildReferenceProfile(profileDeps),
  );
  await host.consume(
    { topics: monitoringConsumedEvents['ground-truth'], group: 'monitoring-ground-truth' },
    createRecordGroundTruth({ collections, log: log.child({ component: 'ground-truth' }) }),
  );

  const sweep = startPeriodic(
    createSweepWindows({
      collections,
      limits: windowLimits,
      log: log.child({ component: 'sweep' }),
      evaluateClosedWindows,
    }),
    { intervalMs: settings.sweepIntervalMs, signal: host.signal, log },
  );

  return {
    close: async () => {
      await sweep.stop();
      featureStore.close();
      registry.close();
    },
  };
}
