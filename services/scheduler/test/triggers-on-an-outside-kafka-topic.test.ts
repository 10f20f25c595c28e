// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline and rule templates are ${…} in plain strings
// Issue 16: an event that kcat (librdkafka's CLI: no Flywheel code) publishes on a topic Flywheel
// has never heard of, matching a rule's CEL filter, starts a run; a non-matching one does not; a
// record that is not JSON lands in `<topic>.dlq` with its reason. Real Kafka (the shared servers);
// the scheduler subscribes to the topic when the rule is created.
import { dlqHeaders } from '@flywheel/bus';
import { RunSource } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import { RunRequestStatus, SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { Health, HealthCheckResponse_ServingStatus } from '@flywheel/proto/grpc/health/v1/health_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { consumerHealthName } from '@flywheel/runtime';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import {
  kcatConsumeAll,
  kcatHeaders,
  kcatProduce,
  realServers,
  uniqueName,
  waitFor,
} from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSchedulerConfig, wireScheduler } from '../src/index.ts';

const servers = realServers();
const kafkaEnv = servers.kafkaEnv;
const run = uniqueName('outside').replaceAll('_', '-');
const prefix = `${run}.`;
const topic = 'acme.observations';
const physical = `${prefix}${topic}`;

let scheduler: InProcessService;
let client: ReturnType<typeof createRpcClient<(typeof SchedulerService)['method']>>;
let health: ReturnType<typeof createRpcClient<(typeof Health)['method']>>;

beforeAll(async () => {
  scheduler = await startInProcess('scheduler', {
    load: loadSchedulerConfig,
    wire: wireScheduler,
    env: {
      FLYWHEEL_BUS: 'kafka',
      ...kafkaEnv,
      FLYWHEEL_TOPIC_PREFIX: prefix,
      FLYWHEEL_SCHEDULER_TRIGGER_TOPICS: 'acme.*',
      FLYWHEEL_INSTANCE_ID: `${run}/scheduler`,
    },
  });
  client = createRpcClient(SchedulerService, { address: scheduler.address, defaultTimeoutMs: 20_000 });
  health = createRpcClient(Health, { address: scheduler.address, defaultTimeoutMs: 5_000 });
}, 120_000);

afterAll(async () => {
  client?.close();
  health?.close();
  await scheduler?.stop();
});

describe('a rule on a topic Flywheel has never heard of (kcat, real Kafka)', () => {
  it('starts a run for a matching event, none for another, and dead-letters what is not JSON', async () => {
    await client.createPipeline({
      pipeline: {
        name: 'retrain-station',
        spec: {
          parameters: [{ name: 'station', required: true }, { name: 'rows' }],
          steps: [{ name: 'train', kind: { case: 'builtin', value: { name: 'train' } } }],
        },
      },
    });
    await client.createTriggerRule({
      triggerRule: {
        name: 'retrain-on-observations',
        topic,
        filter: { expression: 'event.station == "new-york" && event.rows >= 100' },
        pipelineName: 'retrain-station',
        parameters: { station: '${event.station}', rows: '${event.rows}' },
        enabled: true,
      },
    });
    // The rule made the scheduler join the topic's group (and create the topic).
    await waitFor(
      async () =>
        (
          await health.check({
            service: consumerHealthName(`${prefix.replaceAll('.', '-')}scheduler.topic.${topic}`),
          })
        ).status === HealthCheckResponse_ServingStatus.SERVING,
      { timeoutMs: 90_000, intervalMs: 250, what: 'the scheduler to join the outside topic' },
    );

    // One key, so one partition and this order: when the last one has its run, the first was read.
    await kcatProduce(kafkaEnv, physical, 'stations', JSON.stringify({ station: 'seattle', rows: 500 }), {});
    await kcatProduce(kafkaEnv, physical, 'stations', 'rows=12; not json', { 'content-type': 'text/plain' });
    // A binary-mode CloudEvent: attributes in ce_* headers, the JSON data as the value.
    await kcatProduce(kafkaEnv, physical, 'stations', JSON.stringify({ station: 'new-york', rows: 365 }), {
      ce_specversion: '1.0',
      ce_id: 'obs-2024-05-20',
      ce_type: 'com.acme.observations.arrived',
      ce_source: 'urn:acme:ingest',
      ce_time: '2024-05-20T06:00:00Z',
      'content-type': 'application/json',
    });

    const requests = await waitFor(
      async () => {
        const { runRequests } = await client.listRunRequests({ triggerRuleName: 'retrain-on-observations' });
        return runRequests.length >= 1 && runRequests;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'the matching event to request a run' },
    );
    const letters = await waitFor(
      async () => {
        const records = await kcatConsumeAll(kafkaEnv, `${physical}.dlq`).catch(() => []);
        return records.length >= 1 && records;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'the non-JSON record in the DLQ' },
    );
    expect(letters.map((letter) => letter.payload)).toEqual(['rows=12; not json']);
    expect(kcatHeaders(letters[0]!)[dlqHeaders.reason]).toMatch(/is not JSON \(content type text\/plain\)/);

    // Only the matching event: the seattle record before it (same partition) was read and did not match.
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      status: RunRequestStatus.REQUESTED,
      runId: expect.stringMatching(/^run_/),
      parameters: { station: 'new-york', rows: 365 },
      trigger: {
        source: RunSource.TRIGGER,
        triggerRuleName: 'retrain-on-observations',
        event: { id: 'obs-2024-05-20', type: 'com.acme.observations.arrived', source: 'urn:acme:ingest' },
      },
    });
  }, 240_000);
});
