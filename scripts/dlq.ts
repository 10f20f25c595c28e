// `./flywheel dlq list|redrive …`: lists and redrives dead-letter queues on Kafka or NATS. The
// command lives in @flywheel/bus (run-dlq-command.ts); this only hands it the process.
import { runDlqCommand } from '../libs/bus/src/run-dlq-command.ts';

process.exitCode = await runDlqCommand(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
