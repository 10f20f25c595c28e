// `node scripts/nats-permissions.ts [--dry-run] --passwords FILE --out FILE …`: writes the
// nats-server users and permissions of each Flywheel service from the platform's own tables. The
// command lives in @flywheel/platform (nats-permissions-command.ts); this only hands it the process.
import { runNatsPermissionsCommand } from '../services/platform/src/nats-permissions-command.ts';

process.exitCode = await runNatsPermissionsCommand(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
