import { AppError, ConfigReader, type Env } from '@flywheel/core';
import { createDeadLetterQueue } from './create-dead-letter-queue.ts';
import { readBusConfig } from './create-event-bus.ts';
import type { DeadLetter } from './dlq/dead-letter-queue.ts';
import { listDeadLetters, redriveDeadLetters } from './dlq/redrive-dead-letters.ts';

const usage = `usage: flywheel dlq list <topic>
       flywheel dlq redrive <topic> [--group G] [--event-id ID]

  list      prints each dead letter of <topic>.dlq: position, event id, type, key, group,
            attempts, failed-at, reason
  redrive   republishes the dead letters of <topic> (only group G's / only event ID's) to
            <topic> with their original bytes, headers and event id, and moves the
            flywheel-dlq-redrive group past them: running it again redrives nothing new
The broker comes from FLYWHEEL_BUS (kafka | nats) and its FLYWHEEL_KAFKA_* / FLYWHEEL_NATS_*
settings; the embedded bus (memory) is in-process only.`;

/** Where the command writes. */
export interface CommandOutput {
  out(line: string): void;
  err(line: string): void;
}

/**
 * `flywheel dlq …`: parses `args` (after `dlq`), reads the bus from `env` with `readBusConfig`,
 * runs `list` or `redrive`. Resolves the exit code: 0 done, 1 failed, 2 usage.
 */
export async function runDlqCommand(
  args: readonly string[],
  env: Env,
  output: CommandOutput,
): Promise<number> {
  const [command, topic, ...rest] = args;
  if ((command !== 'list' && command !== 'redrive') || topic === undefined || topic.startsWith('-')) {
    output.err(usage);
    return 2;
  }
  const filter: { group?: string; eventId?: string } = {};
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if (command !== 'redrive' || value === undefined || (flag !== '--group' && flag !== '--event-id')) {
      output.err(usage);
      return 2;
    }
    if (flag === '--group') filter.group = value;
    else filter.eventId = value;
  }
  const reader = new ConfigReader(env);
  const config = readBusConfig(reader);
  try {
    reader.done();
    const queue = await createDeadLetterQueue(config);
    try {
      if (command === 'list') {
        const letters = await listDeadLetters(queue, topic);
        output.out(['position', 'id', 'type', 'key', 'group', 'attempts', 'failed-at', 'reason'].join('\t'));
        for (const letter of letters) output.out(row(letter));
        output.out(`${letters.length} dead letter(s) in ${topic}.dlq`);
      } else {
        const { redriven, skipped } = await redriveDeadLetters(queue, topic, filter);
        for (const letter of redriven) output.out(`redrove ${letter.eventId ?? '?'} (${letter.position})`);
        output.out(
          `redrove ${redriven.length} dead letter(s) of ${topic}.dlq to ${topic}; ${skipped.length} skipped`,
        );
      }
    } finally {
      await queue.close();
    }
    return 0;
  } catch (error) {
    const failure = AppError.from(error);
    output.err(`flywheel dlq: ${failure.code}: ${failure.message}`);
    return 1;
  }
}

function row(letter: DeadLetter): string {
  const cell = (value: string | number | undefined): string => (value === undefined ? '-' : String(value));
  return [
    letter.position,
    letter.eventId,
    letter.type,
    letter.key,
    letter.group,
    letter.attempts,
    letter.failedAt,
    letter.reason,
  ]
    .map(cell)
    .join('\t');
}
