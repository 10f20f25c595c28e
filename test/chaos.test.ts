import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStore } from '@flywheel/blobs';
import { createS3Blobs } from '@flywheel/blobs/s3';
import { createEventBus, type EventBus, readBusConfig } from '@flywheel/bus';
import { ConfigReader, delay } from '@flywheel/core';
import { decodeEvent } from '@flywheel/events';
import { seededRandom } from '@flywheel/ml';
import { type WeatherScenario, weatherScenario } from '@flywheel/platform/weather-scenario';
import { FeaturesMaterializedSchema } from '@flywheel/proto/flywheel/events/v1/data_pb.js';
import { DriftDetectedSchema } from '@flywheel/proto/flywheel/events/v1/monitoring_pb.js';
import { OrchestratorService } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import type { ServiceName } from '@flywheel/runtime';
import {
  kafkaEnvOf,
  type PrivateServer,
  realServers,
  startPrivateServer,
  uniqueName,
  waitFor,
} from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHandled, readPublished } from './chaos/event-ledger.ts';
import { type Replica, type ReplicaSet, startReplicaSet } from './chaos/replica-set.ts';
import {
  type ClimateRow,
  climateArrives,
  type ShiftedClimate,
  shiftedClimate,
} from './chaos/shifted-climate.ts';

/** Start order: each service after the peers it calls. */
const order: ServiceName[] = [
  'registry',
  'feature-store',
  'monitoring',
  'serving',
  'scheduler',
  'orchestrator',
];

/** Every event type of the platform; each has a `.dlq`. */
const eventTypes = [
  'alert.raised',
  'alert.resolved',
  'data-quality.violated',
  'dataset.arrived',
  'deployment.created',
  'deployment.rolled-back',
  'deployment.rolled-out',
  'deployment.traffic-changed',
  'drift.detected',
  'feature-rows.rejected',
  'features.materialized',
  'ground-truth.received',
  'job.failed',
  'job.started',
  'job.succeeded',
  'model.alias-changed',
  'model.version-registered',
  'pipeline.run-failed',
  'pipeline.run-requested',
  'pipeline.run-started',
  'pipeline.run-succeeded',
  'prediction.logged',
  'promotion.passed',
  'promotion.rejected',
  'run.admitted',
  'run.queued',
  'run.suppressed',
  'shadow.compared',
  'skew.detected',
];

/**
 * Closed-loop episodes; the kill schedule spreads one kill -9 of each service, of the broker and of
 * the MongoDB-wire server over them.
 */
const episodes = Number(process.env.FLYWHEEL_CHAOS_EPISODES ?? 3);

/** The buses the loop must survive on; the same schedule, assertions and timeouts on each. */
const buses = ['kafka', 'nats'] as const;
type BusKind = (typeof buses)[number];
/** Wall-clock of each bus's run, printed once both are done. */
const durations = new Map<BusKind, number>();

/** One fault of the schedule: a service replica, or a server, `kill -9`ed and restarted. */
type Fault =
  | { kind: 'service'; name: string; replica: Replica }
  | { kind: 'broker' | 'mongo'; name: string; server: PrivateServer };

afterAll(() => {
  for (const [kind, ms] of durations) console.log(`chaos on ${kind}: ${(ms / 1000).toFixed(1)} s`);
});

/** The weather features, one FP32 [1,1] input each. */
const inferRequest = {
  modelName: 'weather',
  inputs: ['temp_max', 'temp_min', 'wind'].map((name) => ({
    name,
    datatype: 'FP32',
    shape: [1n, 1n],
    contents: { fp32Contents: [10] },
  })),
};

