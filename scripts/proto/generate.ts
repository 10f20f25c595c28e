// Regenerates libs/proto/gen from proto/ with buf + protoc-gen-es. Run via `pnpm generate`.
import { execFileSync } from 'node:child_process';
import { repoRoot } from './paths.ts';

execFileSync('buf', ['generate'], { cwd: repoRoot, stdio: 'inherit' });
