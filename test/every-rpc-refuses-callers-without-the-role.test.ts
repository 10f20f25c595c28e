import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  create,
  type DescMessage,
  type DescService,
  fromJson,
  type JsonValue,
  type MessageInitShape,
} from '@bufbuild/protobuf';
import { AppError, silentLogger } from '@flywheel/core';
import { featureStorePolicy } from '@flywheel/feature-store';
import { monitoringPolicy } from '@flywheel/monitoring';
import { orchestratorPolicy } from '@flywheel/orchestrator';
import { type Platform, startPlatform } from '@flywheel/platform';
import { PipelineSpecSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import {
  FeatureStoreService,
  type FeatureViewSchema,
} from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { FeatureKind, MonitoringService } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { OrchestratorService } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import { registryPolicy } from '@flywheel/registry';
import { createRpcClient, mintApiToken, writeApiTokenFile } from '@flywheel/rpc';
import { grpcAddressVariable, type ServiceName, servicePorts } from '@flywheel/runtime';
import { schedulerPolicy } from '@flywheel/scheduler';
import { inferencePolicy, servingPolicy } from '@flywheel/serving';
import { repoRoot } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Team A owns one of each resource kind the admin can create cheaply; every attempt names them.
const A = 'team-a';
const names = {
  model: 'a-model',
  view: 'a_view',
  onDemand: 'a_on_demand',
  featureService: 'a_service',
  pipeline: 'a-pipeline',
  schedule: 'a-schedule',
  rule: 'a-rule',
  monitor: 'a-monitor',
  // Kinds the test does not create (a deployment needs a served model, a run a job, a training
  // set a materialized view): their lookups answer NOT_FOUND to all but platform admins.
  deployment: 'a-deployment',
  run: 'run_a',
  trainingSet: 'ts_a',
};

const stub = {} as never;
type Policy = { access?: string; action?: 'view' | 'edit' | 'admin'; list?: true };
const services: { service: DescService; policy: Record<string, Policy>; at: ServiceName }[] = [
  { service: RegistryService, policy: registryPolicy(stub), at: 'registry' },
  { service: ServingService, policy: servingPolicy(stub), at: 'serving' },
  { service: GRPCInferenceService, policy: inferencePolicy(stub), at: 'serving' },
  { service: FeatureStoreService, policy: featureStorePolicy(stub), at: 'feature-store' },
  { service: SchedulerService, policy: schedulerPolicy(stub), at: 'scheduler' },
  { service: OrchestratorService, policy: orchestratorPolicy(stub), at: 'orchestrator' },
  { service: MonitoringService, policy: monitoringPolicy(stub), at: 'monitoring' },
];

const featureView: MessageInitShape<typeof FeatureViewSchema> = {
  name: names.view,
  team: A,
  entity: { name: 'station', joinKeys: [{ name: 'station', valueType: ValueType.STRING }] },
  features: [{ name: 'temp', valueType: ValueType.DOUBLE }],
  source: { kind: { case: 'batch', value: { dataset: 'a-dataset' } } },
  online: true,
};
const pipelineSpec = () =>
  fromJson(
    PipelineSpecSchema,
    JSON.parse(readFileSync(join(repoRoot, 'examples/pipelines/retrain-weather.json'), 'utf8')) as JsonValue,
  );
const monitor = {
  name: names.monitor,
  team: A,
  modelName: names.model,
  features: [{ name: 'temp', kind: FeatureKind.NUMERIC }],
  window: { size: 200, minSamples: 100 },
  enabled: true,
};

/** String fields by name, as every request names team A's resources. */
const byField: Record<string, string> = {
  modelName: names.model,
  team: A,
  featureViewName: names.view,
  pipelineName: names.pipeline,
  scheduleName: names.schedule,
  triggerRuleName: names.rule,
  monitorName: names.monitor,
  deploymentName: names.deployment,
  runId: names.run,
  trainingSetId: names.trainingSet,
  uri: `models:/${names.model}/1`,
  alias: 'champion',
  requestId: 'neg-1',
  reason: 'negative test',
  eventType: 'drift.detected',
  cron: '0 * * * *',
};

/** Per-method requests where filling by field name is not enough (valid-looking, naming team A's). */
function overrides(): Record<string, object> {
  const spec = pipelineSpec();
  const target = { modelName: names.model, selector: { case: 'alias', value: 'champion' } };
  const entityKey = { joinKeys: { station: { kind: { case: 'stringValue', value: 'seattle' } } } };
  const entityDataframe = {
    source: { case: 'rows', value: { rows: [{ entityKey, eventTime: { seconds: 1_700_000_000n } }] } },
  };
  return {
    'RegistryService/CreateModel': { modelName: 'b-model', team: A },
    'RegistryService/RegisterVersion': {
      modelName: names.model,
      team: A,
      requestId: 'neg-1',
      format: 1,
      artifact: { case: 'artifactBytes', value: new Uint8Array([1]) },
    },
    'RegistryService/GetVersion': { modelName: names.model, modelVersion: 1n },
    'RegistryService/SetAlias': { modelName: names.model, alias: 'champion', modelVersion: 1n },
    'RegistryService/TransitionStage': { modelName: names.model, modelVersion: 1n, stage: 2 },
    'RegistryService/GetLineage': { modelName: names.model, modelVersion: 1n },
    'RegistryService/GetStageHistory': { modelName: names.model, modelVersion: 1n },
    'RegistryService/FindVersionsByLineage': { lineage: { case: 'trainingSetRef', value: 'ts_1' }, team: A },
    'RegistryService/DownloadArtifact': { modelName: names.model, modelVersion: 1n },
    'ServingService/CreateDeployment': { deployment: { name: 'b-deployment', team: A, target } },
    'ServingService/UpdateDeployment': { deployment: { name: names.deployment, team: A, target } },
    'ServingService/SetTrafficSplit': {
      deploymentName: names.deployment,
      trafficSplit: { strategy: { case: 'canary', value: { candidateVersion: 2n, stepPercents: [10] } } },
    },
    'ServingService/Explain': { rows: { modelName: names.deployment } },
    'ServingService/GetServedRequest': { key: { case: 'requestId', value: 'neg-1' } },
    'FeatureStoreService/ApplyFeatureView': { featureView: { ...featureView, name: 'b_view' } },
    'FeatureStoreService/Ingest': {
      featureViewName: names.view,
      rows: [{ entityKey, eventTime: { seconds: 1n } }],
    },
    'FeatureStoreService/IngestStream': { featureViewName: names.view },
    'FeatureStoreService/GetOnlineFeatures': { features: [`${names.view}:temp`], entityKeys: [entityKey] },
    'FeatureStoreService/GetHistoricalFeatures': { features: [`${names.view}:temp`], entityDataframe },
    'FeatureStoreService/StreamHistoricalFeatures': { features: [`${names.view}:temp`], entityDataframe },
    'FeatureStoreService/CreateTrainingSet': {
      features: [`${names.view}:temp`],
      entityDataframe,
      team: A,
      requestId: 'neg-1',
    },
    'FeatureStoreService/Materialize': { featureViewNames: [names.view] },
    'FeatureStoreService/ApplyOnDemandFeatureView': {
      onDemandFeatureView: {
        name: 'b_on_demand',
        team: A,
        features: [{ name: 'x', valueType: ValueType.DOUBLE, expression: `${names.view}.temp * 2.0` }],
      },
    },
    'FeatureStoreService/GetOnDemandFeatureView': { name: names.onDemand },
    'FeatureStoreService/DeleteOnDemandFeatureView': { name: names.onDemand },
    'FeatureStoreService/CreateFeatureService': {
      featureService: { name: 'b_service', team: A, features: [`${names.view}:temp`] },
    },
    'FeatureStoreService/GetFeatureService': { name: names.featureService },
    'FeatureStoreService/ListFeatureServices': { name: names.featureService },
    'SchedulerService/CreatePipeline': { pipeline: { name: 'b-pipeline', team: A, spec } },
    'SchedulerService/UpdatePipeline': { pipelineName: names.pipeline, spec, expectedRevision: 1n },
    'SchedulerService/CreateSchedule': {
      schedule: { name: 'b-schedule', team: A, pipelineName: names.pipeline, cron: '0 * * * *' },
    },
    'SchedulerService/CreateTriggerRule': {
      triggerRule: {
        name: 'b-rule',
        team: A,
        pipelineName: names.pipeline,
        eventType: 'drift.detected',
        enabled: true,
      },
    },
    'OrchestratorService/SubmitRun': {
      pipelineRef: { pipelineName: names.pipeline },
      team: A,
      requestId: 'neg-1',
    },
    'OrchestratorService/RetryRun': { runId: names.run, requestId: 'neg-1' },
    'OrchestratorService/StreamJobLogs': { runId: names.run, attempt: 1 },
    'OrchestratorService/CompareRuns': { runIds: [names.run, `${names.run}_2`] },
    'OrchestratorService/GetMetricHistory': { runId: names.run, metric: 'loss' },
    'MonitoringService/CreateMonitor': { monitor: { ...monitor, name: 'b-monitor' } },
    'MonitoringService/SetReferenceProfile': { modelName: names.model, modelVersion: 1n, profile: {} },
    'MonitoringService/GetReferenceProfile': { modelName: names.model, modelVersion: 1n },
    'MonitoringService/GetDriftReport': { modelName: names.model, modelVersion: 1n },
    'MonitoringService/ListDriftResults': { modelName: names.model, modelVersion: 1n },
    'MonitoringService/GetPerformanceMetrics': { modelName: names.model, modelVersion: 1n },
    'GRPCInferenceService/ModelReady': { name: names.deployment },
    'GRPCInferenceService/ModelMetadata': { name: names.deployment },
    'GRPCInferenceService/ModelConfig': { name: names.deployment },
    'GRPCInferenceService/ModelStatistics': { name: names.deployment },
  };
}

/** A request naming team A's resources: string fields by name, the rest as `overrides` says. */
function requestFor(input: DescMessage, key: string, special: Record<string, object>): object {
  if (special[key]) return special[key];
  const init: Record<string, unknown> = {};
  for (const field of input.fields) {
    if (field.fieldKind === 'scalar' && byField[field.localName] !== undefined)
      init[field.localName] = byField[field.localName];
  }
  // The OIP names its model `name` or `model_name`: there, the deployment.
  if (input.typeName.startsWith('inference.') && 'modelName' in init) init.modelName = names.deployment;
  return init;
}

/** Who lacks what `policy` needs on team A. */
function outsiders(policy: Policy): string[] {
  if (policy.access === 'open') return [];
  if (policy.access === 'authenticated') return ['no token'];
  if (policy.access === 'platform-admin') return ['no token', 'team-a admin'];
  const all = ['no token', 'team-b admin'];
  if (policy.action === 'edit') all.push('team-a viewer');
  if (policy.action === 'admin') all.push('team-a viewer', 'team-a editor');
  return all;
}

describe('every RPC of every service refuses callers without the role it needs', () => {
  let platform: Platform;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flywheel-negative-'));
    const grants: Record<string, string[]> = {
      'platform admin': ['platform:admin'],
      'team-a viewer': [`${A}:viewer`],
      'team-a editor': [`${A}:editor`],
      'team-a admin': [`${A}:admin`],
      'team-b admin': ['team-b:admin'],
    };
    const minted = Object.entries(grants).map(([who, roles]) => {
      const token = mintApiToken(`sa:${who.replace(/ /g, '-')}`, roles);
      tokens[who] = token.token;
      return token.record;
    });
    await writeApiTokenFile(join(dir, 'tokens.json'), { tokens: minted });
    const ports = Object.fromEntries(
      (Object.keys(servicePorts) as ServiceName[]).map((s) => [grpcAddressVariable(s), '127.0.0.1:0']),
    );
    platform = await startPlatform(
      {
        ...process.env,
        ...ports,
        FLYWHEEL_AUTH: 'on',
        FLYWHEEL_AUTH_API_TOKENS_FILE: join(dir, 'tokens.json'),
        FLYWHEEL_STORE_DIR: join(dir, 'store'),
        FLYWHEEL_BLOBS_DIR: join(dir, 'blobs'),
        FLYWHEEL_ORCHESTRATOR_WORK_DIR: join(dir, 'work'),
        FLYWHEEL_BUS: 'memory',
        FLYWHEEL_SERVING_HTTP_ADDRESS: '127.0.0.1:0',
        FLYWHEEL_LOG_LEVEL: 'warn',
      },
      process.env.FLYWHEEL_TEST_LOG ? {} : { log: silentLogger },
    );
    // Team A's resources, created by a platform admin.
    const admin = { headers: { authorization: `Bearer ${tokens['platform admin']}` } };
    const at = (name: ServiceName) => ({ address: platform.address(name), defaultTimeoutMs: 20_000 });
    const registry = createRpcClient(RegistryService, at('registry'));
    const features = createRpcClient(FeatureStoreService, at('feature-store'));
    const scheduler = createRpcClient(SchedulerService, at('scheduler'));
    const monitoring = createRpcClient(MonitoringService, at('monitoring'));
    await registry.createModel({ modelName: names.model, team: A }, admin);
    await features.applyFeatureView({ featureView }, admin);
    await features.applyOnDemandFeatureView(
      {
        onDemandFeatureView: {
          name: names.onDemand,
          team: A,
          features: [
            { name: 'double_temp', valueType: ValueType.DOUBLE, expression: `${names.view}.temp * 2.0` },
          ],
        },
      },
      admin,
    );
    await features.createFeatureService(
      { featureService: { name: names.featureService, team: A, features: [`${names.view}:temp`] } },
      admin,
    );
    await scheduler.createPipeline(
      { pipeline: { name: names.pipeline, team: A, spec: pipelineSpec() } },
      admin,
    );
    await scheduler.createSchedule(
      { schedule: { name: names.schedule, team: A, pipelineName: names.pipeline, cron: '0 0 1 1 *' } },
      admin,
    );
    await scheduler.createTriggerRule(
      {
        triggerRule: {
          name: names.rule,
          team: A,
          pipelineName: names.pipeline,
          eventType: 'drift.detected',
          filter: { match: { model_name: names.model } },
          enabled: false,
        },
      },
      admin,
    );
    await monitoring.createMonitor({ monitor }, admin);
    for (const c of [registry, features, scheduler, monitoring]) c.close();
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('admits the right role (the control): team A viewers read team A, lists show each caller only its teams', async () => {
    const as = (who: string) => ({ headers: { authorization: `Bearer ${tokens[who]}` } });
    const at = (name: ServiceName) => ({ address: platform.address(name), defaultTimeoutMs: 20_000 });
    const scheduler = createRpcClient(SchedulerService, at('scheduler'));
    const monitoring = createRpcClient(MonitoringService, at('monitoring'));
    const features = createRpcClient(FeatureStoreService, at('feature-store'));
    const registry = createRpcClient(RegistryService, at('registry'));
    try {
      const viewer = as('team-a viewer');
      expect((await registry.getModel({ modelName: names.model }, viewer)).model?.team).toBe(A);
      expect((await scheduler.getPipeline({ pipelineName: names.pipeline }, viewer)).pipeline?.team).toBe(A);
      expect((await monitoring.getMonitor({ monitorName: names.monitor }, viewer)).monitor?.team).toBe(A);
      expect((await features.getFeatureView({ featureViewName: names.view }, viewer)).featureView?.team).toBe(
        A,
      );
      const pipelines = async (who: string) =>
        (await scheduler.listPipelines({}, as(who))).pipelines.map((p) => p.name);
      expect(await pipelines('team-a viewer')).toEqual([names.pipeline]);
      expect(await pipelines('team-b admin')).toEqual([]);
      expect(await pipelines('platform admin')).toEqual([names.pipeline]);
      const models = async (who: string) =>
        (await registry.listModels({}, as(who))).models.map((m) => m.name);
      expect(await models('team-a viewer')).toEqual([names.model]);
      expect(await models('team-b admin')).toEqual([]);
      const onDemand = async (who: string) =>
        (await features.listOnDemandFeatureViews({}, as(who))).onDemandFeatureViews.map((v) => v.name);
      expect(await onDemand('team-a viewer')).toEqual([names.onDemand]);
      expect(await onDemand('team-b admin')).toEqual([]);
    } finally {
      for (const c of [scheduler, monitoring, features, registry]) c.close();
    }
  });

  it('admits none of them: UNAUTHENTICATED without a token, NOT_FOUND or PERMISSION_DENIED with one', async () => {
    const special = overrides();
    const rows: {
      service: string;
      rpcs: number;
      attempts: number;
      admitted: number;
      filtered: number;
      unimplemented: number;
    }[] = [];
    const admittedCalls: string[] = [];
    for (const { service, policy, at } of services) {
      const client = createRpcClient(service, { address: platform.address(at), defaultTimeoutMs: 20_000 });
      const row = {
        service: service.typeName,
        rpcs: 0,
        attempts: 0,
        admitted: 0,
        filtered: 0,
        unimplemented: 0,
      };
      for (const method of service.methods) {
        row.rpcs++;
        const key = `${service.name}/${method.name}`;
        const request = create(method.input, requestFor(method.input, key, special) as never);
        for (const who of outsiders(policy[method.localName] ?? {})) {
          row.attempts++;
          const options = who === 'no token' ? {} : { headers: { authorization: `Bearer ${tokens[who]}` } };
          const code = await attempt(client as never, method, request, options);
          // A list naming nothing is open to any caller and answers only the caller's teams.
          const filtered = code.startsWith('ok') && who !== 'no token' && policy[method.localName]?.list;
          if (filtered) row.filtered++;
          if (code === 'unimplemented') row.unimplemented++;
          const refused =
            who === 'no token'
              ? code === 'unauthenticated'
              : code === 'permission_denied' ||
                code === 'not_found' ||
                code === 'unimplemented' ||
                (filtered && !code.includes(A));
          if (!refused) {
            row.admitted++;
            admittedCalls.push(`${key} as ${who}: ${code}`);
          }
        }
      }
      client.close();
      rows.push(row);
    }
    const lines = [
      '| service | rpcs | attempts | admitted | of which: list answered without team A | unimplemented |',
      '|---|---:|---:|---:|---:|---:|',
      ...[...rows, total(rows)].map(
        (r) =>
          `| ${r.service} | ${r.rpcs} | ${r.attempts} | ${r.admitted} | ${r.filtered} | ${r.unimplemented} |`,
      ),
    ];
    console.log(lines.join('\n'));
    mkdirSync(join(repoRoot, '.run'), { recursive: true });
    writeFileSync(join(repoRoot, '.run/negative-auth-table.md'), `${lines.join('\n')}\n`);
    expect(admittedCalls).toEqual([]);
  }, 120_000);
});

function total<R extends Record<string, string | number>>(rows: R[]): R {
  const sum = (key: string) => rows.reduce((n, r) => n + (r[key] as number), 0);
  return Object.fromEntries(
    Object.keys(rows[0] ?? {}).map((k) => [k, k === 'service' ? '**all**' : sum(k)]),
  ) as R;
}

/** The status code of one call (unary, server-, client- or bidi-streaming), 'ok' when it succeeded. */
async function attempt(
  client: Record<string, (...args: unknown[]) => unknown>,
  method: DescService['methods'][number],
  request: object,
  options: object,
): Promise<string> {
  try {
    const call = client[method.localName]!;
    // Unary answers are kept: a filtered list must not hold team A's resources.
    if (method.methodKind === 'unary')
      return `ok ${JSON.stringify(await call(request, options), (_k, v) => (typeof v === 'bigint' ? `${v}` : v))}`;
    else if (method.methodKind === 'server_streaming') {
      for await (const _ of call(request, options) as AsyncIterable<unknown>) break;
    } else {
      const input = (async function* () {
        yield request;
      })();
      const answer = call(input, options);
      if (method.methodKind === 'client_streaming') await answer;
      else for await (const _ of answer as AsyncIterable<unknown>) break;
    }
    return 'ok';
  } catch (error) {
    const e = AppError.from(error);
    return e.code === 'invalid_argument' ? `invalid_argument (${e.message})` : e.code;
  }
}
