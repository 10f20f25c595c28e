// D4: a service process SIGKILLed and restarted answers gRPC at once, while its Kafka consumer
// groups still wait for the killed member's session to expire. The session timeout is set long
// here (45 s) so that window is wide enough for the order to be certain on a loaded machine; the
// default (10 s) is what `readBusConfig` tests pin.
import { ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { Health, HealthCheckResponse_ServingStatus } from '@flywheel/proto/grpc/health/v1/health_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { realServers, uniqueName } from '@flywheel/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { consumerHealthName } from '../src/run-service.ts';
import { type SpawnedService, spawnService } from '../src/testing/spawn-service.ts';

const servers = realServers();
const run = uniqueName('d4').replaceAll('.', '-');
const sessionTimeoutMs = 45_000;
const env = {
  FLYWHEEL_BUS: 'kafka',
  ...servers.kafkaEnv,
  FLYWHEEL_KAFKA_SESSION_TIMEOUT: `${sessionTimeoutMs}ms`,
  FLYWHEEL_STORE: 'mongo',
  FLYWHEEL_MONGO_URL: servers.mongoUrl,
  FLYWHEEL_MONGO_DATABASE: `${run}-serving`,
  // Groups of their own: other tests' serving processes on the shared broker are not disturbed.
  FLYWHEEL_CONSUMER_GROUP_PREFIX: `${run}-`,
  FLYWHEEL_INSTANCE_ID: `${run}/serving`,
  FLYWHEEL_LOG_LEVEL: 'info',
};
// serving's groups are per replica: `<group>.<instance id, `/` as `-`>`, the same after a restart.
const groups = [
  `${run}-serving.${run}-serving`,
  `${run}-serving-ground-truth.${run}-serving`,
  `${run}-serving-deployments.${run}-serving`,
];
const { SERVING, NOT_SERVING } = HealthCheckResponse_ServingStatus;

function killOnFinish(service: SpawnedService): void {
  onTestFinished(() => {
    if (service.process.exitCode === null && service.process.signalCode === null)
      service.process.kill('SIGKILL');
  });
}

describe('a service process killed and restarted (real Kafka and MongoDB)', () => {
  it('answers gRPC before its consumer groups have rejoined', { timeout: 240_000 }, async () => {
    const first = await spawnService('serving', env, { timeoutMs: 90_000 });
    killOnFinish(first);
    const gone = new Promise((resolve) => first.process.once('exit', resolve));
    first.process.kill('SIGKILL');
    await gone;

    const restartedAt = Date.now();
    const second = await spawnService('serving', env, { timeoutMs: 60_000, waitForConsumers: false });
    killOnFinish(second);
    const health = createRpcClient(Health, { address: second.address, defaultTimeoutMs: 5000 });
    const serving = createRpcClient(ServingService, { address: second.address, defaultTimeoutMs: 5000 });
    try {
      expect((await health.check({ service: '' })).status).toBe(SERVING);
      expect((await serving.listDeployments({})).deployments).toEqual([]);
      const answeredMs = Date.now() - restartedAt;
      // Right after that real RPC: the groups are still held by the killed member.
      for (const group of groups) {
        expect((await health.check({ service: consumerHealthName(group) })).status).toBe(NOT_SERVING);
      }
      expect(second.logs.map((line) => line.msg)).not.toContain('consumers ready');

      await second.consumersReady(sessionTimeoutMs + 60_000);
      const rejoinedMs = Date.now() - restartedAt;
      for (const group of groups) {
        expect((await health.check({ service: consumerHealthName(group) })).status).toBe(SERVING);
      }
      const lines = second.logs.map((line) => line.msg);
      expect(lines.indexOf('serving')).toBeLessThan(lines.indexOf('consumers ready'));
      console.log(
        `restart → gRPC answered ${answeredMs} ms; → consumer groups rejoined ${rejoinedMs} ms ` +
          `(session timeout ${sessionTimeoutMs} ms)`,
      );
    } finally {
      health.close();
      serving.close();
      expect(await second.stop(30_000)).toBe(0);
    }
  });
});
