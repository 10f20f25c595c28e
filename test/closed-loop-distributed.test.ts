import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { createS3Blobs } from '@flywheel/blobs/s3';
import {
  createDeadLetterQueue,
  createEventBus,
  dlqHeaders,
  dlqTopicOf,
  type EventBus,
  readBusConfig,
} from '@flywheel/bus';
import { ConfigReader } from '@flywheel/core';
import {
  type CloudEvent,
  createEventSigner,
  decodeEvent,
  newEvent,
  principalOfEvent,
  toWireMessage,
} from '@flywheel/events';
import { runKafkaAclsCommand } from '@flywheel/platform/kafka-acls-command';
import { runNatsPermissionsCommand } from '@flywheel/platform/nats-permissions-command';
import { type WeatherScenario, weatherScenario } from '@flywheel/platform/weather-scenario';
import { DriftDetectedSchema } from '@flywheel/proto/flywheel/events/v1/monitoring_pb.js';
import {
  PipelineRunRequestedSchema,
  RunSuppressedSchema,
} from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { DriftTestKind, MonitoringService } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { OrchestratorService, RunState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import { createRpcClient, type RpcClientOptions } from '@flywheel/rpc';
import { grpcAddressVariable, type ServiceName } from '@flywheel/runtime';
import { type SpawnedService, spawnService } from '@flywheel/runtime/testing';
import {
  kafkaEnvAsService,
  kafkaServiceUsers,
  kcatConsumeAll,
  kcatHeaders,
  type OtlpReceiver,
  type PrivateServer,
  realServers,
  registerPrometheusTargets,
  startOtlpReceiver,
  startPrivateServer,
  uniqueName,
  waitFor,
  waitForPrometheusQuery,
  waitForZipkinTrace,
  type ZipkinSpan,
} from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grafanaPanelQueries } from './grafana-panels.ts';
import { makeSecuredPlatform, type SecuredPlatform, servicePrincipal } from './secured-platform.ts';

/** Start order: each service after the peers it calls. */
const order: ServiceName[] = [
  'registry',
  'feature-store',
  'monitoring',
  'serving',
  'scheduler',
  'orchestrator',
];

/**
 * The setups the loop must run in; the same scenario, assertions and timeouts in each. Secured:
 * every service with auth, mTLS between services, signed events and the producer allow-list
 * (docs/security.md), the test calling as a data scientist with her team's JWT.
 */
const setups = [
  { name: 'kafka', kind: 'kafka', secured: false },
  { name: 'nats', kind: 'nats', secured: false },
  { name: 'kafka, secured', kind: 'kafka', secured: true },
  { name: 'nats, secured', kind: 'nats', secured: true },
] as const;
/** The team the data scientist is an editor of; the scenario creates everything in it. */
const team = 'weather';
/** Wall-clock of each setup's run, printed once all are done. */
const durations = new Map<string, number>();

afterAll(() => {
  for (const [name, ms] of durations) console.log(`closed loop on ${name}: ${(ms / 1000).toFixed(1)} s`);
});

