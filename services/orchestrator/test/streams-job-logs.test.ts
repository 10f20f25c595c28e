import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type LogLine,
  LogStream,
  RunState,
} from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  nodeStep,
  startOrchestrator,
  stepOf,
  submit,
  type TestOrchestrator,
  waitForFinal,
} from './orchestrator-harness.ts';

const chatty =
  "for (let i = 1; i <= 3; i++) console.log('epoch ' + i + ' loss ' + (1 / i).toFixed(3));" +
  "console.error('warning: 2 rows without label');" +
  "process.stdout.write('no trailing newline');";

// Prints, waits for the file named in its parameters, prints again.
const waitsForFile =
  "const fs = require('node:fs');" +
  "const { gate } = JSON.parse(fs.readFileSync(process.env.FLYWHEEL_PARAMETERS_FILE, 'utf8'));" +
  "console.log('waiting for the gate');" +
  "const timer = setInterval(() => { if (fs.existsSync(gate)) { clearInterval(timer); console.log('gate opened'); } }, 20);";

describe('StreamJobLogs', () => {
  let orchestrator: TestOrchestrator;
  beforeAll(async () => {
    orchestrator = await startOrchestrator();
  });
  afterAll(async () => {
    await orchestrator.stop();
  });

  async function collect(
    request: Parameters<typeof orchestrator.client.streamJobLogs>[0],
  ): Promise<LogLine[]> {
    const lines: LogLine[] = [];
    for await (const message of orchestrator.client.streamJobLogs(request)) lines.push(...message.lines);
    return lines;
  }

  it("returns a finished command's stdout and stderr, line by line", async () => {
    const run = await submit(orchestrator.client, { steps: [nodeStep('train', chatty)] });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.SUCCEEDED);
    const jobId = stepOf(done, 'train').attempts[0]?.id;

    const lines = await collect({ runId: run.id });
    const out = lines.filter((l) => l.stream === LogStream.STDOUT).map((l) => l.text);
    expect(out).toEqual([
      'epoch 1 loss 1.000',
      'epoch 2 loss 0.500',
      'epoch 3 loss 0.333',
      'no trailing newline',
    ]);
    expect(lines.filter((l) => l.stream === LogStream.STDERR).map((l) => l.text)).toEqual([
      'warning: 2 rows without label',
    ]);
    expect(lines.filter((l) => l.stream === LogStream.SYSTEM).map((l) => l.text)).toContain(
      'process exited with code 0',
    );
    for (const line of lines) {
      expect(line).toMatchObject({ jobId, stepName: 'train', attempt: 1 });
      expect(line.time).toBeDefined();
    }

    const tail = await collect({ runId: run.id, stepName: 'train', tailLines: 2 });
    expect(tail.map((l) => l.text)).toEqual(lines.slice(-2).map((l) => l.text));
  });

  it('follows a running job until it ends', async () => {
    const gate = join(mkdtempSync(join(tmpdir(), 'flywheel-gate-')), 'open');
    const run = await submit(orchestrator.client, {
      steps: [nodeStep('serve', waitsForFile, { parameters: { gate } })],
    });
    const stream = orchestrator.client.streamJobLogs({ runId: run.id, stepName: 'serve', follow: true });
    const seen: string[] = [];
    for await (const message of stream) {
      for (const line of message.lines) {
        seen.push(line.text);
        if (line.text === 'waiting for the gate') writeFileSync(gate, '');
      }
    }
    // The stream ended by itself once the job ended, with everything the job printed.
    expect(seen).toContain('waiting for the gate');
    expect(seen.indexOf('gate opened')).toBeGreaterThan(seen.indexOf('waiting for the gate'));
    expect(seen).toContain('process exited with code 0');
    expect((await waitForFinal(orchestrator.client, run.id)).state).toBe(RunState.SUCCEEDED);
  });

  it('answers NOT_FOUND for an unknown run and INVALID_ARGUMENT for an unknown step', async () => {
    await expect(collect({ runId: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
    const run = await submit(orchestrator.client, { steps: [nodeStep('only', '')] });
    await expect(collect({ runId: run.id, stepName: 'other' })).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'step_name',
    });
  });
});
