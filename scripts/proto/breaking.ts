// `buf breaking`: the working tree's proto/ against the last commit on main (or FLYWHEEL_PROTO_BASE,
// any buf input such as `.git#ref=v1.0.0,subdir=proto`). Skipped, saying so, where git has no main yet.
import { execFileSync, spawnSync } from 'node:child_process';
import { repoRoot } from './paths.ts';

const hasMain =
  spawnSync('git', ['rev-parse', '--verify', '--quiet', 'main'], { cwd: repoRoot }).status === 0;
const against = process.env.FLYWHEEL_PROTO_BASE ?? (hasMain ? '.git#branch=main' : undefined);
if (against === undefined) {
  console.log('buf breaking: no main branch to compare with yet, skipped');
} else {
  execFileSync('buf', ['breaking', '.', '--against', against], { cwd: repoRoot, stdio: 'inherit' });
  console.log(`buf breaking: proto/ is compatible with ${against}`);
}
