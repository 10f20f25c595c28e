import type { Platform } from './start-platform.ts';
import { weatherScenario } from './weather-scenario.ts';

const say = (line: string): void => console.log(`  ▸ ${line}`);

/** The closed loop, told step by step on the embedded platform (see docs/closed-loop.md). */
export async function runDemo(platform: Platform): Promise<void> {
  console.log('\nFlywheel demo — will it rain today? NOAA daily weather, Seattle then New York\n');
  const scenario = weatherScenario({
    address: platform.address,
    bus: platform.bus,
    blobs: platform.blobs,
    say,
  });
  try {
    const { v1 } = await scenario.setUp();
    await scenario.sendNormalTraffic(150);
    console.log('\nNow New York traffic arrives — a real shift. No further call is made: watch the loop.\n');
    await scenario.sendShiftedTraffic(300);
    const report = await scenario.waitForNewVersion(v1);
    console.log(`
Closed loop done: v${v1} → v${report.newVersion}, with no person in the loop.
  lead time drift.detected → v${report.newVersion} serving: ${report.leadTimeMs} ms
  of which the train step:                ${report.trainMs} ms
  platform overhead (lead time − train):  ${report.leadTimeWithoutTrainMs} ms
  trace id of the chain:                  ${report.traceId}
  retrain run:                            ${report.retrainRunId}

The services keep running (gRPC: ${platform.services.map((s) => `${s.name} :${s.port}`).join(', ')}). Ctrl-C to stop.`);
    console.log('\nLate New York history arrives in a burst of files: the new-data rule retrains once.\n');
    const newData = await scenario.newDataRetrains();
    console.log(
      `\nNew data retrained: run ${newData.runId} for ${newData.debounced + 1} matching events (debounced), promoted: ${newData.promoted}.`,
    );
    // The demo logs at warn, so the platform's info line would not show: say it here.
    if (platform.securityHint) console.log(`\nNote: ${platform.securityHint}.`);
  } finally {
    await scenario.close();
  }
}
