// Fails when libs/proto/gen differs from what `buf generate` makes of proto/ (CI's drift check).
import { findGeneratedDrift } from './generated-drift.ts';
import { generatedDir, repoRoot } from './paths.ts';
import { pythonGeneratedDir } from './python-stubs.ts';

const root = process.argv[2] ?? repoRoot;
const drift = findGeneratedDrift(root);
if (drift.length > 0) {
  console.error(
    `generated code in ${generatedDir} or ${pythonGeneratedDir} is out of date with proto/ — run \`pnpm generate\`:`,
  );
  for (const file of drift) console.error(`  ${file}`);
  process.exit(1);
}
console.log(`generated code in ${generatedDir} and ${pythonGeneratedDir} matches proto/`);
