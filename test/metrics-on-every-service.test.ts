import type { DescMethod } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { AppError } from '@flywheel/core';
import { loadFeatureStoreConfig, wireFeatureStore } from '@flywheel/feature-store';
import { loadMonitoringConfig, wireMonitoring } from '@flywheel/monitoring';
import { loadOrchestratorConfig, wireOrchestrator } from '@flywheel/orchestrator';
import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { MonitoringService } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { OrchestratorService } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { Health } from '@flywheel/proto/grpc/health/v1/health_pb.js';
import { loadRegistryConfig, wireRegistry } from '@flywheel/registry';
import { createRpcClient, grpcCodeName } from '@flywheel/rpc';
import type { HostConfig, InfraConfig, ServiceHost, ServiceName, ServiceWiring } from '@flywheel/runtime';
import { startInProcess } from '@flywheel/runtime/testing';
import { loadSchedulerConfig, wireScheduler } from '@flywheel/scheduler';
import { loadServingConfig, wireServing } from '@flywheel/serving';
import { sampleSum, scrapePrometheus } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';

type Config = { host: HostConfig; infra: InfraConfig };
interface Part {
  name: ServiceName;
  load(env: Record<string, string | undefined>): Config;
  wire(host: ServiceHost, config: Config): ServiceWiring | Promise<ServiceWiring>;
  api: GenService<GenServiceMethods>;
}
const part = <C extends Config>(p: {
  name: ServiceName;
  load(env: Record<string, string | undefined>): C;
  wire(host: ServiceHost, config: C): ServiceWiring | Promise<ServiceWiring>;
  api: GenService<GenServiceMethods>;
}) => p as unknown as Part;

const parts = [
  part({ name: 'scheduler', load: loadSchedulerConfig, wire: wireScheduler, api: SchedulerService }),
  part({
    name: 'orchestrator',
    load: loadOrchestratorConfig,
    wire: wireOrchestrator,
    api: OrchestratorService,
  }),
  part({ name: 'registry', load: loadRegistryConfig, wire: wireRegistry, api: RegistryService }),
  part({
    name: 'feature-store',
    load: loadFeatureStoreConfig,
    wire: wireFeatureStore,
    api: FeatureStoreService,
  }),
  part({ name: 'serving', load: loadServingConfig, wire: wireServing, api: ServingService }),
  part({ name: 'monitoring', load: loadMonitoringConfig, wire: wireMonitoring, api: MonitoringService }),
];

describe.each(parts)('the $name service', ({ name, load, wire, api }) => {
  it('serves its Prometheus registry on its own metrics address, with RED metrics of the gRPC calls it answered', async () => {
    const service = await startInProcess(name, { load, wire });
    try {
      expect(service.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const health = createRpcClient(Health, { address: service.address, defaultTimeoutMs: 10_000 });
      await health.check({ service: api.typeName });
      await health.check({ service: api.typeName });
      const missing = await health
        .check({ service: 'no.such.Service' })
        .catch((e: unknown) => AppError.from(e));
      health.close();
      // A call of the service's own API that its handler refuses (an empty request): whatever
      // status it answers, that is the grpc_code counted.
      const method = Object.values(api.method).find(
        (m) => (m as DescMethod).methodKind === 'unary',
      ) as DescMethod;
      const client = createRpcClient(api, {
        address: service.address,
        defaultTimeoutMs: 20_000,
      }) as unknown as Record<string, (request: object) => Promise<unknown>>;
      const answered = await client[method.localName]!({}).then(
        () => 0,
        (e: unknown) => AppError.from(e).status,
      );
      (client as unknown as { close(): void }).close();

      const samples = await scrapePrometheus(service.metricsUrl!);
      const check = {
        grpc_type: 'unary',
        grpc_service: 'grpc.health.v1.Health',
        grpc_method: 'Check',
        service: name,
      };
      expect(sampleSum(samples, 'grpc_server_started_total', check)).toBeGreaterThanOrEqual(3);
      expect(
        sampleSum(samples, 'grpc_server_handled_total', { ...check, grpc_code: 'OK' }),
      ).toBeGreaterThanOrEqual(2);
      expect(missing).toBeInstanceOf(AppError);
      expect(
        sampleSum(samples, 'grpc_server_handled_total', {
          ...check,
          grpc_code: grpcCodeName((missing as AppError).status),
        }),
      ).toBeGreaterThanOrEqual(1);
      expect(sampleSum(samples, 'grpc_server_handling_seconds_count', check)).toBeGreaterThanOrEqual(3);
      expect(
        sampleSum(samples, 'grpc_server_handling_seconds_bucket', { ...check, le: '+Inf' }),
      ).toBeGreaterThanOrEqual(3);
      const own = { grpc_type: 'unary', grpc_service: api.typeName, grpc_method: method.name, service: name };
      expect(
        sampleSum(samples, 'grpc_server_handled_total', { ...own, grpc_code: grpcCodeName(answered) }),
      ).toBe(1);
      // The default process metrics, labelled with the service too.
      expect(sampleSum(samples, 'process_cpu_user_seconds_total', { service: name })).toBeGreaterThan(0);
      expect(samples.every((s) => s.labels.service === name)).toBe(true);
    } finally {
      await service.stop();
    }
  });
});
