// `node scripts/health-check.ts HOST:PORT [SERVICE]`: exit 0 when the process's gRPC health says
// SERVING (docker-compose.yml's healthchecks). The command lives in @flywheel/platform
// (health-check-command.ts); this only hands it the process.
import { runHealthCheckCommand } from '../services/platform/src/health-check-command.ts';

process.exitCode = await runHealthCheckCommand(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
