import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DescService } from '@bufbuild/protobuf';
import { featureStorePolicy } from '@flywheel/feature-store';
import { monitoringPolicy } from '@flywheel/monitoring';
import { orchestratorPolicy } from '@flywheel/orchestrator';
import { registryPolicy } from '@flywheel/registry';
import { schedulerPolicy } from '@flywheel/scheduler';
import { inferencePolicy, servingPolicy } from '@flywheel/serving';
import { repoRoot } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';

/** Every service the generated code describes, found by walking libs/proto/gen. */
async function generatedServices(): Promise<DescService[]> {
  const root = join(repoRoot, 'libs/proto/gen');
  const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('_pb.js'));
  const services: DescService[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(join(root, file)).href)) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      if ((value as DescService | undefined)?.kind === 'service') services.push(value as DescService);
    }
  }
  expect(files.length, `no generated files under ${relative(repoRoot, root)}`).toBeGreaterThan(0);
  return services;
}

// The tables the services' wirings pass to the kernel (the lookups are never called here). Health
// and reflection are the kernel's own: open, and any verified caller.
const stub = {} as never;
const kernel = { check: {}, list: {}, watch: {}, serverReflectionInfo: {} };
const tables: Record<string, object> = {
  'flywheel.registry.v1.RegistryService': registryPolicy(stub),
  'flywheel.serving.v1.ServingService': servingPolicy(stub),
  'inference.GRPCInferenceService': inferencePolicy(stub),
  'flywheel.featurestore.v1.FeatureStoreService': featureStorePolicy(stub),
  'flywheel.scheduler.v1.SchedulerService': schedulerPolicy(stub),
  'flywheel.orchestrator.v1.OrchestratorService': orchestratorPolicy(stub),
  'flywheel.monitoring.v1.MonitoringService': monitoringPolicy(stub),
  'grpc.health.v1.Health': kernel,
  'grpc.reflection.v1.ServerReflection': kernel,
  'grpc.reflection.v1alpha.ServerReflection': kernel,
};

describe('access policies', () => {
  it('cover every RPC of every generated service', async () => {
    const services = await generatedServices();
    const missing = services.flatMap((service) =>
      service.methods
        .filter((method) => !Object.hasOwn(tables[service.typeName] ?? {}, method.localName))
        .map((method) => `${service.typeName}/${method.name}`),
    );
    expect(missing).toEqual([]);
    // At least the six services, OIP, health and both reflections.
    expect(new Set(services.map((s) => s.typeName)).size).toBeGreaterThanOrEqual(10);
    expect(services.reduce((n, s) => n + s.methods.length, 0)).toBeGreaterThan(80);
  });
});
