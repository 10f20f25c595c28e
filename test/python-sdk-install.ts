// Installs the Python SDK (clients/python) into the test venv for the tests that drive it.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '@flywheel/testing';

const run = promisify(execFile);
const python = process.env.FLYWHEEL_PYTHON ?? 'python3';
const sdkDir = join(repoRoot, 'clients/python');

/** A digest of the SDK's sources, so an unchanged SDK is not reinstalled. */
function sdkDigest(): string {
  const hash = createHash('sha256');
  const files = readdirSync(sdkDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(sdkDir, join(e.parentPath, e.name)))
    .filter((f) => !/(^build\/|\.egg-info\/|__pycache__\/)/.test(f))
    .sort();
  for (const file of files) hash.update(file).update(readFileSync(join(sdkDir, file)));
  return hash.digest('hex').slice(0, 16);
}

/** `pip install clients/python` into the test venv, once per version of the SDK's sources. */
export async function installSdk(): Promise<void> {
  const stamp = join(dirname(dirname(python)), `.flywheel-sdk-${sdkDigest()}`);
  if (existsSync(stamp)) return;
  // Its dependencies (grpcio, protobuf, numpy, pandas, PyYAML, skl2onnx) are the venv's pinned ones.
  await run(
    python,
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-deps',
      '--no-build-isolation',
      sdkDir,
    ],
    {
      timeout: 240_000,
    },
  );
  writeFileSync(stamp, '');
}
