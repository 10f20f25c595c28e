// Regenerates libs/proto/gen from proto/ with buf + protoc-gen-es, and the Python SDK's stubs
// (clients/python/src/flywheel/_proto) with grpcio-tools. Run via `pnpm generate`.
import { execFileSync } from 'node:child_process';
import { repoRoot } from './paths.ts';
import { generatePythonStubs } from './python-stubs.ts';

execFileSync('buf', ['generate'], { cwd: repoRoot, stdio: 'inherit' });
generatePythonStubs(repoRoot, repoRoot);
