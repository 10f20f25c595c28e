import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRpcClient, createRpcServer, type RpcServer } from './index.ts';

/** Type names of the messages encoded in this process, in order. */
const encoded: string[] = vi.hoisted(() => []);
vi.mock('@bufbuild/protobuf', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@bufbuild/protobuf')>();
  return {
    ...actual,
    toBinary: ((schema, message, options) => {
      encoded.push(schema.typeName);
      return actual.toBinary(schema, message, options);
    }) as typeof actual.toBinary,
  };
});

const limit = 2048;
const text = (bytes: number) => 'x'.repeat(bytes);

describe('answers over the send limit', () => {
  let server: RpcServer;
  let address: string;

  beforeAll(async () => {
    server = createRpcServer({
      maxSendMessageBytes: limit,
      maxSendMessageSetting: 'FLYWHEEL_MAX_MESSAGE_BYTES',
    });
    server.add(
      RegistryService,
      {
        // The model name asks for a description of that many bytes.
        getModel: (request) => ({ model: { name: 'm', description: text(Number(request.modelName)) } }),
        async *downloadArtifact(request) {
          // Chunks of `offset` bytes: two that fit, then one over the limit when offset > limit.
          yield { offset: 0n, chunk: new Uint8Array(10) };
          yield { offset: 10n, chunk: new Uint8Array(Number(request.offset)) };
        },
      },
      undefined,
      { answerSizeHints: { getModel: { field: 'model_name', instead: 'ask for a shorter model' } } },
    );
    address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
  });
  afterAll(async () => {
    await server.close({ graceMs: 1000 });
  });

  it('refuses a unary answer over the limit naming the RPC, the limit, its setting and the hint', async () => {
    const registry = createRpcClient(RegistryService, { address });
    await expect(registry.getModel({ modelName: String(limit) })).rejects.toMatchObject({
      code: 'resource_exhausted',
      retriable: false,
      field: 'model_name',
      message: expect.stringMatching(
        new RegExp(
          `^flywheel\\.registry\\.v1\\.RegistryService/GetModel: model_name: the answer would be \\d+ bytes, over the ${limit}-byte message limit \\(FLYWHEEL_MAX_MESSAGE_BYTES\\); ask for a shorter model$`,
        ),
      ),
    });
    expect((await registry.getModel({ modelName: String(limit - 100) })).model?.description).toHaveLength(
      limit - 100,
    );
    registry.close();
  });

  it('refuses an over-limit stream message of any method, without a hint, after the ones that fit', async () => {
    const registry = createRpcClient(RegistryService, { address });
    const offsets: bigint[] = [];
    const read = async (size: number) => {
      for await (const message of registry.downloadArtifact({
        modelName: 'm',
        modelVersion: 1n,
        offset: BigInt(size),
      }))
        offsets.push(message.offset);
    };
    await expect(read(limit + 1)).rejects.toMatchObject({
      code: 'resource_exhausted',
      field: undefined,
      message: expect.stringMatching(
        new RegExp(
          `RegistryService/DownloadArtifact: the answer would be \\d+ bytes, over the ${limit}-byte message limit .*; ask for less per call$`,
        ),
      ),
    });
    expect(offsets).toEqual([0n]);
    offsets.length = 0;
    await read(100);
    expect(offsets).toEqual([0n, 10n]);
    registry.close();
  });

  it('encodes each answer once: grpc-js sends the bytes that were checked', async () => {
    const registry = createRpcClient(RegistryService, { address });
    encoded.length = 0;
    await registry.getModel({ modelName: '10' });
    await registry.getModel({ modelName: '20' });
    registry.close();
    const answers = encoded.filter((name) => name.endsWith('Response'));
    expect(answers).toEqual([
      'flywheel.registry.v1.GetModelResponse',
      'flywheel.registry.v1.GetModelResponse',
    ]);
  });
});