describe.each(setups)(
  'the closed loop, distributed: six processes on $name, the MongoDB-wire server and S3',
  ({ name: setup, kind, secured }) => {
    const servers = realServers();
    const run = uniqueName(`e2e-${kind}${secured ? '-sec' : ''}`).replaceAll('_', '-');
    const services = new Map<ServiceName, SpawnedService>();
    let receiver: OtlpReceiver;
    let bus: EventBus;
    let scenario: WeatherScenario;
    let startedAt = 0;
    const address = (name: ServiceName): string => services.get(name)!.address;
    const lines: string[] = [];
    let security: SecuredPlatform | undefined;
    /** How this test calls the services: as the data scientist when secured, else plainly. */
    let caller: Pick<RpcClientOptions, 'tls' | 'headers'> = {};
    const client = <S extends GenServiceMethods>(service: GenService<S>, name: ServiceName) =>
      createRpcClient(service, { ...caller, address: address(name) });
    /** How the services and this test reach the bus of this run. */
    /**
     * Topics and consumer groups of this run only (`FLYWHEEL_TOPIC_PREFIX`; groups follow it): the
     * broker is shared with other runs, whose services would otherwise split this run's events
     * between their group members, and whose events (unsigned, other keys) reach these consumers.
     */
    const topicPrefix = `${run}.`;
    let busEnv: Record<string, string> = {
      FLYWHEEL_TOPIC_PREFIX: topicPrefix,
      ...(kind === 'kafka'
        ? { FLYWHEEL_BUS: 'kafka', ...servers.kafkaEnv }
        : { FLYWHEEL_BUS: 'nats', ...servers.natsEnv }),
    };
    const kafkaAclEnv = { ...servers.kafkaEnv, FLYWHEEL_TOPIC_PREFIX: topicPrefix };
    /** Secured NATS: a server of this run's own with a user per service (scripts/nats-permissions.ts). */
    const natsPasswords: Record<string, string> =
      secured && kind === 'nats'
        ? Object.fromEntries(['flywheel', ...order].map((user) => [user, randomBytes(20).toString('hex')]))
        : {};
    let privateNats: PrivateServer | undefined;

    beforeAll(async () => {
      startedAt = Date.now();
      if (secured) {
        // Issued from the CA the test Prometheus trusts (and has a client certificate of), so it
        // can scrape the services' HTTPS /metrics, which asks every client for a certificate.
        // Servers started before Prometheus had its HTTPS job lack it: then only the Prometheus
        // case fails (naming the variable), not the whole secured setup.
        const caFile = process.env.FLYWHEEL_PROMETHEUS_TLS_CA;
        security = await makeSecuredPlatform(team, caFile ? { caFile } : {});
        const { tls, token } = security.dataScientist;
        caller = { tls, headers: { authorization: `Bearer ${token}` } };
        if (kind === 'kafka') {
          // Each service as its own Kafka user, with the ACLs scripts/kafka-acls.ts grants for this
          // run's topic prefix: the broker itself refuses what a service does not own.
          const granted = await runKafkaAclsCommand([], kafkaAclEnv, {
            out: () => {},
            err: (line) => lines.push(line),
          });
          expect(granted, lines.join('\n')).toBe(0);
        } else {
          // Each service as its own NATS user, with the permissions scripts/nats-permissions.ts
          // writes for this run's prefix, on a TLS nats-server of this run (the test is the super user).
          const dir = mkdtempSync(join(tmpdir(), 'flywheel-e2e-nats-'));
          const passwordsFile = join(dir, 'passwords');
          writeFileSync(
            passwordsFile,
            Object.entries(natsPasswords)
              .map(([user, password]) => `${user}=${password}\n`)
              .join(''),
            { mode: 0o600 },
          );
          const authorization = join(dir, 'authorization.conf');
          const written = await runNatsPermissionsCommand(
            ['--passwords', passwordsFile, '--out', authorization, '--super-user', 'flywheel'],
            { FLYWHEEL_TOPIC_PREFIX: topicPrefix },
            { out: () => {}, err: (line) => lines.push(line) },
          );
          expect(written, lines.join('\n')).toBe(0);
          privateNats = await startPrivateServer('nats', {
            env: {
              FLYWHEEL_NATS_AUTHORIZATION: authorization,
              FLYWHEEL_NATS_USER: 'flywheel',
              FLYWHEEL_NATS_PASSWORD: natsPasswords.flywheel!,
            },
          });
          busEnv = {
            FLYWHEEL_TOPIC_PREFIX: topicPrefix,
            FLYWHEEL_BUS: 'nats',
            ...Object.fromEntries(
              Object.entries(privateNats.env).filter(
                ([variable]) => variable.startsWith('FLYWHEEL_NATS_') && !variable.endsWith('MONITOR_URL'),
              ),
            ),
          };
        }
      }
      receiver = await startOtlpReceiver();
      const bucket = `flywheel-${run}`.toLowerCase().slice(0, 63);
      const shared = {
        ...busEnv,
        FLYWHEEL_STORE: 'mongo',
        FLYWHEEL_MONGO_URL: servers.mongoUrl,
        FLYWHEEL_BLOBS: 's3',
        FLYWHEEL_S3_ENDPOINT: servers.s3.endpoint,
        FLYWHEEL_S3_ACCESS_KEY: servers.s3.accessKey,
        FLYWHEEL_S3_SECRET_KEY: servers.s3.secretKey,
        FLYWHEEL_S3_REGION: servers.s3.region,
        FLYWHEEL_S3_BUCKET: bucket,
        // Both at once: the OTLP receiver for the trace's shape, the real Zipkin for what a person opens.
        FLYWHEEL_TELEMETRY: 'otlp-json,zipkin',
        FLYWHEEL_OTLP_ENDPOINT: receiver.endpoint,
        FLYWHEEL_ZIPKIN_ENDPOINT: new URL('/api/v2/spans', servers.zipkinUrl).href,
        FLYWHEEL_ORCHESTRATOR_WORK_DIR: mkdtempSync(join(tmpdir(), 'flywheel-e2e-work-')),
        // Secured, everything a service logs is checked for secrets: debug, the most it says.
        FLYWHEEL_LOG_LEVEL: secured ? 'debug' : 'info',
      };
      const peers: Record<string, string> = {};
      for (const name of order) {
        const service = await spawnService(
          name,
          {
            ...shared,
            ...peers,
            ...security?.env(name),
            ...(secured && kind === 'kafka' ? kafkaEnvAsService(process.env, name) : {}),
            ...(secured && kind === 'nats'
              ? { FLYWHEEL_NATS_USER: name, FLYWHEEL_NATS_PASSWORD: natsPasswords[name]! }
              : {}),
            FLYWHEEL_MONGO_DATABASE: `${run}-${name}`,
          },
          { timeoutMs: 60_000 },
        );
        services.set(name, service);
        peers[grpcAddressVariable(name)] = service.address;
      }
      const reader = new ConfigReader(busEnv);
      const busConfig = readBusConfig(reader);
      reader.done();
      bus = await createEventBus(busConfig);
      const blobs = createS3Blobs({ ...servers.s3, bucket });
      scenario = weatherScenario({ address, bus, blobs, say: (line) => lines.push(line), caller });
    }, 180_000);

    afterAll(async () => {
      await scenario?.close();
      await bus?.close();
      for (const name of [...order].reverse()) await services.get(name)?.stop();
      await receiver?.close();
      if (secured && kind === 'kafka')
        await runKafkaAclsCommand(['--revoke'], kafkaAclEnv, { out: () => {}, err: () => {} });
      await privateNats?.clean();
      durations.set(setup, Date.now() - startedAt);
    }, 120_000);

    let v1 = 0;
    let report: Awaited<ReturnType<WeatherScenario['waitForNewVersion']>>;

    it('shifted traffic alone makes a new version serve: drift → retrain → register → promote → redeploy', async () => {
      try {
        ({ v1 } = await scenario.setUp());
        await scenario.sendNormalTraffic(150);
        // From here on the test only sends inference requests and watches the OIP metadata.
        await scenario.sendShiftedTraffic(300);
        report = await scenario.waitForNewVersion(v1);
      } catch (error) {
        // What each process said that went wrong, and which events the chain got to.
        for (const [name, service] of services) {
          const trouble = service.logs.filter((l) => l.level === 'warn' || l.level === 'error').slice(-15);
          console.error(`${name}:\n  ${trouble.map((l) => JSON.stringify(l).slice(0, 400)).join('\n  ')}`);
        }
        console.error(`story so far:\n${lines.join('\n')}`);
        console.error(
          `events seen: ${scenario
            .seen()
            .map((s) => s.event.type)
            .join(', ')}`,
        );
        throw error;
      }
      console.log(`${lines.join('\n')}\nlead time ${JSON.stringify(report, null, 2)}`);
      expect(report.newVersion).toBeGreaterThan(v1);
      const inference = client(GRPCInferenceService, 'serving');
      const metadata = await inference.modelMetadata({ name: 'weather' });
      expect(metadata.versions).toEqual([String(report.newVersion)]);
      inference.close();
    }, 300_000);

    // Secured: over HTTPS, Prometheus's HTTPS job trusting the run's CA with a client certificate of it.
    it('Prometheus scrapes all six services: RED, consumer lag and the loop lead time the test measured, and every Grafana panel has data', async () => {
      const { url, targetsDir } = secured ? servers.prometheusHttps : servers.prometheus;
      const job = `flywheel-${run}`.slice(0, 100);
      const unregister = registerPrometheusTargets(
        targetsDir,
        job,
        order.map((n) => new URL(services.get(n)!.metricsUrl!).host),
        { scrapeEvery: '5s' },
      );
      try {
        const wait = { timeoutMs: 90_000, intervalMs: 1000 };
        const red = await waitForPrometheusQuery(
          url,
          `sum by (service) (grpc_server_handled_total{job="${job}"})`,
          (s) => order.every((n) => s.some((x) => x.metric.service === n && x.value > 0)),
          { ...wait, what: `grpc_server_handled_total from all of ${order.join(', ')}` },
        );
        expect(red.map((s) => s.metric.service).sort()).toEqual([...order].sort());
        await waitForPrometheusQuery(
          url,
          `histogram_quantile(0.5, sum by (le, service) (rate(grpc_server_handling_seconds_bucket{job="${job}"}[5m])))`,
          (s) => order.every((n) => s.some((x) => x.metric.service === n)),
          { ...wait, what: 'grpc_server_handling_seconds of every service' },
        );
        await waitForPrometheusQuery(url, `flywheel_bus_consumer_lag{job="${job}"}`, (s) => s.length > 0, {
          ...wait,
          what: 'flywheel_bus_consumer_lag',
        });
        // The loop's lead time as serving recorded it: one observation, the drift-triggered retrain.
        const [observations] = await waitForPrometheusQuery(
          url,
          `sum(flywheel_loop_lead_time_seconds_count{job="${job}", model="weather", trigger_event="drift.detected"})`,
          (s) => (s[0]?.value ?? 0) >= 1,
          { ...wait, what: 'flywheel_loop_lead_time_seconds from serving' },
        );
        expect(observations?.value).toBe(1);
        const [recorded] = await waitForPrometheusQuery(
          url,
          `sum(flywheel_loop_lead_time_seconds_sum{job="${job}", model="weather"})`,
          (s) => s.length === 1,
          wait,
        );
        // Clock points. Serving: the retrain run's trigger event time (monitoring's stamp on the
        // drift.detected a trigger rule matched, carried in the version's lineage) → the moment it
        // swapped the version in. This test: the first drift.detected it saw (monitoring's stamp)
        // → the first ModelMetadata poll (every 50 ms) answering the new version. So the test's
        // figure is longer by the time between those two drift events (0 when they are one) and
        // by its poll's lag behind the swap, never shorter (both stamps are ms; both clocks this host's).
        const orchestrator = client(OrchestratorService, 'orchestrator');
        const { run: retrain } = await orchestrator.getRun({ runId: report.retrainRunId });
        orchestrator.close();
        const triggeredBy = retrain?.trigger?.event;
        expect(triggeredBy?.type).toBe('drift.detected');
        const triggerAt = timestampMs(triggeredBy!.time!);
        expect(triggerAt).toBeGreaterThanOrEqual(report.driftDetectedAt);
        const histogramMs = (recorded?.value ?? Number.NaN) * 1000;
        const measuredFromTriggerMs = report.servingAt - triggerAt;
        const pollLagMs = measuredFromTriggerMs - histogramMs;
        console.log(
          `lead time: measured ${report.leadTimeMs} ms (first drift.detected → seen serving), ` +
            `${measuredFromTriggerMs} ms from the triggering drift.detected (${triggerAt - report.driftDetectedAt} ms later); ` +
            `Prometheus ${histogramMs.toFixed(1)} ms (the trigger → swapped in), poll lag ${pollLagMs.toFixed(1)} ms`,
        );
        // 1 ms for the rounding of two ms stamps; up to 5 s for the poll's lag on a loaded 2-core host.
        expect(pollLagMs).toBeGreaterThanOrEqual(-1);
        expect(pollLagMs).toBeLessThanOrEqual(5000);

        const empty: string[] = [];
        // Scoped to this run's job, as a person picks it in the dashboards' job variable: other
        // runs on the shared Prometheus cannot fill a panel this run leaves empty.
        const queries = grafanaPanelQueries(job);
        expect(queries.length).toBeGreaterThan(17);
        for (const q of queries) {
          const samples = await waitForPrometheusQuery(url, q.expr, (s) => s.length > 0, {
            timeoutMs: 20_000,
            intervalMs: 1000,
          }).catch(() => []);
          if (samples.length === 0) empty.push(`${q.dashboard} / ${q.panel} (${q.refId}): ${q.expr}`);
        }
        expect(empty, `Grafana panels with no data:\n${empty.join('\n')}`).toEqual([]);
      } finally {
        unregister();
      }
    }, 300_000);

    it.runIf(secured)(
      'secured: a call without a token is refused, though over mTLS; a service certificate counts only where mapped',
      async () => {
        const anonymous = createRpcClient(RegistryService, {
          tls: security!.dataScientist.tls,
          address: address('registry'),
        });
        await expect(anonymous.resolveModelUri({ uri: 'models:/weather@champion' })).rejects.toMatchObject({
          code: 'unauthenticated',
        });
        anonymous.close();
        // A service's certificate counts only where it is mapped: serving's at the registry it
        // calls, not at the scheduler it never calls.
        const asServing = { tls: security!.serviceTls('serving') };
        const registry = createRpcClient(RegistryService, { ...asServing, address: address('registry') });
        const resolved = await registry.resolveModelUri({ uri: 'models:/weather@champion' });
        expect(resolved.version?.version).toBeGreaterThan(0n);
        registry.close();
        const scheduler = createRpcClient(SchedulerService, { ...asServing, address: address('scheduler') });
        await expect(scheduler.getPipeline({ pipelineName: 'retrain-weather' })).rejects.toMatchObject({
          code: 'unauthenticated',
        });
        scheduler.close();
      },
    );

    it.runIf(secured)('secured: records and events name the data scientist as the originator', async () => {
      const alice = security!.dataScientist.subject;
      const asAlice = { subject: alice, team, onBehalfOf: '' };
      // What she created keeps her as createdBy, read back as her.
      const scheduler = client(SchedulerService, 'scheduler');
      const monitoring = client(MonitoringService, 'monitoring');
      const featureStore = client(FeatureStoreService, 'feature-store');
      const serving = client(ServingService, 'serving');
      const orchestrator = client(OrchestratorService, 'orchestrator');
      const registry = client(RegistryService, 'registry');
      try {
        const records = {
          pipeline: (await scheduler.getPipeline({ pipelineName: 'retrain-weather' })).pipeline?.audit,
          rule: (await scheduler.getTriggerRule({ triggerRuleName: 'retrain-weather-on-drift' })).triggerRule
            ?.audit,
          monitor: (await monitoring.getMonitor({ monitorName: 'weather-inputs' })).monitor?.audit,
          view: (await featureStore.getFeatureView({ featureViewName: 'weather_daily' })).featureView?.audit,
        };
        for (const [what, audit] of Object.entries(records))
          expect.soft(audit?.createdBy, what).toMatchObject(asAlice);
        // The deployment: hers, then moved by serving itself when the alias changed (an event).
        const { deployment } = await serving.getDeployment({ deploymentName: 'weather' });
        expect.soft(deployment?.audit?.createdBy).toMatchObject(asAlice);
        expect
          .soft(deployment?.audit?.updatedBy)
          .toMatchObject({ subject: 'service:serving', onBehalfOf: alice });
        // The retrain run: requested by the scheduler, on behalf of her (the drift came from her traffic).
        const { run: retrain } = await orchestrator.getRun({ runId: report.retrainRunId });
        expect.soft(retrain?.principal).toMatchObject({ subject: 'service:scheduler', onBehalfOf: alice });
        // The new version: registered by the orchestrator's RPC, as its certificate's principal
        // on her behalf (the flywheel-on-behalf-of header a service certificate may send).
        const { version } = await registry.resolveModelUri({ uri: 'models:/weather@champion' });
        expect
          .soft(version?.audit?.createdBy)
          .toMatchObject({ subject: servicePrincipal('orchestrator'), onBehalfOf: alice });
      } finally {
        for (const c of [scheduler, monitoring, featureStore, serving, orchestrator, registry]) c.close();
      }
      // The events: her bootstrap request, then every hop of the loop acting on her behalf.
      const events = scenario.seen().map((s) => s.event);
      const by = (type: string) => events.filter((e) => e.type === type).map((e) => principalOfEvent(e));
      expect.soft(by('pipeline.run-requested')[0]).toMatchObject({ subject: alice, teams: [team] });
      const onHerBehalf = (service: string) => ({ subject: `service:${service}`, onBehalfOf: alice });
      for (const [type, service] of [
        ['drift.detected', 'monitoring'],
        ['run.suppressed', 'scheduler'],
        ['job.started', 'orchestrator'],
        ['job.succeeded', 'orchestrator'],
      ] as const) {
        expect.soft(by(type).length, type).toBeGreaterThan(0);
        for (const principal of by(type)) expect.soft(principal, type).toMatchObject(onHerBehalf(service));
      }
      expect.soft(by('pipeline.run-requested').slice(1)).toEqual(
        by('pipeline.run-requested')
          .slice(1)
          .map(() => expect.objectContaining(onHerBehalf('scheduler'))),
      );
      // The registry's alias change, made by the orchestrator's RPC for her: serving then moved
      // the deployment on her behalf too.
      expect.soft(by('model.alias-changed').length).toBeGreaterThan(0);
      for (const principal of by('model.alias-changed'))
        expect
          .soft(principal, 'model.alias-changed')
          .toMatchObject({ subject: servicePrincipal('orchestrator'), onBehalfOf: alice });
    });

    it('shows every hop of the chain in one trace, as an OTLP receiver got it', async () => {
      const inTrace = () => receiver.spans.filter((s) => s.traceId === report.traceId);
      // Every service took part: monitoring detected, scheduler requested, orchestrator ran the steps
      // (calling feature-store and registry), serving rolled the new version out.
      const expected = ['monitoring', 'scheduler', 'orchestrator', 'feature-store', 'registry', 'serving'];
      // One tree: every span but the root has its parent in the trace. Spans arrive in export batches,
      // so wait until the tree is whole.
      const orphans = () => {
        const ids = new Set(inTrace().map((s) => s.spanId));
        return inTrace().filter((s) => s.parentSpanId !== undefined && !ids.has(s.parentSpanId));
      };
      const has = (service: string, name: RegExp) =>
        inTrace().some((s) => s.service === service && name.test(s.name));
      // The hops the loop must show; a hop's span may be in a later export batch than the rest.
      const hops: ReadonlyArray<readonly [string, RegExp]> = [
        ['scheduler', /drift\.detected/],
        ['orchestrator', /pipeline\.run-requested/],
        ['feature-store', /FeatureStoreService\/CreateTrainingSet/],
        ['registry', /RegistryService\/RegisterVersion/],
        ['registry', /RegistryService\/SetAlias/],
        ['serving', /model\.alias-changed/],
      ];
      const whole = () =>
        expected.every((name) => inTrace().some((s) => s.service === name)) &&
        hops.every(([service, name]) => has(service, name)) &&
        orphans().length === 0;
      await waitFor(whole, {
        timeoutMs: 30_000,
        what: `a whole trace ${report.traceId} across ${expected.join(', ')}`,
      }).catch(() => undefined);
      const names = new Set(inTrace().map((s) => `${s.service}: ${s.name}`));
      console.log(`trace ${report.traceId}: ${inTrace().length} spans\n  ${[...names].sort().join('\n  ')}`);
      for (const [service, name] of hops)
        expect({ service, hop: name.source, found: has(service, name) }).toEqual({
          service,
          hop: name.source,
          found: true,
        });
      expect(orphans().map((s) => `${s.service}: ${s.name}`)).toEqual([]);
      const roots = inTrace().filter((s) => s.parentSpanId === undefined);
      expect(roots.map((s) => `${s.service}: ${s.name}`)).toHaveLength(1);
    }, 60_000);

    it("is found in Zipkin's API as one trace with spans from all six services, the same spans the OTLP receiver got", async () => {
      const expected = ['monitoring', 'scheduler', 'orchestrator', 'feature-store', 'registry', 'serving'];
      // The spans of the trace the receiver has (whole by now: the test above waited for it).
      const otlp = new Map(
        receiver.spans.filter((s) => s.traceId === report.traceId).map((s) => [s.spanId, s.service]),
      );
      const serviceOf = (s: ZipkinSpan) => s.localEndpoint?.serviceName ?? '';
      const all = (spans: readonly ZipkinSpan[]) => {
        const ids = new Set(spans.map((s) => s.id));
        return (
          expected.every((service) => spans.some((s) => serviceOf(s) === service)) &&
          [...otlp.keys()].every((id) => ids.has(id))
        );
      };
      const spans = await waitForZipkinTrace(servers.zipkinUrl, report.traceId, all, {
        timeoutMs: 60_000,
        what: `trace ${report.traceId} with ${otlp.size} spans across ${expected.join(', ')}`,
      });
      console.log(
        `Zipkin: ${new URL(`/zipkin/traces/${report.traceId}`, servers.zipkinUrl).href} (${spans.length} spans)`,
      );
      expect(new Set(spans.map(serviceOf))).toEqual(new Set(expected));
      // Each span under the service that recorded it, as the OTLP receiver saw it.
      const mismatched = spans.filter((s) => otlp.has(s.id) && otlp.get(s.id) !== serviceOf(s));
      expect(mismatched.map((s) => `${serviceOf(s)}: ${s.name}`)).toEqual([]);
      // The hops people look for, by Zipkin's (lower-cased) names.
      for (const [service, name] of [
        ['registry', /registryservice\/registerversion/],
        ['serving', /model\.alias-changed/],
      ] as const)
        expect(
          spans.some((s) => serviceOf(s) === service && name.test(s.name ?? '')),
          `${service} ${name}`,
        ).toBe(true);
      expect(spans.filter((s) => s.parentId === undefined)).toHaveLength(1);
    }, 90_000);

    it('a storm of 100 drift alerts within a second starts exactly one retrain', async () => {
      const scheduler = client(SchedulerService, 'scheduler');
      await scheduler.createTriggerRule({
        triggerRule: {
          name: 'storm-retrain',
          team,
          eventType: 'drift.detected',
          filter: { match: { model_name: 'storm' } },
          pipelineName: 'retrain-weather',
          parameters: {
            team,
            model_name: 'storm',
            start_time: '2014-01-01T00:00:00Z',
            end_time: '2016-01-01T00:00:00Z',
          },
          cooldown: { seconds: 600n },
          enabled: true,
        },
      });
      scheduler.close();
      // Secured, only monitoring may publish drift alerts, signed: the test sends them as it would.
      const asMonitoring = security
        ? createEventSigner('flywheel/monitoring', security.signingKey('monitoring'))
        : undefined;
      const alerts = Array.from({ length: 100 }, (_, i) => {
        const alert = newEvent(
          DriftDetectedSchema,
          {
            modelName: 'storm',
            modelVersion: 1n,
            feature: 'wind',
            test: DriftTestKind.PSI,
            statistic: 0.5 + i / 1000,
            threshold: 0.2,
          },
          { source: asMonitoring ? 'flywheel/monitoring' : 'flywheel/e2e-storm' },
        );
        return asMonitoring ? asMonitoring.sign(alert) : alert;
      });
      const started = Date.now();
      await bus.publish(alerts);
      expect(Date.now() - started).toBeLessThan(1000);
      const decisions = () =>
        scenario
          .seen()
          .map((s) => s.event)
          .filter((e) => triggeredBy(e, alerts));
      await waitFor(() => decisions().length === 100, { timeoutMs: 60_000, what: '100 scheduler decisions' });
      const requested = decisions().filter((e) => e.type === 'pipeline.run-requested');
      const suppressed = decisions().filter((e) => e.type === 'run.suppressed');
      expect(requested).toHaveLength(1);
      expect(suppressed).toHaveLength(99);
    }, 120_000);

    it.runIf(secured)(
      'secured: a drift alert monitoring did not sign is dead-lettered with the reason',
      async () => {
        const forged = newEvent(
          DriftDetectedSchema,
          { modelName: 'weather', modelVersion: 2n, feature: 'wind', statistic: 0.9, threshold: 0.2 },
          { source: 'flywheel/monitoring' },
        );
        await bus.publish([forged]);
        const reason = await waitFor(
          async () => {
            if (kind === 'nats') {
              const reader = new ConfigReader(busEnv);
              const queue = await createDeadLetterQueue(readBusConfig(reader));
              const letters = await queue.list('drift.detected');
              return letters.find((letter) => letter.eventId === forged.id)?.reason;
            }
            // kcat reads the dead letter's headers as any Kafka tool would.
            const letters = await kcatConsumeAll(
              servers.kafkaEnv,
              dlqTopicOf(`${topicPrefix}drift.detected`),
            );
            const letter = letters.map(kcatHeaders).find((h) => h.ce_id === forged.id);
            return letter?.[dlqHeaders.reason];
          },
          { timeoutMs: 90_000, intervalMs: 500, what: `drift alert ${forged.id} in the DLQ` },
        );
        expect(reason).toMatch(/from "flywheel\/monitoring": no producersig signature/);
      },
      120_000,
    );

    it('a step that fails after its retries fails the run with the step error, and the champion stays', async () => {
      const registry = client(RegistryService, 'registry');
      const before = await registry.resolveModelUri({ uri: 'models:/weather@champion' });
      const scheduler = client(SchedulerService, 'scheduler');
      // A window with no labels: the training-set step fails (failed_precondition, not retriable).
      const { runId } = await scheduler.triggerRun({
        pipelineName: 'retrain-weather',
        parameters: { team, start_time: '1990-01-01T00:00:00Z', end_time: '1990-02-01T00:00:00Z' },
      });
      const orchestrator = client(OrchestratorService, 'orchestrator');
      const failed = await waitFor(
        async () => {
          const got = await orchestrator.getRun({ runId }).catch(() => undefined);
          return got?.run?.state === RunState.FAILED ? got.run : undefined;
        },
        { timeoutMs: 60_000, what: `run ${runId} failed` },
      );
      expect(failed.failure?.stepName).toBe('training-set');
      expect(failed.failure?.message).toMatch(/no rows|0 rows|empty/i);
      const after = await registry.resolveModelUri({ uri: 'models:/weather@champion' });
      expect(after.version?.version).toBe(before.version?.version);
      for (const c of [registry, scheduler, orchestrator]) c.close();
    }, 120_000);

    it('bad input: a wrong tensor shape names the input; an undecodable event lands in the DLQ', async () => {
      const inference = client(GRPCInferenceService, 'serving');
      await expect(
        inference.modelInfer({
          modelName: 'weather',
          inputs: [
            { name: 'temp_max', datatype: 'FP32', shape: [1n, 3n], contents: { fp32Contents: [1, 2, 3] } },
            { name: 'temp_min', datatype: 'FP32', shape: [1n, 1n], contents: { fp32Contents: [1] } },
            { name: 'wind', datatype: 'FP32', shape: [1n, 1n], contents: { fp32Contents: [1] } },
          ],
        }),
      ).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('temp_max') });
      await expect(
        inference.modelInfer({
          modelName: 'weather',
          inputs: ['temp_max', 'temp_min', 'wind'].map((name) => ({
            name,
            datatype: 'INT64',
            shape: [1n, 1n],
            contents: { int64Contents: [1n] },
          })),
        }),
      ).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('temp_max') });
      inference.close();

      // A dataset.arrived whose payload is not a DatasetArrived: the feature store dead-letters it.
      const dlq = bus.subscribe({
        topics: ['dataset.arrived.dlq'],
        group: `${run}-dlq-reader`,
        fromBeginning: true,
      });
      await dlq.ready();
      const garbage: CloudEvent = {
        ...newEvent(DriftDetectedSchema, { modelName: 'x' }, { source: 'flywheel/e2e' }),
        type: 'dataset.arrived',
        data: new Uint8Array([0xff, 0xff, 0xff]),
      };
      await bus.publish([garbage]);
      let reason = '';
      for await (const delivery of dlq) {
        await delivery.ack();
        if (delivery.event.id === garbage.id) {
          reason =
            delivery.event.extensions?.['flywheel-dlq-reason'] ??
            JSON.stringify(toWireMessage(delivery.event).headers);
          break;
        }
      }
      expect(reason).not.toBe('');
    }, 120_000);

    it.runIf(secured)("secured: no token, private key or password in any service's output", () => {
      const secrets = [
        ...security!.secrets,
        ...Object.values(kafkaServiceUsers(process.env)),
        ...Object.values(natsPasswords),
      ];
      expect(secrets.length).toBeGreaterThan(10);
      // The check reads what each service wrote (at least its start), and none of it is a secret.
      for (const [name, service] of services) {
        const output = service.output();
        expect(output, name).toContain('"msg":"serving"');
        const leaked = secrets.filter((secret) => output.includes(secret)).map((s) => `${s.slice(0, 6)}…`);
        expect(leaked, `${name} logged secrets`).toEqual([]);
      }
    });
  },
);

/** Whether `event` is the scheduler's decision about one of `alerts` (requested or suppressed). */
function triggeredBy(event: CloudEvent, alerts: readonly CloudEvent[]): boolean {
  const ids = new Set(alerts.map((a) => a.id));
  if (event.type === 'pipeline.run-requested')
    return ids.has(decodeEvent(PipelineRunRequestedSchema, event).trigger?.event?.id ?? '');
  if (event.type === 'run.suppressed')
    return ids.has(decodeEvent(RunSuppressedSchema, event).trigger?.event?.id ?? '');
  return false;
}
