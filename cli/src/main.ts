#!/usr/bin/env node
// The `flywheel` binary: runs the command line and exits with its code (cli/README.md lists them).
import { enableServiceCompileCache } from '@flywheel/runtime/compile-cache';

// Before anything else is loaded (hence the dynamic import): later runs reuse the compiled modules.
enableServiceCompileCache();
const { runCli } = await import('./program.ts');

// `flywheel … | head` closes the pipe early: that ends the output, it is not a failure.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
