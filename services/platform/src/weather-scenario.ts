import { readFileSync } from 'node:fs';
import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { type BlobStore, blobUri } from '@flywheel/blobs';
import type { EventBus, Subscription } from '@flywheel/bus';
import { AppError, delay, isAppError } from '@flywheel/core';
import { type CloudEvent, decodeEvent, newEvent } from '@flywheel/events';
import {
  toJsonLines,
  type WeatherRow,
  weatherDailyView,
  weatherDataset,
  weatherDatasetName,
  weatherLabelsView,
} from '@flywheel/example-weather';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { PipelineSpecSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { SuppressionReason } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import {
  DatasetArrivedSchema,
  FeaturesMaterializedSchema,
} from '@flywheel/proto/flywheel/events/v1/data_pb.js';
import { ModelAliasChangedSchema } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { DriftDetectedSchema } from '@flywheel/proto/flywheel/events/v1/monitoring_pb.js';
import {
  JobStartedSchema,
  JobSucceededSchema,
  PipelineRunRequestedSchema,
} from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import {
  DriftTestKind,
  FeatureKind,
  MonitoringService,
} from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { OrchestratorService, RunState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { RunRequestStatus, SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import { createRpcClient, type RpcClientOptions } from '@flywheel/rpc';
import type { ServiceName } from '@flywheel/runtime';

/** Where the scenario finds the platform: service addresses, the bus and the shared blob store. */
export interface ScenarioTargets {
  address(name: ServiceName): string;
  /** The event bus, to publish as an external data pipeline does and to observe the chain. */
  bus: EventBus;
  /** The shared blob store where a data pipeline drops its files. */
  blobs: BlobStore;
  /** Prints one step of the story. */
  say(line: string): void;
  /**
   * How the scenario's client (the data scientist) calls: TLS and its credentials, e.g.
   * `authorization: Bearer <token>`. Absent: plaintext, no credentials (security off).
   */
  caller?: Pick<RpcClientOptions, 'tls' | 'headers'>;
  /**
   * How long each wait of the story may take, ms (default 120 000). Fault-injection runs give more:
   * an episode then also waits out a broker's session timeout, a claim's lease and a store restart.
   */
  timeoutMs?: number;
}

/** What the scenario measured once the new version serves. */
export interface ClosedLoopReport {
  driftDetectedAt: number;
  newVersion: number;
  servingAt: number;
  /** drift.detected → the new version answering inference, ms. */
  leadTimeMs: number;
  /** The train step of the retrain run, ms. */
  trainMs: number;
  /** leadTimeMs − trainMs: what the platform itself adds. */
  leadTimeWithoutTrainMs: number;
  /** The trace the chain ran in (from drift.detected's traceparent). */
  traceId: string;
  retrainRunId: string;
}

const modelName = 'weather';
/** The team that owns everything the scenario creates (the example's feature views are its). */
const team = 'weather';
const deploymentName = 'weather';
const features = ['temp_max', 'temp_min', 'wind'] as const;
const retrainPipeline = 'retrain-weather';
const newDataRule = 'retrain-weather-on-new-data';
/** Quiet period of the new-data rule: a burst of files within it starts one run. */
const newDataDebounceSeconds = 5;

/** What the new-data rule did. */
export interface NewDataReport {
  readonly runId: string;
  /** Runs the rule requested (the burst is one). */
  readonly runs: number;
  readonly debounced: number;
  readonly promoted: boolean;
  /** The version the run's train step warm-started from (`models:/weather/<n>`), "" for none. */
  readonly warmStartedFrom: string;
}
const observedTopics = [
  'features.materialized',
  'drift.detected',
  'pipeline.run-requested',
  'job.started',
  'job.succeeded',
  'model.alias-changed',
  'run.suppressed',
  'promotion.rejected',
];

interface Seen {
  event: CloudEvent;
  at: number;
}

/**
 * The closed loop on real weather (docs/closed-loop.md): Seattle trains and serves v1; New York
 * arrives as new data and as shifted traffic; monitoring, scheduler, orchestrator, registry and
 * serving then retrain, gate and redeploy with no further call. The demo and the end-to-end
 * tests both run it, embedded or distributed.
 */
export function weatherScenario(targets: ScenarioTargets) {
  const { say } = targets;
  const timeoutMs = targets.timeoutMs ?? 120_000;
  const connect = <S extends GenServiceMethods>(service: GenService<S>, name: ServiceName) =>
    createRpcClient(service, { ...targets.caller, address: targets.address(name) });
  const clients = {
    featureStore: connect(FeatureStoreService, 'feature-store'),
    scheduler: connect(SchedulerService, 'scheduler'),
    orchestrator: connect(OrchestratorService, 'orchestrator'),
    monitoring: connect(MonitoringService, 'monitoring'),
    serving: connect(ServingService, 'serving'),
    inference: connect(GRPCInferenceService, 'serving'),
  };
  const seen: Seen[] = [];
  let observer: Subscription | undefined;
  let rows: WeatherRow[] = [];

  const byStation = (station: string, from: string, to: string) =>
    rows.filter((r) => r.station === station && r.event_time >= from && r.event_time < to);

  /** Drops a file in the blob store and announces it, as a data pipeline does; resolves once ingested. */
  async function dataArrives(batch: readonly WeatherRow[], what: string): Promise<void> {
    const ref = await targets.blobs.put(toJsonLines(batch));
    await targets.bus.publish([
      newEvent(
        DatasetArrivedSchema,
        {
          dataset: weatherDatasetName,
          uri: blobUri(ref.sha256),
          format: DatasetFormat.JSONL,
          sha256: ref.sha256,
          rowCount: BigInt(batch.length),
        },
        { source: 'flywheel/demo-data-pipeline' },
      ),
    ]);
    say(`data arrived: ${what} (${batch.length} rows, blob ${ref.sha256.slice(0, 12)}…)`);
    await waitForMaterialized(ref.sha256);
    say('feature store: ingested into weather_daily and weather_labels (features.materialized)');
  }

  /** Waits until the feature store announced both views of the dataset blob as materialized. */
  async function waitForMaterialized(sha256: string): Promise<void> {
    await until(
      async () => {
        const views = seen
          .filter((s) => s.event.type === 'features.materialized')
          .map((s) => decodeEvent(FeaturesMaterializedSchema, s.event))
          .filter((m) => m.datasetUri === blobUri(sha256))
          .map((m) => m.featureViewName);
        return views.includes('weather_daily') && views.includes('weather_labels');
      },
      `features materialized from ${sha256.slice(0, 12)}`,
    );
  }

  async function runToCompletion(runId: string): Promise<void> {
    await until(async () => {
      // The run exists once the orchestrator consumed pipeline.run-requested.
      const run = await clients.orchestrator.getRun({ runId }).then(
        (r) => r.run,
        (error: unknown) => {
          if (isAppError(error, 'not_found')) return undefined;
          throw error;
        },
      );
      if (run?.state === RunState.FAILED || run?.state === RunState.CANCELLED) {
        throw new AppError(
          'failed_precondition',
          `run ${runId} ended ${RunState[run.state]}: ${run.failure?.message}`,
        );
      }
      return run?.state === RunState.SUCCEEDED;
    }, `run ${runId}`);
  }

  async function servingVersion(): Promise<number | undefined> {
    try {
      const metadata = await clients.inference.modelMetadata({ name: deploymentName }, { timeoutMs: 5000 });
      return metadata.versions[0] === undefined ? undefined : Number(metadata.versions[0]);
    } catch {
      return undefined;
    }
  }

  /** One OIP request per day: each feature an FP32 [1,1] input. */
  async function infer(row: WeatherRow): Promise<number> {
    const response = await clients.inference.modelInfer({
      modelName: deploymentName,
      inputs: features.map((name) => ({
        name,
        datatype: 'FP32',
        shape: [1n, 1n],
        contents: { fp32Contents: [row[name]] },
      })),
    });
    return response.outputs[0]?.contents?.fp32Contents[0] ?? Number.NaN;
  }

  return {
    /**
     * Everything up to a served v1: feature views, the retrain pipeline, a drift monitor, a trigger
     * rule with cooldown, Seattle 2012–2014 as data, the bootstrap run, the deployment; then
     * New York 2014–2015 arrives as new data.
     */
    async setUp(): Promise<{ v1: number }> {
      rows = await weatherDataset();
      observer = targets.bus.subscribe({
        topics: observedTopics,
        group: `scenario-observer-${crypto.randomUUID()}`,
        fromBeginning: false,
        concurrency: 16,
      });
      await observer.ready();
      void (async () => {
        for await (const delivery of observer!) {
          seen.push({ event: delivery.event, at: Date.now() });
          await delivery.ack();
        }
      })();

      await clients.featureStore.applyFeatureView({ featureView: weatherDailyView });
      await clients.featureStore.applyFeatureView({ featureView: weatherLabelsView });
      say('feature views applied: weather_daily (temp_max, temp_min, wind), weather_labels (rained)');
      const spec = fromJson(
        PipelineSpecSchema,
        JSON.parse(
          readFileSync(new URL('../../../examples/pipelines/retrain-weather.json', import.meta.url), 'utf8'),
        ) as JsonValue,
      );
      await clients.scheduler.createPipeline({ pipeline: { name: retrainPipeline, team, spec } });
      await clients.monitoring.createMonitor({
        monitor: {
          name: 'weather-inputs',
          team,
          modelName,
          deploymentName,
          features: features.map((name) => ({ name, kind: FeatureKind.NUMERIC })),
          window: { size: 200, minSamples: 100 },
          enabled: true,
        },
      });
      await clients.scheduler.createTriggerRule({
        triggerRule: {
          name: 'retrain-weather-on-drift',
          team,
          eventType: 'drift.detected',
          filter: { match: { model_name: modelName } },
          pipelineName: retrainPipeline,
          parameters: { team, start_time: '2014-01-01T00:00:00Z', end_time: '2016-01-01T00:00:00Z' },
          cooldown: { seconds: 600n },
          enabled: true,
        },
      });
      say(
        'pipeline retrain-weather, monitor weather-inputs (PSI + KS per feature) and a drift trigger rule (cooldown 10 min) created',
      );

      await dataArrives(byStation('seattle', '2012', '2015'), 'Seattle 2012–2014');
      const { runId } = await clients.scheduler.triggerRun({
        pipelineName: retrainPipeline,
        parameters: { team, start_time: '2012-01-01T00:00:00Z', end_time: '2015-01-01T00:00:00Z' },
        requestId: 'bootstrap-v1',
      });
      say(`bootstrap run ${runId}: training-set → train → evaluate → register → promote`);
      await runToCompletion(runId);
      await clients.serving.createDeployment({
        deployment: {
          name: deploymentName,
          team,
          target: { modelName, selector: { case: 'alias', value: 'champion' } },
          predictionLogging: { sampleRate: 1 },
        },
      });
      const v1 = await until(servingVersion, 'deployment weather serving');
      say(`deployment weather serves models:/weather@champion = v${v1}`);

      await dataArrives(byStation('new-york', '2014', '2016'), 'New York 2014–2015');
      return { v1 };
    },

    /** Seattle traffic, the distribution v1 was trained on: no drift expected. */
    async sendNormalTraffic(count: number): Promise<void> {
      const days = byStation('seattle', '2015', '2016').slice(0, count);
      for (const day of days) await infer(day);
      say(`sent ${days.length} Seattle inference requests (the training distribution)`);
    },

    /** New York traffic: windier days, the shift monitoring must catch. The only push the loop gets. */
    async sendShiftedTraffic(count: number): Promise<void> {
      const days = byStation('new-york', '2015', '2016').slice(0, count);
      for (const day of days) await infer(day);
      say(
        `sent ${days.length} New York inference requests (another climate: the shift monitoring must catch)`,
      );
    },

    /** Waits, without calling anything but the OIP metadata, for a version newer than `after` to serve. */
    async waitForNewVersion(after: number): Promise<ClosedLoopReport> {
      const newVersion = await until(async () => {
        const v = await servingVersion();
        return v !== undefined && v > after ? v : undefined;
      }, `a version newer than v${after} serving`);
      const servingAt = Date.now();
      const drift = seen.find((s) => s.event.type === 'drift.detected');
      if (!drift) throw new AppError('internal', 'a new version serves but no drift.detected was observed');
      const detected = decodeEvent(DriftDetectedSchema, drift.event);
      const driftDetectedAt = Date.parse(drift.event.time);
      say(
        `monitoring: drift.detected on ${detected.feature} (${DriftTestKind[detected.test]} ${detected.statistic.toFixed(3)}, threshold ${detected.threshold})`,
      );
      const requested = seen
        .filter(
          (s) => s.event.type === 'pipeline.run-requested' && Date.parse(s.event.time) >= driftDetectedAt,
        )
        .map((s) => decodeEvent(PipelineRunRequestedSchema, s.event));
      const retrainRunId = requested[0]?.runId ?? '';
      const suppressed = seen.filter((s) => s.event.type === 'run.suppressed').length;
      say(
        `scheduler: retrain run ${retrainRunId} requested (${suppressed} more drift alerts suppressed by the cooldown)`,
      );
      const started = seen.find(
        (s) =>
          s.event.type === 'job.started' &&
          decodeEvent(JobStartedSchema, s.event).runId === retrainRunId &&
          decodeEvent(JobStartedSchema, s.event).stepName === 'train',
      );
      const done = seen.find(
        (s) =>
          s.event.type === 'job.succeeded' &&
          decodeEvent(JobSucceededSchema, s.event).runId === retrainRunId &&
          decodeEvent(JobSucceededSchema, s.event).stepName === 'train',
      );
      const trainMs = started && done ? Date.parse(done.event.time) - Date.parse(started.event.time) : 0;
      const alias = seen.find(
        (s) =>
          s.event.type === 'model.alias-changed' &&
          Number(decodeEvent(ModelAliasChangedSchema, s.event).modelVersion) === newVersion,
      );
      if (alias) say(`registry: champion → v${newVersion}`);
      say(`serving: v${newVersion} live`);
      const leadTimeMs = servingAt - driftDetectedAt;
      return {
        driftDetectedAt,
        newVersion,
        servingAt,
        leadTimeMs,
        trainMs,
        leadTimeWithoutTrainMs: leadTimeMs - trainMs,
        traceId: drift.event.traceparent?.split('-')[1] ?? '',
        retrainRunId,
      };
    },

    /**
     * The new-data rule: New York's 2012–2013 history arrives late, as eight quarterly files in a
     * burst; a trigger rule on `features.materialized` of `weather_labels` (CEL on the event)
     * debounces the burst into one retrain run on everything, 2012–2015. Resolves that run, its
     * outcome and how many matches the debounce folded into it.
     */
    async newDataRetrains(): Promise<NewDataReport> {
      await clients.scheduler.createTriggerRule({
        triggerRule: {
          name: newDataRule,
          team,
          eventType: 'features.materialized',
          filter: {
            match: { feature_view_name: 'weather_labels' },
            expression: `event.dataset == "${weatherDatasetName}" && event.rows_written > 0`,
          },
          pipelineName: retrainPipeline,
          // Continual learning: start from the champion (its lineage parent); the window stays the whole
          // history, because New York's rows arrive late with event times inside the champion's set.
          parameters: {
            team,
            start_time: '2012-01-01T00:00:00Z',
            end_time: '2016-01-01T00:00:00Z',
            warm_start_from: `models:/${modelName}@champion`,
          },
          debounce: { seconds: BigInt(newDataDebounceSeconds) },
          cooldown: { seconds: 600n },
          enabled: true,
        },
      });
      say(
        `new-data rule ${newDataRule}: weather_labels materialized from ${weatherDatasetName} retrains, debounced ${newDataDebounceSeconds}s`,
      );
      const quarters = [
        '2012-01',
        '2012-04',
        '2012-07',
        '2012-10',
        '2013-01',
        '2013-04',
        '2013-07',
        '2013-10',
        '2014-01',
      ];
      const files = quarters.slice(0, -1).map((from, i) => byStation('new-york', from, quarters[i + 1]!));
      const refs = await Promise.all(files.map((batch) => targets.blobs.put(toJsonLines(batch))));
      await targets.bus.publish(
        refs.map((ref, i) =>
          newEvent(
            DatasetArrivedSchema,
            {
              dataset: weatherDatasetName,
              uri: blobUri(ref.sha256),
              format: DatasetFormat.JSONL,
              sha256: ref.sha256,
              rowCount: BigInt(files[i]!.length),
            },
            { source: 'flywheel/demo-data-pipeline' },
          ),
        ),
      );
      say(`data arrived: New York 2012–2013 in ${refs.length} quarterly files`);
      for (const ref of refs) await waitForMaterialized(ref.sha256);
      const requested = await until(
        async () =>
          seen
            .filter((s) => s.event.type === 'pipeline.run-requested')
            .map((s) => decodeEvent(PipelineRunRequestedSchema, s.event))
            .find((r) => r.trigger?.triggerRuleName === newDataRule),
        'the new-data rule to request its run',
      );
      await runToCompletion(requested.runId);
      const { runRequests } = await clients.scheduler.listRunRequests({ triggerRuleName: newDataRule });
      const debounced = runRequests.filter((r) => r.suppressionReason === SuppressionReason.DEBOUNCED).length;
      const { run } = await clients.orchestrator.getRun({ runId: requested.runId });
      say(
        `scheduler: one retrain run ${requested.runId} for ${debounced + 1} matches (${debounced} folded by the debounce); promoted: ${String(run?.outputs?.promoted)}`,
      );
      return {
        runId: requested.runId,
        runs: runRequests.filter((r) => r.status === RunRequestStatus.REQUESTED).length,
        debounced,
        promoted: run?.outputs?.promoted === true,
        warmStartedFrom: String(
          run?.steps.find((step) => step.name === 'train')?.outputs?.warm_start_from ?? '',
        ),
      };
    },

    /** Events the observer saw, for assertions. */
    seen: (): readonly Seen[] => seen,

    async close(): Promise<void> {
      await observer?.close();
      for (const client of Object.values(clients)) client.close();
    },
  };

  /** Polls `probe` until it yields a value (not undefined/false), within the scenario's deadline. */
  async function until<T>(probe: () => Promise<T | undefined | false>, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new AppError('deadline_exceeded', `timed out waiting for ${what}`);
      await delay(50);
    }
  }
}

export type WeatherScenario = ReturnType<typeof weatherScenario>;
