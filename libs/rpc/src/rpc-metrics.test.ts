import { AppError } from '@flywheel/core';
import { createMetricsRegistry } from '@flywheel/metrics';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { Health } from '@flywheel/proto/grpc/health/v1/health_pb.js';
import { parsePrometheusText, sampleSum } from '@flywheel/testing';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { createRpcClient, createRpcServer, grpcCodeName } from './index.ts';

describe('RPC metrics of the kernel', () => {
  it("names every gRPC status as Go's codes.Code does", () => {
    expect([0, 1, 3, 4, 5, 7, 8, 9, 12, 13, 14, 16].map(grpcCodeName)).toEqual([
      'OK',
      'Canceled',
      'InvalidArgument',
      'DeadlineExceeded',
      'NotFound',
      'PermissionDenied',
      'ResourceExhausted',
      'FailedPrecondition',
      'Unimplemented',
      'Internal',
      'Unavailable',
      'Unauthenticated',
    ]);
    expect(grpcCodeName(grpc.status.DATA_LOSS)).toBe('DataLoss');
  });

  it('counts started and handled calls per method and code, and times them, under go-grpc-prometheus names', async () => {
    const registry = createMetricsRegistry('registry', { processMetrics: false });
    const server = createRpcServer({ metrics: registry });
    server.add(RegistryService, {
      getModel: async (request) => {
        if (request.modelName === 'missing') throw new AppError('not_found', 'no such model');
        return { model: { name: request.modelName } };
      },
      uploadArtifact: async (requests) => {
        for await (const _ of requests) throw AppError.invalidArgument('chunk', 'refused');
        return {};
      },
    });
    const port = await server.listen('127.0.0.1:0');
    const client = createRpcClient(RegistryService, { address: `127.0.0.1:${port}` });
    try {
      await client.getModel({ modelName: 'churn' });
      await client.getModel({ modelName: 'churn' });
      await expect(client.getModel({ modelName: 'missing' })).rejects.toMatchObject({ code: 'not_found' });
      await expect(client.listModels({})).rejects.toMatchObject({ code: 'unimplemented' });
      async function* chunks() {
        yield { chunk: new Uint8Array([1]) };
      }
      await expect(client.uploadArtifact(chunks())).rejects.toMatchObject({ code: 'invalid_argument' });
      const health = createRpcClient(Health, { address: `127.0.0.1:${port}` });
      await health.check({});
      health.close();

      const samples = parsePrometheusText(await registry.metrics());
      const getModel = {
        grpc_type: 'unary',
        grpc_service: 'flywheel.registry.v1.RegistryService',
        grpc_method: 'GetModel',
        service: 'registry',
      };
      expect(sampleSum(samples, 'grpc_server_started_total', getModel)).toBe(3);
      expect(sampleSum(samples, 'grpc_server_handled_total', { ...getModel, grpc_code: 'OK' })).toBe(2);
      expect(sampleSum(samples, 'grpc_server_handled_total', { ...getModel, grpc_code: 'NotFound' })).toBe(1);
      expect(sampleSum(samples, 'grpc_server_handling_seconds_count', getModel)).toBe(3);
      expect(sampleSum(samples, 'grpc_server_handling_seconds_bucket', { ...getModel, le: '+Inf' })).toBe(3);
      expect(sampleSum(samples, 'grpc_server_handling_seconds_sum', getModel)).toBeGreaterThan(0);
      expect(
        sampleSum(samples, 'grpc_server_handled_total', {
          grpc_method: 'ListModels',
          grpc_code: 'Unimplemented',
        }),
      ).toBe(1);
      expect(
        sampleSum(samples, 'grpc_server_handled_total', {
          grpc_type: 'client_stream',
          grpc_method: 'UploadArtifact',
          grpc_code: 'InvalidArgument',
        }),
      ).toBe(1);
      expect(
        sampleSum(samples, 'grpc_server_handled_total', {
          grpc_service: 'grpc.health.v1.Health',
          grpc_method: 'Check',
          grpc_code: 'OK',
        }),
      ).toBe(1);
    } finally {
      client.close();
      await server.close();
    }
  });
});
