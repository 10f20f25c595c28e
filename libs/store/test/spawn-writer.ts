import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from '@flywheel/testing';
import type { StoreConfig } from '../src/create-document-store.ts';

const writer = join(import.meta.dirname, 'crash-writer.ts');

/**
 * Runs crash-writer.ts in its own Node process until it prints `line`, calls `whileAlive` (with
 * the child's pid), then SIGKILLs it and resolves once it is gone (reaped).
 */
export async function runWriterUntil(
  config: StoreConfig,
  mode: 'before-relay' | 'in-publish',
  line: string,
  whileAlive: (pid: number) => Promise<void> = async () => {},
): Promise<{ signal: NodeJS.Signals | null }> {
  const child: ChildProcess = spawn(process.execPath, [writer, JSON.stringify(config), mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const gone = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );
  try {
    await waitFor(
      () => {
        if (exited) throw new Error(`writer exited early: ${stderr}`);
        return stdout.split('\n').includes(line);
      },
      { what: `the writer to print "${line}"`, timeoutMs: 20_000 },
    );
    await whileAlive(child.pid!);
  } finally {
    child.kill('SIGKILL');
    await gone;
  }
  return { signal: child.signalCode };
}
