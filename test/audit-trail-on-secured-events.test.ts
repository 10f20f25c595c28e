// biome-ignore-all lint/suspicious/noTemplateCurlyInString: trigger rule templates are ${…} in plain strings
// The audit trail with security on, over real Kafka: records keep the verified caller as
// createdBy/updatedBy; a signed event of the allowed producer drives the scheduler, which acts as
// itself on behalf of the originator and says so in its records and its (signed) events; events
// an outside system (kcat) forges are dead-lettered with the reason and start nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventBus, dlqHeaders, dlqTopicOf, type EventBus, readBusConfig } from '@flywheel/bus';
import { ConfigReader, runActingAs } from '@flywheel/core';
import {
  createEventSigner,
  createEventVerifier,
  decodeEvent,
  newEvent,
  principalOfEvent,
  toWireMessage,
} from '@flywheel/events';
import { Role } from '@flywheel/proto/flywheel/common/v1/principal_pb.js';
import { DriftDetectedSchema } from '@flywheel/proto/flywheel/events/v1/monitoring_pb.js';
import { PipelineRunRequestedSchema } from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { loadRegistryConfig, wireRegistry } from '@flywheel/registry';
import { createRpcClient } from '@flywheel/rpc';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import { loadSchedulerConfig, wireScheduler } from '@flywheel/scheduler';
import {
  kcatConsumeAll,
  kcatHeaders,
  kcatProduceWire,
  realServers,
  uniqueName,
  waitFor,
} from '@flywheel/testing';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const servers = realServers();
const issuer = 'https://idp.flywheel.test';
const audience = 'flywheel';
type Jwk = Record<string, unknown>;

async function keyPair(kid: string): Promise<{ privateJwk: Jwk; publicJwk: Jwk }> {
  const pair = await generateKeyPair('EdDSA', { extractable: true });
  return {
    privateJwk: (await exportJWK(pair.privateKey)) as Jwk,
    publicJwk: { ...(await exportJWK(pair.publicKey)), kid },
  };
}

