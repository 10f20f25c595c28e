import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeVersionOf } from '../src/executors/code-version.ts';

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'flywheel-code-version-'));
}

describe('a command step’s code version', () => {
  it('is the digest of the files its command names outside git, changing with their content', async () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'train.py'), 'print("v1")\n');
    const v1 = await codeVersionOf(['python3', 'train.py', '--l2', '0.1'], cwd);
    expect(v1).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await codeVersionOf(['python3', 'train.py', '--l2', '0.1'], cwd)).toBe(v1);
    writeFileSync(join(cwd, 'train.py'), 'print("v2")\n');
    expect(await codeVersionOf(['python3', 'train.py', '--l2', '0.1'], cwd)).not.toBe(v1);
    // No file named: the command line itself.
    expect(await codeVersionOf(['echo', 'hi'], cwd)).not.toBe(await codeVersionOf(['echo', 'ho'], cwd));
  });

  it('is the git commit of its working directory in a work tree, marked dirty when tracked files changed', async () => {
    const cwd = dir();
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd })
        .toString()
        .trim();
    git('init', '-q');
    writeFileSync(join(cwd, 'train.py'), 'print("v1")\n');
    git('add', 'train.py');
    git('commit', '-qm', 'v1');
    const head = git('rev-parse', 'HEAD');
    expect(await codeVersionOf(['python3', 'train.py'], cwd)).toBe(`git:${head}`);
    writeFileSync(join(cwd, 'train.py'), 'print("v2")\n');
    expect(await codeVersionOf(['python3', 'train.py'], cwd)).toBe(`git:${head}-dirty`);
  });
});