describe.each(buses)(
  'chaos on %s: two replicas of each service, a private broker and MongoDB-wire server, S3; kill -9 of each during closed-loop episodes',
  (kind) => {
    const servers = realServers();
    const seed = Number(process.env.FLYWHEEL_CHAOS_SEED ?? 20261201);
    const random = seededRandom(seed);
    const run = uniqueName(`chaos-${kind}`).replaceAll('_', '-');
    const topicPrefix = `${run}.`;
    const databaseOf = (service: ServiceName) => `${run}-${service}`;
    let set: ReplicaSet;
    let broker: PrivateServer;
    let mongo: PrivateServer;
    let bus: EventBus;
    let scenario: WeatherScenario;
    let blobs: BlobStore;
    let startedAt = 0;
    const lines: string[] = [];

    beforeAll(async () => {
      startedAt = Date.now();
      console.log(`chaos on ${kind}: seed ${seed} (FLYWHEEL_CHAOS_SEED overrides), run ${run}`);
      // The broker and the MongoDB-wire server are this suite's own (the schedule kills them);
      // MongoDB-wire file-backed, so a kill keeps what it acknowledged, as a real mongod does.
      [broker, mongo] = await Promise.all([
        startPrivateServer(kind),
        startPrivateServer('mongo', { env: { FLYWHEEL_MONGO_BACKEND: 'h2' } }),
      ]);
      const busEnv: Record<string, string> =
        kind === 'kafka'
          ? { FLYWHEEL_BUS: 'kafka', ...kafkaEnvOf(broker.env) }
          : {
              FLYWHEEL_BUS: 'nats',
              // URL, TLS CA and the test user of the private server.
              ...Object.fromEntries(
                Object.entries(broker.env).filter(
                  ([name]) => name.startsWith('FLYWHEEL_NATS_') && name !== 'FLYWHEEL_NATS_MONITOR_URL',
                ),
              ),
            };
      const bucket = `flywheel-${run}`.toLowerCase().slice(0, 63);
      const workDir = mkdtempSync(join(tmpdir(), 'flywheel-chaos-work-'));
      set = await startReplicaSet(order, 2, (service) => ({
        ...busEnv,
        FLYWHEEL_TOPIC_PREFIX: topicPrefix,
        FLYWHEEL_STORE: 'mongo',
        FLYWHEEL_MONGO_URL: mongo.env.FLYWHEEL_MONGO_URL!,
        // Both replicas of a service share its database.
        FLYWHEEL_MONGO_DATABASE: databaseOf(service),
        FLYWHEEL_BLOBS: 's3',
        FLYWHEEL_S3_ENDPOINT: servers.s3.endpoint,
        FLYWHEEL_S3_ACCESS_KEY: servers.s3.accessKey,
        FLYWHEEL_S3_SECRET_KEY: servers.s3.secretKey,
        FLYWHEEL_S3_REGION: servers.s3.region,
        FLYWHEEL_S3_BUCKET: bucket,
        FLYWHEEL_ORCHESTRATOR_WORK_DIR: workDir,
        FLYWHEEL_LOG_LEVEL: 'info',
      }));
      const reader = new ConfigReader({ ...busEnv, FLYWHEEL_TOPIC_PREFIX: topicPrefix });
      const busConfig = readBusConfig(reader);
      reader.done();
      bus = await createEventBus(busConfig);
      blobs = createS3Blobs({ ...servers.s3, bucket });
      scenario = weatherScenario({
        address: (name) => set.get(name, 1).address,
        bus,
        blobs,
        say: (line) => lines.push(line),
        // An episode's kills add up: a broker session timeout (10 s), a claim lease (20 s), a
        // MongoDB-wire or broker restart, on top of a retrain on a loaded machine.
        timeoutMs: 240_000,
      });
    }, 180_000);

    afterAll(async () => {
      await scenario?.close();
      await bus?.close();
      await set?.stop();
      await Promise.all([broker?.clean(), mongo?.clean()]);
      durations.set(kind, Date.now() - startedAt);
    }, 60_000);

    it('every episode ends with one new version serving; no event lost, no duplicate run or version, empty DLQs', async () => {
      const kills: {
        victim: string;
        kind: Fault['kind'];
        atMs: number;
        downMs: number;
        firstInferMs?: number;
      }[] = [];
      const episodeFigures: { version: number; leadTimeMs: number | undefined; victims: string }[] = [];
      // Every service once (a seeded one of its two replicas), the broker once and the MongoDB-wire
      // server once, in a seeded order.
      const faults: Fault[] = [
        ...order.map((service): Fault => {
          const replica = set.get(service, 1 + Math.floor(random() * 2));
          return { kind: 'service', name: replica.instanceId, replica };
        }),
        { kind: 'broker', name: kind === 'kafka' ? 'kafka-broker' : 'nats-server', server: broker },
        { kind: 'mongo', name: 'mongodb-wire-server', server: mongo },
      ];
      const schedule = shuffle(faults, random);
      const faultsPerEpisode = Math.ceil(schedule.length / episodes);
      const scheduler = schedulerAt(set.get('scheduler', 1).address);
      const inference = inferenceAt(set.get('serving', 1).address);
      /** SIGKILLs the fault's process after `afterMs`, restarts it, and for serving measures the first answer. */
      const chaos = async (fault: Fault, afterMs: number) => {
        await delay(afterMs);
        let killedAt: number;
        let restartedAt: number;
        if (fault.kind === 'service') {
          ({ killedAt, restartedAt } = await set.killAndRestart(fault.replica));
        } else {
          // Same port, same data dir: what a supervisor restarting the server would do.
          killedAt = Date.now();
          await fault.server.kill();
          await fault.server.start();
          restartedAt = Date.now();
        }
        const kill: (typeof kills)[number] = {
          victim: fault.name,
          kind: fault.kind,
          atMs: afterMs,
          downMs: restartedAt - killedAt,
        };
        if (fault.kind === 'service' && fault.replica.service === 'serving') {
          const inference = createRpcClient(GRPCInferenceService, { address: fault.replica.address });
          const deadline = Date.now() + 120_000;
          while (Date.now() < deadline) {
            const ok = await inference.modelInfer(inferRequest, { timeoutMs: 5000 }).then(
              () => true,
              () => false,
            );
            if (ok) {
              kill.firstInferMs = Date.now() - killedAt;
              break;
            }
            await delay(100);
          }
          inference.close();
        }
        kills.push(kill);
      };
      let latest = 0;
      let episodeStartedAt = 0;
      try {
        ({ v1: latest } = await scenario.setUp());
        await scenario.sendNormalTraffic(150);
        for (let episode = 1; episode <= episodes; episode++) {
          const startedAt = Date.now();
          episodeStartedAt = startedAt;
          if (episode === 1) {
            // The scenario's own shift: New York traffic on a Seattle model.
            await scenario.sendShiftedTraffic(300);
          } else {
            // New data of a climate no model has seen, then traffic from it.
            const climate = shiftedClimate(episode);
            const uri = await climateArrives(climate.rows, { bus, blobs });
            await waitFor(
              () => {
                const views = scenario
                  .seen()
                  .filter((e) => e.event.type === 'features.materialized')
                  .map((e) => decodeEvent(FeaturesMaterializedSchema, e.event))
                  .filter((m) => m.datasetUri === uri)
                  .map((m) => m.featureViewName);
                return views.includes('weather_daily') && views.includes('weather_labels');
              },
              { timeoutMs: 120_000, what: `episode ${episode}'s data materialized` },
            );
            await armRetrain(scheduler, episode, latest, climate);
            await sendShiftedTraffic(inference, climate.rows.slice(0, 300));
          }
          // The episode's faults, one after the other at seeded moments, while the loop retrains.
          const victims = schedule.splice(0, faultsPerEpisode);
          const [report] = await Promise.all([
            scenario.waitForNewVersion(latest),
            (async () => {
              for (const victim of victims) await chaos(victim, Math.floor(random() * 2000));
            })(),
          ]);
          const drift = scenario.seen().find((e) => e.event.type === 'drift.detected' && e.at >= startedAt);
          episodeFigures.push({
            version: report.newVersion,
            leadTimeMs: drift ? report.servingAt - drift.at : undefined,
            victims: victims.map((v) => v.name).join(' then '),
          });
          latest = report.newVersion;
        }
      } catch (error) {
        dumpTrouble();
        throw error;
      }
      /** What each process said that went wrong, and which events the loop got to. */
      function dumpTrouble(): void {
        for (const replica of set.replicas) {
          const trouble = replica
            .current()
            .logs.filter((l) => l.level === 'warn' || l.level === 'error')
            .slice(-10);
          console.error(
            `${replica.instanceId}:\n  ${trouble.map((l) => JSON.stringify(l).slice(0, 400)).join('\n  ')}`,
          );
        }
        console.error(`server logs: ${broker.runDir}/${kind}/${kind}.log, ${mongo.runDir}/mongo/mongo.log`);
        const tally = new Map<string, number>();
        for (const { event, at } of scenario.seen()) {
          if (at < episodeStartedAt) continue;
          const what =
            event.type === 'drift.detected'
              ? `drift.detected v${decodeEvent(DriftDetectedSchema, event).modelVersion}`
              : event.type;
          tally.set(what, (tally.get(what) ?? 0) + 1);
        }
        console.error(
          `story so far:\n${lines.join('\n')}\nkills: ${JSON.stringify(kills)}\nseen this episode: ${JSON.stringify([...tally])}`,
        );
      }

      scheduler.close();
      inference.close();
      // Versions and runs, as the registry and the orchestrator list them.
      const registry = createRpcClient(RegistryService, { address: set.get('registry', 2).address });
      // A store that was just killed and restarted may still answer a retriable error: a user retries.
      const { versions } = await waitFor(() => registry.listVersions({ modelName: 'weather' }), {
        timeoutMs: 60_000,
        intervalMs: 500,
        what: 'the registry to list versions',
      });
      registry.close();
      const orchestrator = createRpcClient(OrchestratorService, {
        address: set.get('orchestrator', 2).address,
      });
      const { runs } = await waitFor(
        () => orchestrator.listRuns({ pipelineName: 'retrain-weather', pageSize: 100 }),
        { timeoutMs: 60_000, intervalMs: 500, what: 'the orchestrator to list runs' },
      );
      orchestrator.close();
      // What every serving replica answers. A replica that handled the last alias change may still
      // be loading that version (the episode saw the new version on one replica), so poll until
      // both answer with it or the deadline passes; the expectation below then says which lags.
      const served: Record<string, string> = {};
      const bothServeLatest = async () => {
        for (const index of [1, 2]) {
          const replica = set.get('serving', index);
          const inference = createRpcClient(GRPCInferenceService, { address: replica.address });
          try {
            served[replica.instanceId] = (await inference.modelInfer(inferRequest)).modelVersion;
          } finally {
            inference.close();
          }
        }
        return Object.values(served).every((version) => version === String(latest));
      };
      await waitFor(bothServeLatest, {
        timeoutMs: 60_000,
        intervalMs: 500,
        what: `both serving replicas answering with v${latest}`,
      }).catch(() => undefined);

      // Published: distinct event ids per topic, read from the beginning. Handled: dedupe records.
      const topics = [...eventTypes, ...eventTypes.map((t) => `${t}.dlq`)];
      const published = await readPublished(bus, topics, { group: `${run}-ledger` });
      // An event a killed consumer held is redelivered only after its bus gives up on that consumer
      // (Kafka: the session timeout, 10 s; JetStream: the ack wait, 30 s) and may then wait for its
      // claim's lease (20 s): count until every group caught up, within a bound past those.
      const catchUpStartedAt = Date.now();
      let handled: Awaited<ReturnType<typeof readHandled>>;
      let rows: string[];
      let lost: string[];
      for (;;) {
        handled = await readHandled(mongo.env.FLYWHEEL_MONGO_URL!, order.map(databaseOf));
        rows = [];
        lost = [];
        for (const [key, byTopic] of [...handled.done].sort()) {
          for (const [topic, done] of [...byTopic].sort()) {
            const type = topic.startsWith(topicPrefix) ? topic.slice(topicPrefix.length) : topic;
            const ids = published.get(type) ?? new Set<string>();
            const missing = [...ids].filter((id) => !done.has(id));
            const extra = [...done].filter((id) => !ids.has(id)).length;
            rows.push(
              `  ${type.padEnd(26)} ${key.replaceAll(`${run}-`, '').padEnd(48)} published ${String(ids.size).padStart(4)}  handled ${String(done.size).padStart(4)}  lost ${missing.length}${extra ? `  unknown ${extra}` : ''}`,
            );
            lost.push(...missing.map((id) => `${key} ${type} ${id}`));
          }
        }
        if ((lost.length === 0 && handled.running === 0) || Date.now() - catchUpStartedAt > 100_000) break;
        await delay(2000);
      }
      const catchUpMs = Date.now() - catchUpStartedAt;
      const dlq = topics.filter((t) => t.endsWith('.dlq') && (published.get(t)?.size ?? 0) > 0);
      const unconsumed = eventTypes
        .filter((t) => (published.get(t)?.size ?? 0) > 0)
        .map((t) => `${t} ${published.get(t)!.size}`);
      console.log(
        [
          `chaos on ${kind}, seed ${seed}: ${episodes} episode(s), ${set.replicas.length} replicas, ${kills.length} faults`,
          ...episodeFigures.map(
            (e, i) =>
              `  episode ${i + 1}: v${e.version} serving, drift seen → serving ${e.leadTimeMs ?? '?'} ms, killed ${e.victims}`,
          ),
          "faults (kind, victim, +ms after the episode's traffic or the previous restart, kill→serving again, kill→first ModelInfer):",
          ...kills.map(
            (k) =>
              `  ${k.kind.padEnd(7)} ${k.victim} at +${k.atMs} ms: down ${k.downMs} ms${k.firstInferMs === undefined ? '' : `, first ModelInfer after ${k.firstInferMs} ms`}`,
          ),
          `published per topic: ${unconsumed.join(', ')}`,
          'per topic and consumer group (database group):',
          ...rows,
          `dedupe records still running: ${handled.running}; taken over after a crash: ${handled.reclaimed}; every group caught up ${catchUpMs} ms after the last episode`,
          `versions: ${versions.map((v) => `v${v.version}`).join(', ')}; retrain-weather runs: ${runs.length}; serving: ${JSON.stringify(served)}`,
          `DLQ topics with events: ${dlq.length ? dlq.map((t) => `${t} ${published.get(t)!.size}`).join(', ') : 'none'}`,
        ].join('\n'),
      );

      if (lost.length > 0 || handled.running > 0 || dlq.length > 0) dumpTrouble();
      // Exactly one new version per episode (v1 from the bootstrap run), each served in turn.
      expect(versions).toHaveLength(1 + episodes);
      expect(episodeFigures.map((e) => e.version)).toEqual(
        versions
          .map((v) => Number(v.version))
          .sort((a, b) => a - b)
          .slice(1),
      );
      // One run per retrain: the bootstrap plus one per episode, no run twice.
      expect(runs).toHaveLength(1 + episodes);
      expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
      // Every serving replica answers with the newest version.
      expect(Object.values(served)).toEqual([String(latest), String(latest)]);
      // 0 events lost: every consumer group completed every event published on its topic.
      expect(lost).toEqual([]);
      expect(handled.running).toBe(0);
      for (const type of [
        'dataset.arrived',
        'prediction.logged',
        'drift.detected',
        'pipeline.run-requested',
        'model.alias-changed',
      ]) {
        expect(
          rows.some((r) => r.trimStart().startsWith(`${type} `)),
          `a consumer group handled ${type}`,
        ).toBe(true);
      }
      // No valid event in any DLQ (this suite publishes no invalid ones).
      expect(dlq).toEqual([]);
      // Every fault of the schedule happened.
      expect(kills.map((k) => k.kind).sort()).toEqual(
        [...order.map(() => 'service'), 'broker', 'mongo'].sort(),
      );
    }, 900_000);
  },
);

