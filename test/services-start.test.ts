import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { MonitoringService } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { OrchestratorService } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { Health, HealthCheckResponse_ServingStatus } from '@flywheel/proto/grpc/health/v1/health_pb.js';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { spawnService } from '@flywheel/runtime/testing';
import { sampleSum, scrapePrometheus } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

const services = [
  { name: 'scheduler', apis: [SchedulerService] },
  { name: 'orchestrator', apis: [OrchestratorService] },
  { name: 'registry', apis: [RegistryService] },
  { name: 'feature-store', apis: [FeatureStoreService] },
  { name: 'serving', apis: [ServingService, GRPCInferenceService] },
  { name: 'monitoring', apis: [MonitoringService] },
];

describe.each(services)('the $name service process', ({ name, apis }) => {
  it('serves health and its API, and stops cleanly on SIGTERM', async () => {
    const service = await spawnService(name);
    try {
      const health = createRpcClient(Health, { address: service.address, defaultTimeoutMs: 5000 });
      for (const api of apis) {
        expect((await health.check({ service: api.typeName })).status).toBe(
          HealthCheckResponse_ServingStatus.SERVING,
        );
      }
      health.close();
      // Its own Prometheus endpoint counted those calls (the address is in its `serving` log line).
      const samples = await scrapePrometheus(service.metricsUrl!);
      expect(
        sampleSum(samples, 'grpc_server_handled_total', {
          grpc_service: 'grpc.health.v1.Health',
          grpc_method: 'Check',
          grpc_code: 'OK',
          service: name,
        }),
      ).toBe(apis.length);
      // Every RPC of the API answers, and the ones not built yet say so with UNIMPLEMENTED.
      const python = process.env.FLYWHEEL_PYTHON ?? 'python3';
      const { stdout } = await run(
        python,
        ['test/python/probe_service.py', service.address, apis[0]!.typeName],
        {
          cwd: new URL('..', import.meta.url).pathname,
        },
      );
      const probe = JSON.parse(stdout) as { services: string[]; methods: string[] };
      for (const api of apis) expect(probe.services).toContain(api.typeName);
      expect(probe.methods).toEqual(apis[0]!.methods.map((m) => m.name));
    } finally {
      expect(await service.stop()).toBe(0);
    }
    expect(service.logs.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['serving', 'signal received', 'stopped']),
    );
  });
});
