import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { newEvent } from '@flywheel/events';
import { ShadowComparedSchema } from '@flywheel/proto/flywheel/events/v1/deployment_pb.js';
import { GroundTruthReceivedSchema } from '@flywheel/proto/flywheel/events/v1/prediction_pb.js';
import { BanditAlgorithm } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { deployTwoVersions, shareOf, versionsServing } from './rollout-harness.ts';
import { contentsRequest, eventsOf, expectProbabilities, startStack, v1Model } from './serving-harness.ts';

const keyed = (name: string, key: string) => ({
  ...contentsRequest(name),
  parameters: { 'flywheel.sticky_key': { parameterChoice: { case: 'stringParam' as const, value: key } } },
});

describe('A/B tests, shadows and bandits', () => {
  it('keeps each sticky key on one variant, splitting keys by weight', async () => {
    const stack = await startStack();
    await deployTwoVersions(stack, 'weather');
    await stack.serving.setTrafficSplit({
      deploymentName: 'weather',
      trafficSplit: {
        strategy: {
          case: 'abTest',
          value: {
            variants: [
              { modelVersion: 1n, weight: 1 },
              { modelVersion: 2n, weight: 1 },
            ],
          },
        },
      },
    });
    const keys = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    const first = await versionsServing(stack, 'weather', keys.length, (i) => keyed('weather', keys[i]!));
    const again = await versionsServing(stack, 'weather', keys.length, (i) => keyed('weather', keys[i]!));
    expect(again).toEqual(first);
    // 200 keys at p = 0.5: sd ≈ 0.035; ± 0.15 is over 4 sd.
    expect(shareOf(first, '2')).toBeGreaterThan(0.35);
    expect(shareOf(first, '2')).toBeLessThan(0.65);
    // A key set by another parameter name is not read: such requests spread at random.
    const unkeyed = await versionsServing(stack, 'weather', 100);
    expect(new Set(unkeyed)).toEqual(new Set(['1', '2']));
  });

  it('mirrors requests to a shadow and publishes how it compares, answering from the stable version', async () => {
    const stack = await startStack();
    await deployTwoVersions(stack, 'weather');
    await stack.serving.setTrafficSplit({
      deploymentName: 'weather',
      trafficSplit: {
        strategy: {
          case: 'shadow',
          value: { candidateVersions: [2n], compareWindow: durationFromMs(100) },
        },
      },
    });
    for (let i = 0; i < 40; i++) {
      const response = await stack.inference.modelInfer(contentsRequest('weather'));
      expect(response.modelVersion).toBe('1');
      expectProbabilities(response.outputs[0]!.contents!.fp32Contents, v1Model);
    }
    const compared = await waitFor(
      () => {
        const events = eventsOf(stack.bus, ShadowComparedSchema);
        // Under load a mirror may be dropped (and counted) rather than slow the primary.
        const total = events.reduce((sum, e) => sum + Number(e.sampleCount) + (e.metrics.dropped ?? 0), 0);
        return total >= 40 ? events : undefined;
      },
      { timeoutMs: 30_000, what: '40 mirrored requests compared or counted as dropped' },
    );
    for (const event of compared) {
      expect(event).toMatchObject({
        deploymentName: 'weather',
        primaryVersion: 1n,
        shadowVersion: 2n,
        shadowErrorCount: 0n,
      });
      expect(event.agreementRate).toBeGreaterThanOrEqual(0);
      expect(event.agreementRate).toBeLessThanOrEqual(1);
      // v1 and v2 have different weights: their probabilities differ.
      expect(event.meanAbsDiff).toBeGreaterThan(0);
      expect(event.metrics.max_abs_diff).toBeGreaterThan(0);
      expect(event.shadowLatencyP99).toBeDefined();
    }
  });

  it.each([
    ['epsilon-greedy', BanditAlgorithm.EPSILON_GREEDY],
    ['Thompson sampling', BanditAlgorithm.THOMPSON_SAMPLING],
  ])('shifts traffic to the arm that earns more reward (%s on ground truth)', async (_, algorithm) => {
    const stack = await startStack();
    await deployTwoVersions(stack, 'weather');
    await stack.serving.setTrafficSplit({
      deploymentName: 'weather',
      trafficSplit: {
        strategy: {
          case: 'bandit',
          value: { algorithm, armVersions: [1n, 2n], epsilon: 0.1 },
        },
      },
    });
    // Simulated users: v2's answers are rewarded 80% of the time, v1's 20%.
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const round = async () => {
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => stack.inference.modelInfer(contentsRequest('weather'))),
      );
      const labels = responses.map((response) => ({
        requestId: response.id,
        rowIndex: 0,
        label: {
          kind: {
            case: 'int64Value' as const,
            value: random() < (response.modelVersion === '2' ? 0.8 : 0.2) ? 1n : 0n,
          },
        },
      }));
      await stack.bus.publish([
        newEvent(GroundTruthReceivedSchema, { modelName: 'weather', labels }, { source: 'test' }),
      ]);
      return responses.map((response) => response.modelVersion);
    };
    await waitFor(
      async () => {
        const versions = [...(await round()), ...(await round()), ...(await round())];
        return shareOf(versions, '2') >= 0.75;
      },
      { timeoutMs: 30_000, what: 'most traffic on v2' },
    );
  });

  it('keeps what a bandit learned across a restart', async () => {
    const stack = await startStack();
    await deployTwoVersions(stack, 'weather');
    await stack.serving.setTrafficSplit({
      deploymentName: 'weather',
      trafficSplit: {
        strategy: {
          case: 'bandit',
          value: { algorithm: BanditAlgorithm.EPSILON_GREEDY, armVersions: [1n, 2n], epsilon: 0 },
        },
      },
    });
    // v2's answers always earn a reward, v1's never: greedy (epsilon 0) ends up all on v2.
    await waitFor(
      async () => {
        const responses = await Promise.all(
          Array.from({ length: 10 }, () => stack.inference.modelInfer(contentsRequest('weather'))),
        );
        const labels = responses.map((response) => ({
          requestId: response.id,
          rowIndex: 0,
          label: { kind: { case: 'int64Value' as const, value: response.modelVersion === '2' ? 1n : 0n } },
        }));
        await stack.bus.publish([
          newEvent(GroundTruthReceivedSchema, { modelName: 'weather', labels }, { source: 'test' }),
        ]);
        const { rollout } = await stack.serving.getRolloutStatus({ deploymentName: 'weather' });
        const arms = rollout?.routes.map((r) => [Number(r.modelVersion), r.percent]);
        return (
          JSON.stringify(arms) ===
          JSON.stringify([
            [1, 0],
            [2, 100],
          ])
        );
      },
      { timeoutMs: 30_000, what: 'the stored arm rewards favouring v2' },
    );
    await stack.restartServing();
    await waitFor(async () => (await stack.inference.serverReady({})).ready, { what: 'serving ready again' });
    // Forgotten rewards would send the first requests to the untried arm v1 first.
    expect(new Set(await versionsServing(stack, 'weather', 30))).toEqual(new Set(['2']));
  });
});
