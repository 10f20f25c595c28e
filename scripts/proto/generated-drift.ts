import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { generatedDir } from './paths.ts';

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

/**
 * Regenerates code from `root`'s proto/ into a scratch directory and compares it with the
 * committed `libs/proto/gen`. Returns the paths that differ (missing, extra or changed);
 * an empty list means the committed code is what `buf generate` produces.
 */
export function findGeneratedDrift(root: string): string[] {
  const scratch = mkdtempSync(join(tmpdir(), 'flywheel-gen-'));
  try {
    execFileSync('buf', ['generate', '--output', scratch], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const fresh = join(scratch, generatedDir);
    const committed = join(root, generatedDir);
    const freshFiles = listFiles(fresh);
    const committedFiles = listFiles(committed);
    const all = [...new Set([...freshFiles, ...committedFiles])].sort();
    return all.filter((file) => {
      if (!freshFiles.includes(file) || !committedFiles.includes(file)) return true;
      return !readFileSync(join(fresh, file)).equals(readFileSync(join(committed, file)));
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
