import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export interface FlywheelResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `flywheel <args>` as a user does: a child process (`node cli/src/main.ts`), its stdout not a
 * terminal; resolves its exit code and output, never rejects on a non-zero exit.
 */
export function runFlywheel(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs = 180_000,
): Promise<FlywheelResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [main, ...args],
      { env: { ...process.env, NO_COLOR: '', ...env }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`flywheel ${args.join(' ')}: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}
