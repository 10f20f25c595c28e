import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { type SpawnedService, spawnService } from '@flywheel/runtime/testing';
import { repoRoot } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

interface Probe {
  health: Record<string, string>;
  services: string[];
  methods: string[];
  call?: { code: string; details?: string };
}

/** Runs the Python client (grpcio + grpcio-reflection, from PyPI) against `address`. */
async function probe(address: string, ...args: string[]): Promise<Probe> {
  const python = process.env.FLYWHEEL_PYTHON ?? 'python3';
  const { stdout } = await run(
    python,
    ['test/python/probe_service.py', address, RegistryService.typeName, ...args],
    {
      cwd: repoRoot,
    },
  );
  return JSON.parse(stdout) as Probe;
}

describe('a Python grpcio client', () => {
  let registry: SpawnedService;
  beforeAll(async () => {
    registry = await spawnService('registry');
  });
  afterAll(async () => {
    await registry.stop();
  });

  it('checks health and discovers the API through reflection', async () => {
    const result = await probe(registry.address);
    expect(result.health).toEqual({ '<server>': 'SERVING', [RegistryService.typeName]: 'SERVING' });
    expect(result.services).toEqual(
      expect.arrayContaining([
        RegistryService.typeName,
        'grpc.health.v1.Health',
        'grpc.reflection.v1.ServerReflection',
        'grpc.reflection.v1alpha.ServerReflection',
      ]),
    );
    expect(result.methods).toEqual(
      expect.arrayContaining(['RegisterVersion', 'ResolveModelUri', 'DownloadArtifact']),
    );
  });

  it('gets INVALID_ARGUMENT naming the field for a malformed request built from reflection alone', async () => {
    const result = await probe(
      registry.address,
      'RegisterVersion',
      JSON.stringify({ requestId: 'r-1', modelName: 'Bad Name!', artifactBytes: 'AAEC' }),
    );
    expect(result.call?.code).toBe('INVALID_ARGUMENT');
    expect(result.call?.details).toMatch(/^model_name: must match/);
    const missing = await probe(registry.address, 'GetModel', '{}');
    expect(missing.call).toEqual({ code: 'INVALID_ARGUMENT', details: 'model_name: is required' });
  });
});
