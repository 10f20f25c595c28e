import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Platform } from '@flywheel/platform';
import { repoRoot } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceNames, startEmbeddedPlatform } from '../cli/test/embedded-platform.ts';
import { exampleReadmes, readmeExamples } from './readme-examples.ts';

const run = promisify(execFile);
const python = process.env.FLYWHEEL_PYTHON ?? 'python3';

/** Lines each example's answers must hold (grpcurl prints every response as indented proto JSON). */
const expectedOutput: Record<string, RegExp[]> = {
  'register a model version and alias it champion (grpcurl)': [
    /"created": true/,
    /"alias": "champion",\n\s+"modelVersion": "1"/,
    /"aliases": \[\n\s+"champion"\n\s+\]/,
  ],
  'deploy a model, wait until it serves and infer (grpcurl)': [
    /"modelName": "rain",\n\s+"modelVersion": "1"/,
    /"int64Contents": \[\n\s+"1",\n\s+"0"\n\s+\]/,
  ],
  'canary a new version, promote it, roll back (grpcurl)': [
    /"state": "ROLLOUT_STATE_PROGRESSING"/,
    /"modelVersion": "2",\n\s+"role": "ROUTE_ROLE_CANARY",\n\s+"percent": 10/,
    /"stableVersion": "1",\n\s+"routes": \[\n\s+\{\n\s+"modelVersion": "1",\n\s+"role": "ROUTE_ROLE_STABLE",\n\s+"percent": 100/,
    // PromoteRollout's answer: v2 stable, the rollout succeeded.
    /"stableVersion": "2"[\s\S]*"state": "ROLLOUT_STATE_SUCCEEDED"/,
  ],
  'define a feature view, ingest, read online, build a training set (grpcurl)': [
    /"rowsWritten": "2"/,
    /"doubleValue": 17\n[\s\S]*"FEATURE_STATUS_PRESENT"/,
    /"id": "ts_\w+"[\s\S]*"rowCount": "1"/,
  ],
  'store a pipeline, schedule it, trigger it on drift, run it now (grpcurl)': [/"runId": "run_[\w-]+"/],
  'submit a run and watch its steps (grpcurl)': [
    /"state": "RUN_STATE_SUCCEEDED",\n\s+"name": "prepare",\n\s+"state": "STEP_STATE_SUCCEEDED",\n\s+"name": "train",\n\s+"state": "STEP_STATE_SUCCEEDED"/,
  ],
  "monitor a model's inputs and read the drift report (grpcurl)": [
    /"feature": "temp_max"[\s\S]*"kind": "DRIFT_TEST_KIND_PSI"[\s\S]*"drifted": true/,
    /"feature": "wind"/,
    /"driftedShare": 1/,
  ],
};

/** grpcurl from $FLYWHEEL_GRPCURL (./flywheel test), else built once by scripts/grpcurl/install.sh. */
async function grpcurl(): Promise<string> {
  if (process.env.FLYWHEEL_GRPCURL) return process.env.FLYWHEEL_GRPCURL;
  const { stdout } = await run(join(repoRoot, 'scripts/grpcurl/install.sh'), [], { timeout: 900_000 });
  return stdout.trim();
}

describe('the grpcurl examples of the service READMEs, run as written against the embedded platform', () => {
  let platform: Platform;
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-readme-grpcurl-'));
  const work = join(dir, 'work');
  let env: Record<string, string>;

  beforeAll(async () => {
    mkdirSync(join(dir, 'bin'), { recursive: true });
    mkdirSync(work);
    symlinkSync(await grpcurl(), join(dir, 'bin', 'grpcurl'));
    // The examples run "from the repository root": proto/ beside them, and the model the
    // registry's Python example exports.
    symlinkSync(join(repoRoot, 'proto'), join(work, 'proto'));
    const [exporter] = readmeExamples('services/registry/README.md', 'python');
    writeFileSync(join(work, 'export.py'), exporter?.code ?? '');
    await run(python, ['export.py'], { cwd: work, timeout: 180_000 });
    platform = await startEmbeddedPlatform(join(dir, 'platform'));
    env = {
      ...(process.env as Record<string, string>),
      PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}`,
      ...Object.fromEntries(
        serviceNames.map((s) => [
          `FLYWHEEL_${s.toUpperCase().replace('-', '_')}_GRPC_ADDRESS`,
          platform.address(s),
        ]),
      ),
    };
  }, 1_200_000);
  afterAll(async () => {
    await platform?.stop();
  });

  const examples = exampleReadmes.flatMap((readme) => readmeExamples(readme, 'sh'));

  it('finds a grpcurl example for every main task, each with its expected answers', () => {
    expect(examples.map((e) => e.title).sort()).toEqual(Object.keys(expectedOutput).sort());
  });

  // One after the other: later examples use what earlier ones made (the model, the deployment…).
  it.each(examples.map((e) => [`${e.readme}: ${e.title}`, e] as const))(
    '%s',
    async (_name, example) => {
      const result = await run('bash', ['-e', '-c', example.code], {
        cwd: work,
        env,
        timeout: 240_000,
      }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`${example.title} failed: ${error.stderr ?? error.message}\n${error.stdout ?? ''}`);
      });
      for (const line of expectedOutput[example.title] ?? [/^never$/]) expect(result.stdout).toMatch(line);
    },
    300_000,
  );
});
