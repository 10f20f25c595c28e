import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { FailureKind, type StepSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { RunState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRayJobExecutor } from '../src/executors/ray-job-executor.ts';
import {
  type OrchestratorClient,
  type StepExtra,
  startOrchestrator,
  stepOf,
  submit,
  type TestOrchestrator,
  waitForFinal,
} from './orchestrator-harness.ts';

// Issue 16: a local command step names its Python requirements; the local executor builds a venv
// keyed by their hash once, runs `python` from it, and reuses it. PyPI is reachable from the test
// machine; six 1.16.0 is one small wheel.
const importSix = [
  'python',
  '-c',
  'import json, os, sys, six; json.dump({"six": six.__version__, "prefix": sys.prefix, "venv": os.environ["VIRTUAL_ENV"]}, open(os.environ["FLYWHEEL_OUTPUTS_FILE"], "w"))',
];

function sixStep(
  name: string,
  requirements = ['six==1.16.0'],
  extra: StepExtra = {},
): MessageInitShape<typeof StepSchema> {
  return {
    name,
    kind: { case: 'command', value: { command: importSix, python: { requirements } } },
    ...extra,
  };
}

async function systemLines(client: OrchestratorClient, runId: string, stepName: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const message of client.streamJobLogs({ runId, stepName })) {
    lines.push(...message.lines.map((l) => l.text).filter((t) => t.startsWith('python environment ')));
  }
  return lines;
}

describe('per-step Python environments on the local executor', () => {
  let orchestrator: TestOrchestrator;
  const venvDir = mkdtempSync(join(tmpdir(), 'flywheel-venvs-test-'));
  beforeAll(async () => {
    orchestrator = await startOrchestrator({ env: { FLYWHEEL_ORCHESTRATOR_VENV_DIR: venvDir } });
  });
  afterAll(async () => {
    await orchestrator.stop();
  });

  it('builds one venv for two concurrent steps with the same requirements, then reuses it', async () => {
    // Same set, spelled differently: the key normalises names and ignores order and repeats.
    const first = await submit(orchestrator.client, {
      steps: [sixStep('a'), sixStep('b', ['Six == 1.16.0 ', 'six==1.16.0'])],
    });
    // A venv with pip takes ~30 s on a loaded 2-core machine; three steps, two builds at most.
    const done = await waitForFinal(orchestrator.client, first.id, 300_000);
    expect(stepOf(done, 'a').failure?.message ?? '').toBe('');
    expect(done.state).toBe(RunState.SUCCEEDED);
    const a = stepOf(done, 'a').outputs as { six: string; prefix: string; venv: string };
    const b = stepOf(done, 'b').outputs as { six: string; prefix: string; venv: string };
    expect(a.six).toBe('1.16.0');
    expect(a.prefix).toBe(a.venv);
    expect(a.venv.startsWith(venvDir)).toBe(true);
    expect(b.venv).toBe(a.venv);
    const logs = [
      ...(await systemLines(orchestrator.client, first.id, 'a')),
      ...(await systemLines(orchestrator.client, first.id, 'b')),
    ];
    expect(logs.filter((l) => l.includes(': building with ')).length).toBe(1);
    expect(
      logs.filter((l) => l.includes('pip: ') && l.includes('six-1.16.0')),
      logs.join('\n'),
    ).not.toEqual([]);

    const second = await submit(orchestrator.client, { steps: [sixStep('again')] });
    const again = await waitForFinal(orchestrator.client, second.id, 120_000);
    expect(again.state).toBe(RunState.SUCCEEDED);
    expect((stepOf(again, 'again').outputs as { venv: string }).venv).toBe(a.venv);
    const againLogs = await systemLines(orchestrator.client, second.id, 'again');
    expect(againLogs.some((l) => l.endsWith(`reused (${a.venv})`))).toBe(true);
    expect(againLogs.some((l) => l.includes('building'))).toBe(false);
  }, 480_000);

  it("fails a step whose requirement pip cannot resolve with pip's message, without retrying", async () => {
    const run = await submit(orchestrator.client, {
      steps: [sixStep('bad', ['flywheel-no-such-project-zz9==0.0.1'], { retry: { maxAttempts: 3 } })],
    });
    const done = await waitForFinal(orchestrator.client, run.id, 300_000);
    expect(done.state).toBe(RunState.FAILED);
    const bad = stepOf(done, 'bad');
    expect(bad.attempts.length).toBe(1);
    expect(bad.failure?.kind).toBe(FailureKind.STEP_FAILED);
    expect(bad.failure?.message).toContain('building the Python environment failed: pip exited with code 1');
    expect(bad.failure?.message).toContain('No matching distribution found for flywheel-no-such-project-zz9');
  }, 320_000);

  it('refuses pip options as requirements, naming the field', async () => {
    const error = await submit(orchestrator.client, {
      steps: [sixStep('opts', ['--index-url=http://example.invalid/simple', 'six'])],
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'invalid_argument',
      field: 'inline_pipeline.spec.steps[0].command.python',
    });
    expect((error as Error).message).toContain('pip options and paths are refused');
  });
});

describe('executors that build no Python environments', () => {
  it('refuses command.python on a Ray step at submit, pointing at ray.pip', async () => {
    const orchestrator = await startOrchestrator({
      executors: [createRayJobExecutor({ address: 'http://127.0.0.1:9', pollMs: 250 })],
    });
    try {
      const step = sixStep('on-ray');
      if (step.kind?.case === 'command') step.kind.value.executor = 'ray';
      const error = await submit(orchestrator.client, { steps: [step] }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'invalid_argument',
        field: 'inline_pipeline.spec.steps[0].command.python',
      });
      expect((error as Error).message).toContain('the ray executor builds no Python environments');
      expect((error as Error).message).toContain('command.ray.pip');
    } finally {
      await orchestrator.stop();
    }
  });
});
