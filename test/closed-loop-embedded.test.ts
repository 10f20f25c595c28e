import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@flywheel/core';
import { type Platform, startPlatform } from '@flywheel/platform';
import { weatherScenario } from '@flywheel/platform/weather-scenario';
import { grpcAddressVariable, type ServiceName, servicePorts } from '@flywheel/runtime';
import { afterAll, describe, expect, it } from 'vitest';

describe('the closed loop, embedded (one process, in-process bus, file-backed stores)', () => {
  let platform: Platform | undefined;
  afterAll(async () => {
    await platform?.stop();
  });

  it('drift in live traffic retrains, gates and redeploys a better model on its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flywheel-embedded-'));
    const ports = Object.fromEntries(
      (Object.keys(servicePorts) as ServiceName[]).map((s) => [grpcAddressVariable(s), '127.0.0.1:0']),
    );
    platform = await startPlatform(
      {
        ...process.env,
        ...ports,
        FLYWHEEL_STORE_DIR: join(dir, 'store'),
        FLYWHEEL_BLOBS_DIR: join(dir, 'blobs'),
        FLYWHEEL_ORCHESTRATOR_WORK_DIR: join(dir, 'work'),
        FLYWHEEL_BUS: 'memory',
        FLYWHEEL_SERVING_HTTP_ADDRESS: '127.0.0.1:0',
        FLYWHEEL_LOG_LEVEL: 'warn',
      },
      process.env.FLYWHEEL_TEST_LOG ? {} : { log: silentLogger },
    );
    const lines: string[] = [];
    const scenario = weatherScenario({
      address: platform.address,
      bus: platform.bus,
      blobs: platform.blobs,
      say: (l) => lines.push(l),
    });
    try {
      const { v1 } = await scenario.setUp();
      await scenario.sendNormalTraffic(150);
      await scenario.sendShiftedTraffic(300);
      const report = await scenario.waitForNewVersion(v1);
      console.log(lines.join('\n'), '\n', report);
      expect(report.newVersion).toBeGreaterThan(v1);
      expect(report.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(report.retrainRunId).not.toBe('');
      // The new-data rule: a burst of eight files, one retrain run (the debounce folded the rest).
      const newData = await scenario.newDataRetrains();
      console.log(newData);
      expect(newData.runId).not.toBe(report.retrainRunId);
      expect(newData.debounced).toBeGreaterThan(0);
      expect(newData.runs).toBe(1);
      expect(newData.warmStartedFrom).toMatch(/^models:\/weather\/[0-9]+$/);
    } finally {
      await scenario.close();
    }
  }, 360_000);
});
