import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, uniqueName } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { championDeployment, type Stack, startStack, v1Model } from './serving-harness.ts';

const run = promisify(execFile);

/**
 * NVIDIA's perf_analyzer (from the tritonclient 2.41.1 wheel): `./flywheel test` installs it and
 * sets FLYWHEEL_PERF_ANALYZER; run alone, the test installs it the same way (idempotent, cached).
 */
async function perfAnalyzer(): Promise<string> {
  const given = process.env.FLYWHEEL_PERF_ANALYZER;
  if (given) return given;
  const { stdout } = await run(join(repoRoot, 'scripts/perf-analyzer/install.sh'), [], { timeout: 300_000 });
  return stdout.trim();
}

/** Requests one measurement makes at least: 3 windows of 50 (perf_analyzer's stable-window count). */
const requestsPerRun = 150;

describe("NVIDIA's perf_analyzer", () => {
  let stack: Stack;
  let binary: string;
  beforeAll(async () => {
    binary = await perfAnalyzer();
    stack = await startStack({ stopManually: true });
    const model = uniqueName('weather');
    const { version } = await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', version);
    await stack.serving.createDeployment({
      deployment: championDeployment('perf', model, {
        runtime: { dynamicBatching: { maxBatchSize: 8, maxQueueDelayUs: 1_000, preferredBatchSizes: [] } },
      }),
    });
  }, 300_000);
  afterAll(async () => {
    await stack?.stop();
  });

  const runs = [
    { protocol: 'grpc', extra: [] },
    { protocol: 'grpc', extra: ['--streaming'] },
    { protocol: 'http', extra: [] },
  ] as const;
  for (const { protocol, extra } of runs) {
    it(`measures a deployment over ${protocol}${extra.length ? ` ${extra.join(' ')}` : ''}, counted by serving's statistics`, async () => {
      const success = async () =>
        (await stack.inference.modelStatistics({ name: 'perf', version: '' })).modelStats[0]?.inferenceStats
          ?.success?.count ?? 0n;
      const before = await success();
      const address = protocol === 'grpc' ? stack.servingService.address : stack.http.replace('http://', '');
      // Count-bounded windows; stability is not asked for (the box is loaded): any 3 windows do.
      const { stdout } = await run(
        binary,
        [
          '-m',
          'perf',
          '-u',
          address,
          '-i',
          protocol,
          ...extra,
          '--measurement-mode',
          'count_windows',
          '--measurement-request-count',
          '50',
          '--concurrency-range',
          '2:2',
          '--stability-percentage',
          '999',
          '--max-trials',
          '5',
        ],
        { timeout: 120_000 },
      );
      // For the log (not asserted: the box is shared): what perf_analyzer measured.
      console.log(`perf_analyzer ${protocol} ${extra.join(' ')}: ${stdout.match(/Concurrency: 2, .*/)?.[0]}`);
      expect(stdout).toMatch(/Throughput: [\d.]+ infer\/sec/);
      expect(stdout).toMatch(/Concurrency: 2, throughput: [\d.]+ infer\/sec/);
      // perf_analyzer reads serving's ModelStatistics too, and reports what it counted.
      expect(stdout).toMatch(/Server:\s+Inference count: [1-9]\d*/);
      expect(Number((await success()) - before)).toBeGreaterThanOrEqual(requestsPerRun);
    }, 180_000);
  }
});
