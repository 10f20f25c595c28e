// `node scripts/kafka-acls.ts [--dry-run] [--revoke] …`: grants each Flywheel service its Kafka
// ACLs from the platform's own tables. The command lives in @flywheel/platform
// (kafka-acls-command.ts); this only hands it the process.
import { runKafkaAclsCommand } from '../services/platform/src/kafka-acls-command.ts';

process.exitCode = await runKafkaAclsCommand(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
