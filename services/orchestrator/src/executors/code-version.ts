import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The version of a command step's own code: `git:<commit>` of its working directory when that is in
 * a git work tree (`-dirty` appended when tracked files differ from the commit), else
 * `sha256:<digest>` of the files its command names (the program and every argument that is a file
 * relative to the working directory, in order, each with its name), else of the command line
 * itself. Recorded as the step's `code_version` output so a register step can put it in lineage.
 */
export async function codeVersionOf(argv: readonly string[], cwd: string): Promise<string> {
  const commit = await gitCommit(cwd);
  if (commit) return commit;
  const hash = createHash('sha256');
  let files = 0;
  for (const arg of argv) {
    const path = isAbsolute(arg) ? arg : join(cwd, arg);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) continue;
    hash
      .update(`${arg}\0`)
      .update(await readFile(path))
      .update('\0');
    files++;
  }
  if (files === 0) hash.update(argv.join('\0'));
  return `sha256:${hash.digest('hex')}`;
}

async function gitCommit(cwd: string): Promise<string | undefined> {
  try {
    const options = { cwd, timeout: 10_000 };
    const { stdout } = await run('git', ['rev-parse', 'HEAD'], options);
    const { stdout: changes } = await run('git', ['status', '--porcelain', '--untracked-files=no'], options);
    return `git:${stdout.trim()}${changes.trim() ? '-dirty' : ''}`;
  } catch {
    // Not a git work tree (or no git): the content digest is the version.
    return undefined;
  }
}