describe('audit trail with security on (real Kafka, signed events)', () => {
  const run = uniqueName('audit');
  const prefix = `${run}.`;
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-audit-'));
  let registry: InProcessService;
  let scheduler: InProcessService;
  let observer: EventBus;
  let aliceToken: string;
  let monitoringKey: Jwk;
  let verify: ReturnType<typeof createEventVerifier>;

  beforeAll(async () => {
    const idp = await generateKeyPair('ES256', { extractable: true });
    writeFileSync(
      join(dir, 'jwks.json'),
      JSON.stringify({ keys: [{ ...(await exportJWK(idp.publicKey)), kid: 'idp-1', alg: 'ES256' }] }),
    );
    aliceToken = await new SignJWT({ roles: ['growth:editor', 'platform:admin'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('user:alice')
      .setExpirationTime('10m')
      .sign(idp.privateKey);
    const keys = {
      registry: await keyPair('flywheel/registry'),
      scheduler: await keyPair('flywheel/scheduler'),
      monitoring: await keyPair('flywheel/monitoring'),
    };
    monitoringKey = keys.monitoring.privateJwk;
    const jwks = { keys: Object.values(keys).map((k) => k.publicJwk) };
    verify = createEventVerifier(jwks as never);
    writeFileSync(join(dir, 'producers.jwks.json'), JSON.stringify(jwks));
    for (const [name, key] of Object.entries(keys))
      writeFileSync(join(dir, `${name}.key.json`), JSON.stringify(key.privateJwk));
    const env = (service: string) => ({
      FLYWHEEL_BUS: 'kafka',
      ...servers.kafkaEnv,
      FLYWHEEL_TOPIC_PREFIX: prefix,
      FLYWHEEL_AUTH: 'on',
      FLYWHEEL_AUTH_ISSUER: issuer,
      FLYWHEEL_AUTH_AUDIENCE: audience,
      FLYWHEEL_AUTH_JWKS_FILE: join(dir, 'jwks.json'),
      // FLYWHEEL_EVENT_PRODUCERS unset: with auth on, the owners' allow-list.
      FLYWHEEL_EVENT_KEYS_FILE: join(dir, 'producers.jwks.json'),
      FLYWHEEL_EVENT_SIGNING_KEY_FILE: join(dir, `${service}.key.json`),
    });
    registry = await startInProcess('registry', {
      load: loadRegistryConfig,
      wire: wireRegistry,
      env: env('registry'),
    });
    scheduler = await startInProcess('scheduler', {
      load: loadSchedulerConfig,
      wire: (host, config) => wireScheduler(host, config),
      env: { ...env('scheduler'), FLYWHEEL_SCHEDULER_TICK: '50ms' },
    });
    const reader = new ConfigReader({
      FLYWHEEL_BUS: 'kafka',
      ...servers.kafkaEnv,
      FLYWHEEL_TOPIC_PREFIX: prefix,
    });
    observer = await createEventBus(readBusConfig(reader));
    reader.done();
  }, 120_000);
  afterAll(async () => {
    await observer?.close();
    await scheduler?.stop();
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps the verified caller as createdBy/updatedBy and returns it, never a request field's", async () => {
    const asAlice = { headers: { authorization: `Bearer ${aliceToken}` } };
    const registryClient = createRpcClient(RegistryService, { address: registry.address });
    const schedulerClient = createRpcClient(SchedulerService, { address: scheduler.address });
    try {
      await registryClient.createModel({ modelName: 'churn', team: 'growth' }, asAlice);
      const { model } = await registryClient.getModel({ modelName: 'churn' }, asAlice);
      const alice = { subject: 'user:alice', team: 'growth', roles: [Role.EDITOR], onBehalfOf: '' };
      expect(model?.audit?.createdBy).toMatchObject(alice);
      expect(model?.audit?.updatedBy).toMatchObject(alice);
      await schedulerClient.createPipeline(
        { pipeline: { name: 'retrain', team: 'growth', spec: retrainSpec() } },
        asAlice,
      );
      const { pipelines } = await schedulerClient.listPipelines({}, asAlice);
      expect(pipelines.find((p) => p.name === 'retrain')?.audit?.createdBy).toMatchObject(alice);
    } finally {
      registryClient.close();
      schedulerClient.close();
    }
  });

  it('a signed event drives the scheduler on behalf of its originator; forged ones are dead-lettered and start nothing', async () => {
    const asAlice = { headers: { authorization: `Bearer ${aliceToken}` } };
    const client = createRpcClient(SchedulerService, { address: scheduler.address });
    const requested = observer.subscribe({
      topics: ['pipeline.run-requested'],
      group: `${run}-observer`,
      fromBeginning: true,
    });
    try {
      await requested.ready();
      await client.createTriggerRule(
        {
          triggerRule: {
            name: 'retrain-on-drift',
            eventType: 'drift.detected',
            pipelineName: 'retrain',
            parameters: { model_name: '${event.model_name}' },
            enabled: true,
          },
        },
        asAlice,
      );
      // Monitoring's drift alert, raised while it worked on behalf of alice, signed with its key.
      const drift = (modelName: string, source = 'flywheel/monitoring') =>
        runActingAs({ subject: 'service:monitoring', teams: [], onBehalfOf: 'user:alice' }, () =>
          newEvent(DriftDetectedSchema, { modelName, team: 'growth', statistic: 0.5 }, { source }),
        );
      const topic = `${prefix}drift.detected`;
      // JSON payload so kcat's text stdin carries it intact; the signature covers these bytes.
      const kcat = (event: ReturnType<typeof drift>) =>
        kcatProduceWire(servers.kafkaEnv, topic, event.key, toWireMessage(event));
      const asJson = (event: ReturnType<typeof drift>) => ({
        ...event,
        datacontenttype: 'application/json',
        data: new TextEncoder().encode(
          JSON.stringify({ modelName: event.subject, team: 'growth', statistic: 0.5 }),
        ),
      });
      const unlisted = asJson(drift('forged-source', 'urn:attacker'));
      const unsigned = asJson(drift('forged-unsigned'));
      const signed = createEventSigner('flywheel/monitoring', monitoringKey).sign(asJson(drift('weather')));
      for (const event of [unlisted, unsigned, signed]) await kcat(event);

      const reasons = await waitFor(
        async () => {
          const letters = await kcatConsumeAll(servers.kafkaEnv, dlqTopicOf(topic));
          const byId = new Map(letters.map((l) => [kcatHeaders(l).ce_id, kcatHeaders(l)[dlqHeaders.reason]]));
          return byId.has(unlisted.id) && byId.has(unsigned.id) && byId;
        },
        { timeoutMs: 90_000, intervalMs: 500, what: 'the forged events in the DLQ' },
      );
      expect(reasons.get(unlisted.id)).toMatch(/producer "urn:attacker" may not publish drift.detected/);
      expect(reasons.get(unsigned.id)).toMatch(/no producersig signature/);

      const iterator = requested[Symbol.asyncIterator]();
      const { value: delivery } = await iterator.next();
      await delivery!.ack();
      const event = delivery!.event;
      expect(decodeEvent(PipelineRunRequestedSchema, event).trigger?.key).toBe('weather');
      expect(principalOfEvent(event)).toEqual({
        subject: 'service:scheduler',
        teams: [],
        onBehalfOf: 'user:alice',
      });
      await verify(event); // signed by the scheduler's key
      const { runRequests } = await client.listRunRequests({ triggerRuleName: 'retrain-on-drift' }, asAlice);
      expect(runRequests.map((r) => r.parameters?.model_name)).toEqual(['weather']);
      expect(runRequests[0]?.principal).toMatchObject({
        subject: 'service:scheduler',
        onBehalfOf: 'user:alice',
      });
    } finally {
      await requested.close();
      client.close();
    }
  }, 120_000);
});

function retrainSpec() {
  return {
    parameters: [{ name: 'model_name', required: true }],
    steps: [
      { name: 'training-set', kind: { case: 'builtin' as const, value: { name: 'build-training-set' } } },
      {
        name: 'train',
        kind: { case: 'builtin' as const, value: { name: 'train' } },
        dependsOn: ['training-set'],
        parameters: {
          training_set_id: '${steps.training-set.outputs.training_set_id}',
          model: '${params.model_name}',
        },
      },
    ],
  };
}
