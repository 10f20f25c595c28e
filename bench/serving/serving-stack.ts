import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsBlobs } from '@flywheel/blobs';
import { createMemoryBus } from '@flywheel/bus';
import { ArtifactFormat, RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import { loadRegistryConfig, wireRegistry } from '@flywheel/registry';
import { createRpcClient } from '@flywheel/rpc';
import { startInProcess } from '@flywheel/runtime/testing';
import { loadServingConfig, wireServing } from '@flywheel/serving';

/** A Flywheel registry and serving instance in this process (memory bus, fs blobs), as embedded mode runs them. */
export async function startServingStack() {
  const bus = createMemoryBus();
  const blobs = createFsBlobs({ dir: mkdtempSync(join(tmpdir(), 'flywheel-bench-blobs-')) });
  const registryService = await startInProcess('registry', {
    load: loadRegistryConfig,
    wire: wireRegistry,
    shared: { bus, blobs },
  });
  let httpAddress = '';
  const servingService = await startInProcess('serving', {
    load: loadServingConfig,
    wire: async (host, config) => {
      const wiring = await wireServing(host, config);
      httpAddress = wiring.httpAddress;
      return wiring;
    },
    shared: { bus, blobs },
    env: { FLYWHEEL_REGISTRY_GRPC_ADDRESS: registryService.address, FLYWHEEL_SERVING_MAX_IN_FLIGHT: '4096' },
  });
  const registry = createRpcClient(RegistryService, {
    address: registryService.address,
    defaultTimeoutMs: 30_000,
  });
  const serving = createRpcClient(ServingService, {
    address: servingService.address,
    defaultTimeoutMs: 60_000,
  });
  return {
    address: servingService.address,
    /** host:port of serving's OIP v2 REST server. */
    httpAddress,
    /** Registers `bytes` as version 1 of `name`, sets `champion`, deploys it as `deployment` with `runtime`. */
    async deploy(deployment: string, bytes: Uint8Array, runtime: Record<string, unknown>) {
      const name = `${deployment}-model`;
      const { version } = await registry.registerVersion({
        requestId: crypto.randomUUID(),
        modelName: name,
        artifactSource: { case: 'artifactBytes', value: bytes },
        format: ArtifactFormat.ONNX,
      });
      await registry.setAlias({ modelName: name, alias: 'champion', modelVersion: version!.version });
      await serving.createDeployment({
        deployment: {
          name: deployment,
          target: { modelName: name, selector: { case: 'alias', value: 'champion' } },
          runtime,
          // Logging is measured elsewhere; this measures the request path.
          predictionLogging: { sampleRate: 0 },
        },
      });
    },
    inferenceClient: () =>
      createRpcClient(GRPCInferenceService, { address: servingService.address, defaultTimeoutMs: 60_000 }),
    async stop() {
      registry.close();
      serving.close();
      await servingService.stop();
      await registryService.stop();
      await blobs.close();
    },
  };
}

/** The q-quantile (0–1) of sorted numbers. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function median(values: readonly number[]): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}
