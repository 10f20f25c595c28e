// Issue 9: how long a serving replica is gone for when it is SIGKILLed and restarted at once, with a
// deployed model, on real Kafka + MongoDB-wire + S3. The figure is printed, not asserted (the machine
// is shared and loaded); what is asserted is that the restarted process answers with the stored
// version, right, while its consumer groups still rejoin in the background and then do rejoin.
import { exportLogisticRegressionOnnx } from '@flywheel/ml';
import { ArtifactFormat, RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { Health, HealthCheckResponse_ServingStatus } from '@flywheel/proto/grpc/health/v1/health_pb.js';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { consumerHealthName } from '@flywheel/runtime';
import { type SpawnedService, spawnService } from '@flywheel/runtime/testing';
import { realServers, uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { championDeployment, contentsRequest, expectProbabilities, v1Model } from './serving-harness.ts';

const servers = realServers();
const run = uniqueName('restart').replaceAll('.', '-');
const model = `weather-${run}`.toLowerCase();
const shared: Record<string, string> = {
  FLYWHEEL_BUS: 'kafka',
  ...servers.kafkaEnv,
  // Groups of their own: other tests' services on the shared broker are not disturbed.
  FLYWHEEL_CONSUMER_GROUP_PREFIX: `${run}-`,
  FLYWHEEL_BLOBS: 's3',
  FLYWHEEL_S3_ENDPOINT: servers.s3.endpoint,
  FLYWHEEL_S3_ACCESS_KEY: servers.s3.accessKey,
  FLYWHEEL_S3_SECRET_KEY: servers.s3.secretKey,
  FLYWHEEL_S3_REGION: servers.s3.region,
  FLYWHEEL_S3_BUCKET: run.toLowerCase(),
};
const { SERVING } = HealthCheckResponse_ServingStatus;

function killOnFinish(service: SpawnedService): void {
  onTestFinished(() => {
    if (service.process.exitCode === null && service.process.signalCode === null)
      service.process.kill('SIGKILL');
  });
}

describe('a serving replica killed -9 and restarted (real Kafka, MongoDB-wire and S3)', () => {
  it('answers ModelInfer with its stored version soon after the restart, and prints how soon', {
    timeout: 300_000,
  }, async () => {
    const registryService = await spawnService(
      'registry',
      { ...shared, FLYWHEEL_INSTANCE_ID: `${run}/registry`, FLYWHEEL_LOG_LEVEL: 'info' },
      { timeoutMs: 120_000 },
    );
    killOnFinish(registryService);
    const registry = createRpcClient(RegistryService, {
      address: registryService.address,
      defaultTimeoutMs: 20_000,
    });
    onTestFinished(() => registry.close());
    const { version } = await registry.registerVersion({
      requestId: crypto.randomUUID(),
      modelName: model,
      artifactSource: { case: 'artifactBytes', value: exportLogisticRegressionOnnx(v1Model) },
      format: ArtifactFormat.ONNX,
    });
    await registry.setAlias({ modelName: model, alias: 'champion', modelVersion: version!.version });

    const env: Record<string, string> = {
      ...shared,
      FLYWHEEL_STORE: 'mongo',
      FLYWHEEL_MONGO_URL: servers.mongoUrl,
      FLYWHEEL_MONGO_DATABASE: `${run}-serving`,
      FLYWHEEL_INSTANCE_ID: `${run}/serving`,
      FLYWHEEL_REGISTRY_GRPC_ADDRESS: registryService.address,
      FLYWHEEL_LOG_LEVEL: 'info',
    };
    const first = await spawnService('serving', env, { timeoutMs: 120_000 });
    killOnFinish(first);
    const serving = createRpcClient(ServingService, { address: first.address, defaultTimeoutMs: 20_000 });
    await serving.createDeployment({ deployment: championDeployment('weather', model) });
    serving.close();
    const firstInference = createRpcClient(GRPCInferenceService, {
      address: first.address,
      defaultTimeoutMs: 5000,
    });
    await waitFor(async () => (await firstInference.modelReady({ name: 'weather' })).ready, {
      timeoutMs: 60_000,
      what: 'the deployment live on the first process',
    });
    firstInference.close();

    const killedAt = Date.now();
    const gone = new Promise((resolve) => first.process.once('exit', resolve));
    first.process.kill('SIGKILL');
    await gone;
    const restartedAt = Date.now();
    const second = await spawnService('serving', env, { timeoutMs: 120_000, waitForConsumers: false });
    killOnFinish(second);
    const listeningMs = Date.now() - restartedAt;
    const inference = createRpcClient(GRPCInferenceService, {
      address: second.address,
      defaultTimeoutMs: 5000,
    });
    const health = createRpcClient(Health, { address: second.address, defaultTimeoutMs: 5000 });
    try {
      const answer = await waitFor(() => inference.modelInfer(contentsRequest('weather')), {
        timeoutMs: 120_000,
        intervalMs: 10,
        what: 'ModelInfer answered by the restarted process',
      });
      const answeredAt = Date.now();
      expect(answer.modelVersion).toBe(String(version!.version));
      expectProbabilities(answer.outputs[0]!.contents!.fp32Contents, v1Model);
      expect((await inference.modelReady({ name: 'weather' })).ready).toBe(true);
      console.log(
        `kill -9 → restart → ModelInfer: ${answeredAt - killedAt} ms ` +
          `(restart → listening ${listeningMs} ms, restart → ModelInfer ${answeredAt - restartedAt} ms)`,
      );
      // The restarted process's own view: its start to listening (wall and CPU), and the milestones.
      const listening = second.logs.find((line) => line.msg === 'serving');
      console.log(
        `restarted process: listening ${listening?.startupMs ?? '?'} ms after its start, ` +
          `${listening?.startupCpuMs ?? '?'} ms CPU; ` +
          second.logs
            .filter((line) => typeof line.time === 'string' && line.level !== 'debug')
            .map((line) => `${line.msg} +${Date.parse(line.time as string) - restartedAt} ms`)
            .join(', '),
      );

      // Nothing was skipped for it: every consumer group still joins, in the background.
      await second.consumersReady(120_000);
      for (const group of ['serving', 'serving-ground-truth', 'serving-deployments']) {
        const name = consumerHealthName(`${run}-${group}.${run}-serving`);
        expect((await health.check({ service: name })).status).toBe(SERVING);
      }
      expect((await inference.serverReady({})).ready).toBe(true);
    } finally {
      inference.close();
      health.close();
      expect(await second.stop(30_000)).toBe(0);
    }
  });
});
