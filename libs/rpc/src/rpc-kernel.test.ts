import { create, toBinary } from '@bufbuild/protobuf';
import { AppError, delay } from '@flywheel/core';
import {
  ArtifactFormat,
  GetModelRequestSchema,
  RegistryService,
} from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { Health, HealthCheckResponse_ServingStatus } from '@flywheel/proto/grpc/health/v1/health_pb.js';
import { ServerReflection } from '@flywheel/proto/grpc/reflection/v1/reflection_pb.js';
import * as grpc from '@grpc/grpc-js';
import { context, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRpcClient, createRpcServer, type RpcServer } from './index.ts';

const spans = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
provider.register({ propagator: new W3CTraceContextPropagator() });

/** A raw grpc-js call with bytes in and out: what a careless or hostile client can send. */
function rawCall(address: string, path: string, body: Buffer, deadline?: Date) {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise<{ code: number; details: string; elapsedMs: number }>((resolve) => {
    const started = Date.now();
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      new grpc.Metadata(),
      deadline ? { deadline } : {},
      (error) => {
        client.close();
        resolve({ code: error?.code ?? 0, details: error?.details ?? '', elapsedMs: Date.now() - started });
      },
    );
  });
}

describe('rpc kernel', () => {
  let server: RpcServer;
  let address: string;
  let slowDeadline = 0;
  /** Called when a `slow` call reaches its handler: the signal that it is in flight. */
  let onSlowCall: (() => void) | undefined;
  const modelName = 'churn';

  beforeAll(async () => {
    server = createRpcServer({ maxReceiveMessageBytes: 64 * 1024, defaultDeadlineMs: 300 });
    server.add(RegistryService, {
      getModel: async (request, ctx) => {
        if (request.modelName === 'slow') {
          slowDeadline = ctx.deadline - Date.now();
          onSlowCall?.();
          await delay(60_000, ctx.signal);
        }
        if (request.modelName === 'missing')
          throw new AppError('not_found', 'model "missing" does not exist');
        if (request.modelName === 'boom') throw new Error('disk on fire');
        return { model: { name: request.modelName } };
      },
    });
    address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
  });
  afterAll(async () => {
    await server.close({ graceMs: 1000 });
  });

  it('answers a typed call', async () => {
    const registry = createRpcClient(RegistryService, { address });
    const response = await registry.getModel({ modelName });
    expect(response.model?.name).toBe(modelName);
    registry.close();
  });

  it('reports health per service and for the server', async () => {
    const health = createRpcClient(Health, { address });
    expect((await health.check({ service: '' })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await health.check({ service: RegistryService.typeName })).status).toBe(
      HealthCheckResponse_ServingStatus.SERVING,
    );
    await expect(health.check({ service: 'no.such.Service' })).rejects.toMatchObject({ code: 'not_found' });
    const listed = await health.list({});
    expect(Object.keys(listed.statuses)).toContain(RegistryService.typeName);
    health.close();
  });

  it('lists services and serves descriptors with their dependencies through reflection', async () => {
    const reflection = createRpcClient(ServerReflection, { address });
    async function* ask() {
      yield { messageRequest: { case: 'listServices' as const, value: '' } };
      yield {
        messageRequest: {
          case: 'fileContainingSymbol' as const,
          value: `${RegistryService.typeName}.GetModel`,
        },
      };
      yield { messageRequest: { case: 'fileByFilename' as const, value: 'no/such.proto' } };
    }
    const answers = [];
    for await (const answer of reflection.serverReflectionInfo(ask())) answers.push(answer.messageResponse);
    reflection.close();
    const [list, files, missing] = answers;
    expect(list?.case).toBe('listServicesResponse');
    const names = list?.case === 'listServicesResponse' ? list.value.service.map((s) => s.name) : [];
    expect(names).toEqual(
      expect.arrayContaining([
        RegistryService.typeName,
        'grpc.health.v1.Health',
        'grpc.reflection.v1.ServerReflection',
        'grpc.reflection.v1alpha.ServerReflection',
      ]),
    );
    expect(files?.case).toBe('fileDescriptorResponse');
    const count = files?.case === 'fileDescriptorResponse' ? files.value.fileDescriptorProto.length : 0;
    expect(count).toBeGreaterThan(1); // the registry file and what it imports
    expect(missing).toMatchObject({ case: 'errorResponse', value: { errorCode: grpc.status.NOT_FOUND } });
  });

  it('answers UNIMPLEMENTED, saying so, for a method not built yet', async () => {
    const registry = createRpcClient(RegistryService, { address });
    await expect(registry.listModels({})).rejects.toMatchObject({
      code: 'unimplemented',
      message: expect.stringContaining('RegistryService/ListModels is not implemented yet'),
    });
    registry.close();
  });

  it('keeps the code, message and field of an AppError across the wire', async () => {
    const registry = createRpcClient(RegistryService, { address });
    await expect(registry.getModel({ modelName: 'missing' })).rejects.toMatchObject({
      code: 'not_found',
      message: 'model "missing" does not exist',
      retriable: false,
    });
    await expect(registry.getModel({ modelName: 'boom' })).rejects.toMatchObject({ code: 'internal' });
    registry.close();
  });

  it('enforces the field rules declared in the .proto, naming the field path', async () => {
    const registry = createRpcClient(RegistryService, { address });
    await expect(registry.getModel({})).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'model_name',
      message: 'model_name: is required',
    });
    await expect(
      registry.registerVersion({
        requestId: 'r-1',
        modelName: 'churn',
        format: ArtifactFormat.ONNX,
        artifactSource: { case: 'artifactSha256', value: 'not-a-digest' },
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'artifact_sha256' });
    await expect(
      registry.registerVersion({
        requestId: 'r-1',
        modelName: 'churn',
        format: ArtifactFormat.ONNX,
        lineage: { parentVersions: [{ modelName: 'churn' }] },
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'lineage.parent_versions[0].model_version' });
    registry.close();
  });

  it('refuses a request that does not decode with INVALID_ARGUMENT, not INTERNAL', async () => {
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]); // field 1, length far past the end
    const result = await rawCall(
      address,
      `/${RegistryService.typeName}/GetModel`,
      garbage,
      new Date(Date.now() + 5000),
    );
    expect(result.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(result.details).toContain('flywheel.registry.v1.GetModelRequest');
  });

  it('refuses an over-size message with RESOURCE_EXHAUSTED', async () => {
    const big = toBinary(
      GetModelRequestSchema,
      create(GetModelRequestSchema, { modelName: 'x'.repeat(100 * 1024) }),
    );
    const result = await rawCall(
      address,
      `/${RegistryService.typeName}/GetModel`,
      Buffer.from(big),
      new Date(Date.now() + 5000),
    );
    expect(result.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it("gives a call without a deadline the server's default one", async () => {
    const body = Buffer.from(
      toBinary(GetModelRequestSchema, create(GetModelRequestSchema, { modelName: 'slow' })),
    );
    const result = await rawCall(address, `/${RegistryService.typeName}/GetModel`, body);
    expect(result.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(slowDeadline).toBeGreaterThan(0);
    expect(slowDeadline).toBeLessThanOrEqual(300);
    expect(result.elapsedMs).toBeLessThan(5000);
  });

  it("honours the client's deadline and reports deadline_exceeded", async () => {
    const registry = createRpcClient(RegistryService, { address });
    await expect(registry.getModel({ modelName: 'slow' }, { timeoutMs: 100 })).rejects.toMatchObject({
      code: 'deadline_exceeded',
    });
    registry.close();
  });

  it('cancels the call when the caller aborts', async () => {
    const registry = createRpcClient(RegistryService, { address });
    const controller = new AbortController();
    const inFlight = new Promise<void>((resolve) => {
      onSlowCall = resolve;
    });
    const call = registry.getModel({ modelName: 'slow' }, { signal: controller.signal, timeoutMs: 10_000 });
    await inFlight;
    onSlowCall = undefined;
    controller.abort(new AppError('cancelled', 'caller gave up'));
    await expect(call).rejects.toMatchObject({ code: 'cancelled', message: 'caller gave up' });
    registry.close();
  });

  it('continues the caller trace on the server (traceparent in metadata)', async () => {
    spans.reset();
    const registry = createRpcClient(RegistryService, { address });
    const parent = trace.getTracer('test').startSpan('test-root');
    await context.with(trace.setSpan(context.active(), parent), () => registry.getModel({ modelName }));
    parent.end();
    registry.close();
    const finished = spans.getFinishedSpans();
    const inTrace = finished.filter((s) => s.spanContext().traceId === parent.spanContext().traceId);
    const clientSpan = inTrace.find((s) => s.name === `${RegistryService.typeName}/GetModel` && s.kind === 2);
    const serverSpan = inTrace.find((s) => s.name === `${RegistryService.typeName}/GetModel` && s.kind === 1);
    expect(clientSpan?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(serverSpan?.parentSpanContext?.spanId).toBe(clientSpan?.spanContext().spanId);
  });

  it('lets a call in flight finish during a graceful close, then refuses new ones', async () => {
    const own = createRpcServer();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    own.add(RegistryService, {
      getModel: async (request) => {
        entered();
        await gate;
        return { model: { name: request.modelName } };
      },
    });
    const ownAddress = `127.0.0.1:${await own.listen('127.0.0.1:0')}`;
    const registry = createRpcClient(RegistryService, { address: ownAddress });
    const inFlight = registry.getModel({ modelName: 'late' });
    await inHandler;
    const closing = own.close({ graceMs: 5000 });
    release();
    await expect(inFlight).resolves.toMatchObject({ model: { name: 'late' } });
    await closing;
    await expect(registry.getModel({ modelName: 'after' }, { timeoutMs: 1000 })).rejects.toBeInstanceOf(
      AppError,
    );
    registry.close();
  });
});
