import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findGeneratedDrift } from './generated-drift.ts';
import { generatedDir, repoRoot } from './paths.ts';
import { pythonGeneratedDir } from './python-stubs.ts';

/** A scratch copy of everything generation reads and writes. */
function copyContracts(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-contracts-'));
  for (const path of ['proto', 'buf.yaml', 'buf.gen.yaml', generatedDir, pythonGeneratedDir]) {
    cpSync(join(repoRoot, path), join(dir, path), { recursive: true });
  }
  return dir;
}

// Each case runs `buf generate` (protoc-gen-es over every .proto) once or twice: tens of seconds on a
// loaded 2-core machine, where one took over the default 60 s.
const generation = { timeout: 300_000 };

describe('the generated-code drift check', generation, () => {
  let dir: string;
  beforeEach(() => {
    dir = copyContracts();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('passes when the committed code is what buf generate makes', () => {
    expect(findGeneratedDrift(dir)).toEqual([]);
  });

  it('fails, naming the files, when a .proto changed and generation was not rerun', () => {
    const proto = join(dir, 'proto/flywheel/registry/v1/registry.proto');
    appendFileSync(proto, '\nmessage AddedWithoutRegenerating {\n  string note = 1;\n}\n');
    expect(findGeneratedDrift(dir)).toEqual([
      'flywheel/registry/v1/registry_pb.d.ts',
      'flywheel/registry/v1/registry_pb.js',
      `${pythonGeneratedDir}/flywheel/registry/v1/registry_pb2.py`,
      `${pythonGeneratedDir}/flywheel/registry/v1/registry_pb2.pyi`,
    ]);
    const cli = spawnSync(process.execPath, [join(repoRoot, 'scripts/proto/check-generated.ts'), dir], {
      encoding: 'utf8',
    });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain('out of date with proto/');
  });

  it('fails when generated code was edited by hand', () => {
    const generated = join(dir, generatedDir, 'flywheel/registry/v1/registry_pb.js');
    writeFileSync(generated, `${readFileSync(generated, 'utf8')}\n// hand edit\n`);
    expect(findGeneratedDrift(dir)).toEqual(['flywheel/registry/v1/registry_pb.js']);
  });

  it('fails when a generated Python stub was edited by hand', () => {
    const generated = join(dir, pythonGeneratedDir, 'flywheel/serving/v1/serving_pb2_grpc.py');
    writeFileSync(generated, `${readFileSync(generated, 'utf8')}\n# hand edit\n`);
    expect(findGeneratedDrift(dir)).toEqual([
      `${pythonGeneratedDir}/flywheel/serving/v1/serving_pb2_grpc.py`,
    ]);
  });
});

describe('buf breaking', generation, () => {
  it('rejects a wire-breaking change to a contract', () => {
    const dir = copyContracts();
    try {
      const proto = join(dir, 'proto/flywheel/registry/v1/registry.proto');
      const text = readFileSync(proto, 'utf8');
      // Renumber the first field of GetModelRequest: old clients would send the wrong tag.
      const changed = text.replace(/(message GetModelRequest \{\s*string model_name = )1\b/, '$142');
      expect(changed).not.toBe(text);
      writeFileSync(proto, changed);
      const result = spawnSync('buf', ['breaking', dir, '--against', repoRoot], { encoding: 'utf8' });
      expect(result.status).not.toBe(0);
      expect(result.stdout + result.stderr).toMatch(/GetModelRequest/);
      // Unchanged contracts pass.
      execFileSync('buf', ['breaking', repoRoot, '--against', repoRoot]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