const schedulerAt = (address: string) => createRpcClient(SchedulerService, { address });
const inferenceAt = (address: string) => createRpcClient(GRPCInferenceService, { address });

/**
 * Episode 2 on: the scenario's rule is still in its 10-minute cooldown, so a new rule retrains on
 * drift of the version serving now (`model_version` match: late alerts about older versions do
 * not fire it), over the episode's new days.
 */
async function armRetrain(
  scheduler: ReturnType<typeof schedulerAt>,
  episode: number,
  serving: number,
  climate: ShiftedClimate,
): Promise<void> {
  await scheduler.createTriggerRule({
    triggerRule: {
      name: `chaos-retrain-${episode}`,
      eventType: 'drift.detected',
      filter: { match: { model_name: 'weather', model_version: String(serving) } },
      pipelineName: 'retrain-weather',
      parameters: { start_time: climate.startTime, end_time: climate.endTime },
      cooldown: { seconds: 600n },
      enabled: true,
    },
  });
}

/** One OIP request per day, each feature an FP32 [1,1] input. */
async function sendShiftedTraffic(
  inference: ReturnType<typeof inferenceAt>,
  days: readonly ClimateRow[],
): Promise<void> {
  for (const day of days) {
    await inference.modelInfer({
      modelName: 'weather',
      inputs: (['temp_max', 'temp_min', 'wind'] as const).map((name) => ({
        name,
        datatype: 'FP32',
        shape: [1n, 1n],
        contents: { fp32Contents: [day[name]] },
      })),
    });
  }
}

/** Fisher–Yates with the seeded `random`. */
function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
