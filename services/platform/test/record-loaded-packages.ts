// Preloaded with `node --import`: records every module this process resolves (ESM imports and
// CommonJS requires alike, through node:module's synchronous hooks) and, at exit, writes the
// packages among them — names as in node_modules — to the file FLYWHEEL_LOADED_PACKAGES names.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const packages = new Set<string>();
const inNodeModules = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//;

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    const name = inNodeModules.exec(decodeURIComponent(resolved.url))?.[1];
    if (name !== undefined) packages.add(name);
    return resolved;
  },
});

process.on('exit', () => {
  const file = process.env.FLYWHEEL_LOADED_PACKAGES;
  if (file) writeFileSync(file, JSON.stringify([...packages].sort()));
});
