import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Platform } from '@flywheel/platform';
import { repoRoot } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceNames, startEmbeddedPlatform } from '../cli/test/embedded-platform.ts';
import { exampleReadmes, readmeExamples } from './readme-examples.ts';

const run = promisify(execFile);
// The test venv (test/python/requirements.txt: grpcio, grpcio-tools, tritonclient, scikit-learn…).
const python = process.env.FLYWHEEL_PYTHON ?? 'python3';

/** What each example must print: a block that runs but says something else is not true either. */
const expectedOutput: Record<string, RegExp> = {
  'export a scikit-learn model to ONNX': /^$/,
  'register a model version and alias it champion': /^rain v1 is champion\n$/,
  'deploy a model and wait until it serves': /^rain serves v1\n$/,
  'infer with tritonclient': /^rain tomorrow: \[1, 0\]\n$/,
  'infer with grpcio alone': /^served by rain v1: \[1, 0\]\n$/,
  'canary a new version, promote it, roll back':
    /^ROLLOUT_STATE_PROGRESSING \[\(1, 90\.0\), \(2, 10\.0\)\]\nROLLOUT_STATE_SUCCEEDED v2 stable\nrain serves v1\n$/,
  'define a feature view, ingest, read online, build a training set':
    /^online temp_max: 17\.0 FEATURE_STATUS_PRESENT\ntraining set ts_\w+: 1 rows, columns \['station', 'event_time', 'rained', 'station_daily:temp_max'\]\n$/,
  'store a pipeline, schedule it, trigger it on drift, run it now': /^run run_[\w-]+\n$/,
  'submit a run and watch its steps':
    // Updates until the end (how many depends on how fast the steps run), the last one SUCCEEDED.
    /^(RUN_STATE_(QUEUED|RUNNING) .*\n)*RUN_STATE_SUCCEEDED prepare STEP_STATE_SUCCEEDED, train STEP_STATE_SUCCEEDED\n$/,
  "monitor a model's inputs and read the drift report":
    // 60 days past the reference's top bin: the window's 50 all fall in the last one.
    /^(temp_max|wind): DRIFT \(DRIFT_TEST_KIND_PSI \d+\.\d{3}\)\n {2}window \[0, 0, 0, 0, 0, 0, 0, 0, 0, 50\] on edges \[[-\d., ]+\]\n(temp_max|wind): DRIFT \(DRIFT_TEST_KIND_PSI \d+\.\d{3}\)\n {2}window \[0, 0, 0, 0, 0, 0, 0, 0, 0, 50\] on edges \[[-\d., ]+\]\n100% of features drifted\n$/,
};

describe('the Python examples of the service READMEs, run as written against the embedded platform', () => {
  let platform: Platform;
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-readme-python-'));
  const work = join(dir, 'work');
  const stubs = join(dir, 'py');
  let env: Record<string, string>;

  beforeAll(async () => {
    mkdirSync(work);
    mkdirSync(stubs);
    // The stubs exactly as services/README.md tells a Python user to make them.
    const protos = (
      await run('find', ['proto/flywheel', 'proto/inference', '-name', '*.proto'], { cwd: repoRoot })
    ).stdout
      .trim()
      .split('\n');
    await run(
      python,
      [
        '-m',
        'grpc_tools.protoc',
        '-I',
        'proto',
        `--python_out=${stubs}`,
        `--grpc_python_out=${stubs}`,
        ...protos,
      ],
      { cwd: repoRoot },
    );
    platform = await startEmbeddedPlatform(join(dir, 'platform'));
    env = {
      ...(process.env as Record<string, string>),
      PYTHONPATH: stubs,
      ...Object.fromEntries(
        serviceNames.map((s) => [
          `FLYWHEEL_${s.toUpperCase().replace('-', '_')}_GRPC_ADDRESS`,
          platform.address(s),
        ]),
      ),
    };
  }, 240_000);
  afterAll(async () => {
    await platform?.stop();
  });

  const examples = exampleReadmes.flatMap((readme) => readmeExamples(readme, 'python'));

  it('finds an example for every main task, each with its expected output', () => {
    expect(examples.map((e) => e.title).sort()).toEqual(Object.keys(expectedOutput).sort());
  });

  // One after the other: later examples use what earlier ones made (model.onnx, the deployment…).
  it.each(examples.map((e) => [`${e.readme}: ${e.title}`, e] as const))(
    '%s',
    async (_name, example) => {
      const file = join(work, `${example.title.replace(/\W+/g, '-')}.py`);
      writeFileSync(file, example.code);
      const result = await run(python, [file], { cwd: work, env, timeout: 240_000 }).catch(
        (error: { stdout?: string; stderr?: string; message: string }) => {
          throw new Error(`${example.title} failed: ${error.stderr ?? error.message}`);
        },
      );
      expect(result.stdout).toMatch(expectedOutput[example.title] ?? /^never$/);
    },
    300_000,
  );
});
