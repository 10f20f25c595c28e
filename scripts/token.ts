// `./flywheel token create|revoke|list …`: service-account API tokens. The command lives in
// @flywheel/rpc (auth/run-token-command.ts); this only hands it the process.
import { runTokenCommand } from '../libs/rpc/src/auth/run-token-command.ts';

process.exitCode = await runTokenCommand(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
