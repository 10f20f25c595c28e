import { randomBytes } from 'node:crypto';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { RouteRole, ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { startTelemetry } from '@flywheel/telemetry/sdk';
import { context, TraceFlags, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployTwoVersions } from './rollout-harness.ts';
import { clientTls, type SecuredStack, startSecuredStack } from './secured-stack.ts';
import { contentsRequest, rejection, type Stack, sampleRows, startStack } from './serving-harness.ts';

/** Runs `fn` as a caller inside trace `traceId` does: the client's span is a child in that trace. */
const inTrace = <T>(traceId: string, fn: () => Promise<T>): Promise<T> =>
  context.with(
    trace.setSpanContext(context.active(), {
      traceId,
      spanId: randomBytes(8).toString('hex'),
      traceFlags: TraceFlags.SAMPLED,
    }),
    fn,
  );

// As every service process does (no exporter): the W3C propagator carries the caller's trace to serving.
const telemetry = startTelemetry({ serviceName: 'serving-test' });

describe('GetServedRequest: what served a request, by request id or trace id', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ stopManually: true });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await telemetry.shutdown();
  });

  it('names the version, the route (canary or stable), the inputs and outputs of a request sent during a canary', async () => {
    const model = await deployTwoVersions(stack, 'served-canary');
    await stack.serving.setTrafficSplit({
      deploymentName: 'served-canary',
      trafficSplit: {
        strategy: {
          case: 'canary',
          value: { candidateVersion: 2n, stepPercents: [50], bakeDuration: durationFromMs(3_600_000) },
        },
      },
    });
    // Requests until both versions answered one: a 50% canary, so a few suffice.
    const answeredBy = new Map<string, string>();
    for (let i = 0; i < 200 && answeredBy.size < 2; i++) {
      const id = `canary-req-${i}`;
      const response = await stack.inference.modelInfer({ ...contentsRequest('served-canary'), id });
      if (!answeredBy.has(response.modelVersion)) answeredBy.set(response.modelVersion, id);
    }
    expect([...answeredBy.keys()].sort()).toEqual(['1', '2']);

    const { requests } = await stack.serving.getServedRequest({
      key: { case: 'requestId', value: answeredBy.get('2')! },
    });
    expect(requests).toHaveLength(1);
    const canary = requests[0]!;
    expect(canary).toMatchObject({
      requestId: answeredBy.get('2'),
      deploymentName: 'served-canary',
      modelName: model,
      modelVersion: 2n,
      route: RouteRole.CANARY,
      stableVersion: 1n,
    });
    expect(canary.rows).toHaveLength(sampleRows.length);
    const first = canary.rows[0]!;
    expect(first.inputs.temp_max?.kind).toEqual({
      case: 'doubleValue',
      value: Math.fround(sampleRows[0]![0]),
    });
    expect(Object.keys(first.inputs).sort()).toEqual(['temp_max', 'temp_min', 'wind']);
    expect(Object.keys(first.outputs).length).toBeGreaterThan(0);

    const stable = await stack.serving.getServedRequest({
      key: { case: 'requestId', value: answeredBy.get('1')! },
    });
    expect(stable.requests[0]).toMatchObject({
      modelVersion: 1n,
      route: RouteRole.STABLE,
      stableVersion: 1n,
    });
  });

  it('finds every request of a trace by its trace id, newest first', async () => {
    await deployTwoVersions(stack, 'served-traced');
    const traceId = randomBytes(16).toString('hex');
    for (const id of ['traced-1', 'traced-2']) {
      await inTrace(traceId, () => stack.inference.modelInfer({ ...contentsRequest('served-traced'), id }));
    }
    const { requests } = await stack.serving.getServedRequest({ key: { case: 'traceId', value: traceId } });
    expect(requests.map((r) => [r.requestId, r.traceId, r.route])).toEqual([
      ['traced-2', traceId, RouteRole.STABLE],
      ['traced-1', traceId, RouteRole.STABLE],
    ]);
    // A request id serving made up is found too, as the response carried it.
    const answer = await stack.inference.modelInfer(contentsRequest('served-traced'));
    const byId = await stack.serving.getServedRequest({ key: { case: 'requestId', value: answer.id } });
    expect(byId.requests[0]?.requestId).toBe(answer.id);
  });

  it('refuses a missing or malformed key naming the field, and answers NOT_FOUND for an unknown id', async () => {
    expect((await rejection(stack.serving.getServedRequest({}), 'invalid_argument')).message).toMatch(
      /^request_id: is required/,
    );
    expect(
      (
        await rejection(
          stack.serving.getServedRequest({ key: { case: 'requestId', value: '' } }),
          'invalid_argument',
        )
      ).message,
    ).toMatch(/^request_id: /);
    expect(
      (
        await rejection(
          stack.serving.getServedRequest({ key: { case: 'traceId', value: 'not-a-trace' } }),
          'invalid_argument',
        )
      ).message,
    ).toMatch(/^trace_id: must match/);
    expect(
      (
        await rejection(
          stack.serving.getServedRequest({ key: { case: 'requestId', value: 'never-sent' } }),
          'not_found',
        )
      ).message,
    ).toContain('request "never-sent"');
  });
});

describe('GetServedRequest is team-scoped', () => {
  let secured: SecuredStack;

  beforeAll(async () => {
    secured = await startSecuredStack('served-secured');
  }, 180_000);
  afterAll(async () => {
    await secured?.stop();
  });

  it("answers the deployment's team and NOT_FOUND, word for word as for an unknown id, to another team", async () => {
    const tls = clientTls(secured.certs);
    const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    const inference = createRpcClient(GRPCInferenceService, {
      address: secured.serving.address,
      tls,
      defaultTimeoutMs: 20_000,
    });
    const serving = createRpcClient(ServingService, {
      address: secured.serving.address,
      tls,
      defaultTimeoutMs: 20_000,
    });
    try {
      const { alice, bob, dave } = secured.tokens;
      await inference.modelInfer({ ...contentsRequest('served-secured'), id: 'team-a-req' }, as(alice));
      const key = { case: 'requestId' as const, value: 'team-a-req' };
      const seen = await serving.getServedRequest({ key }, as(dave));
      expect(seen.requests[0]).toMatchObject({ team: 'team-a', deploymentName: 'served-secured' });
      const outsider = await rejection(serving.getServedRequest({ key }, as(bob)), 'not_found');
      expect(outsider.message).toBe('request "team-a-req" does not exist');
    } finally {
      inference.close();
      serving.close();
    }
  });
});
