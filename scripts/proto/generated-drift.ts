import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { generatedDir } from './paths.ts';
import { generatePythonStubs, pythonGeneratedDir } from './python-stubs.ts';

/** Every file below `dir`, as paths relative to it, sorted. */
function listFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)));
  } catch {
    return [];
  }
  return entries.sort();
}

/** The files of `dir` (relative to both roots) that differ between `fresh` and `committed`. */
function differences(fresh: string, committed: string, dir: string): string[] {
  const freshFiles = listFiles(join(fresh, dir));
  const committedFiles = listFiles(join(committed, dir));
  const all = [...new Set([...freshFiles, ...committedFiles])].sort();
  return all.filter((file) => {
    if (!freshFiles.includes(file) || !committedFiles.includes(file)) return true;
    return !readFileSync(join(fresh, dir, file)).equals(readFileSync(join(committed, dir, file)));
  });
}

/**
 * Regenerates code from `root`'s proto/ into a scratch directory and compares it with the
 * committed `libs/proto/gen` and the Python SDK's `clients/python/src/flywheel/_proto`. Returns
 * the paths that differ (missing, extra or changed), relative to those directories; an empty list
 * means the committed code is what `pnpm generate` produces.
 */
export function findGeneratedDrift(root: string): string[] {
  const scratch = mkdtempSync(join(tmpdir(), 'flywheel-gen-'));
  try {
    execFileSync('buf', ['generate', '--output', scratch], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    generatePythonStubs(root, scratch);
    return [
      ...differences(scratch, root, generatedDir),
      ...differences(scratch, root, pythonGeneratedDir).map((f) => join(pythonGeneratedDir, f)),
    ];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
