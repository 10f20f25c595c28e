import { type JsonValue, toJson } from '@bufbuild/protobuf';
import { AppError, ConfigReader } from '@flywheel/core';
import { type CloudEvent, decodeEvent, eventKindFor, newEvent } from '@flywheel/events';
import type { Command } from 'commander';
import type { Cli } from '../cli-context.ts';
import { CliError, exitCodes } from '../exit-codes.ts';
import { table } from '../output/output.ts';
import type { Run } from '../program.ts';
import { readMessageFile } from './message-file.ts';

/**
 * `flywheel events tail|publish` and `flywheel dlq list|redrive`: the documented topics, on the
 * broker the services use — FLYWHEEL_BUS (kafka | nats) and its FLYWHEEL_KAFKA_* / FLYWHEEL_NATS_*
 * settings, read by @flywheel/bus's readBusConfig exactly as the services read them. The DLQ
 * commands are @flywheel/bus's listDeadLetters/redriveDeadLetters, as `./flywheel dlq` runs them.
 */
export function eventCommands(program: Command, run: Run): void {
  const events = program
    .command('events')
    .description('CloudEvents on the bus (Kafka or NATS, from FLYWHEEL_BUS)');
  run(
    events
      .command('tail <topics...>')
      .description('print events as they are published (one line each; -o json: one JSON object per line)')
      .option('--from-beginning', 'start with the oldest event kept on the topics')
      .option('-n, --count <n>', 'stop after this many events'),
    async (cli: Cli, topics: string[], options: { fromBeginning?: boolean; count?: string }) => {
      const bus = await openBus(cli);
      const limit = options.count ? Number(options.count) : Number.POSITIVE_INFINITY;
      const subscription = bus.subscribe({
        topics,
        // A throw-away observer: its own group, so it takes nothing from the services' groups.
        group: `flywheel-cli-tail-${crypto.randomUUID()}`,
        fromBeginning: options.fromBeginning ?? false,
      });
      const stop = () => void subscription.close();
      process.once('SIGINT', stop);
      try {
        await subscription.ready();
        cli.out.note(`tailing ${topics.join(', ')} (Ctrl-C to stop)`);
        let seen = 0;
        for await (const delivery of subscription) {
          const shown = eventJson(delivery.event);
          if (cli.out.format === 'table') {
            cli.out.result(null, () =>
              [shown.time, shown.type, shown.subject ?? '-', shown.id, JSON.stringify(shown.data)].join('  '),
            );
          } else {
            process.stdout.write(`${JSON.stringify(shown)}\n`);
          }
          await delivery.ack();
          if (++seen >= limit) break;
        }
      } finally {
        process.off('SIGINT', stop);
        await subscription.close();
        await bus.close();
      }
    },
  );
  run(
    events
      .command('publish <type>')
      .description(
        'publish one event of a documented type (the topic is the type), its payload from a YAML/JSON file',
      )
      .requiredOption(
        '-f, --file <payload>',
        'the payload: the proto3 JSON of the type’s message (flywheel.events.v1)',
      )
      .option('--source <uri>', 'the producer, as CloudEvents `source`', 'flywheel/cli')
      .option('--id <id>', 'event id (default: a new UUID); a repeated id is deduplicated by consumers'),
    async (cli: Cli, type: string, options: { file: string; source: string; id?: string }) => {
      const kind = eventKindFor(type);
      if (!kind)
        throw new CliError(
          `"${type}" is not a documented event type (proto/flywheel/events/v1)`,
          exitCodes.usage,
        );
      const payload = readMessageFile(kind.schema, options.file);
      const event = newEvent(kind.schema, payload, {
        source: options.source,
        ...(options.id ? { id: options.id } : {}),
      });
      const bus = await openBus(cli);
      try {
        await bus.publish([event], { timeoutMs: cli.timeoutMs });
      } finally {
        await bus.close();
      }
      cli.out.result(
        eventJson(event),
        () => `published ${event.type} ${event.id}${event.subject ? ` (key ${event.subject})` : ''}`,
      );
    },
  );

  const dlq = program.command('dlq').description('dead-letter queues (<topic>.dlq) on the bus');
  run(
    dlq.command('list <topic>').description('the dead letters of a topic'),
    async (cli: Cli, topic: string) => {
      const { createDeadLetterQueue, listDeadLetters } = await import('@flywheel/bus');
      const queue = await createDeadLetterQueue(await busConfig(cli));
      try {
        const letters = await listDeadLetters(queue, topic);
        const rows = letters.map((l) => ({
          position: l.position,
          id: l.eventId,
          type: l.type,
          key: l.key,
          group: l.group,
          attempts: l.attempts,
          failedAt: l.failedAt,
          reason: l.reason,
        }));
        cli.out.result(rows, () =>
          table(
            ['position', 'id', 'type', 'key', 'group', 'attempts', 'failed at', 'reason'],
            rows.map((r) => [
              r.position,
              r.id ?? '-',
              r.type ?? '-',
              r.key ?? '-',
              r.group ?? '-',
              r.attempts ?? '-',
              r.failedAt ?? '-',
              r.reason ?? '-',
            ]),
          ),
        );
      } finally {
        await queue.close();
      }
    },
  );
  run(
    dlq
      .command('redrive <topic>')
      .description('republish dead letters to their topic (same event id: a second redrive is a no-op)')
      .option('--group <group>', 'only the letters this consumer group dead-lettered')
      .option('--event-id <id>', 'only this event'),
    async (cli: Cli, topic: string, options: { group?: string; eventId?: string }) => {
      const { createDeadLetterQueue, redriveDeadLetters } = await import('@flywheel/bus');
      const queue = await createDeadLetterQueue(await busConfig(cli));
      try {
        const { redriven, skipped } = await redriveDeadLetters(queue, topic, {
          ...(options.group ? { group: options.group } : {}),
          ...(options.eventId ? { eventId: options.eventId } : {}),
        });
        cli.out.result(
          {
            redriven: redriven.map((l) => ({ position: l.position, id: l.eventId })),
            skipped: skipped.length,
          },
          () =>
            `redrove ${redriven.length} dead letter(s) of ${topic}.dlq to ${topic}; ${skipped.length} skipped`,
        );
      } finally {
        await queue.close();
      }
    },
  );
}

/** The services' bus settings from the environment; the in-process bus has no outside access. */
async function busConfig(cli: Cli) {
  // Loaded on use: the broker clients are not needed by the gRPC commands.
  const { readBusConfig } = await import('@flywheel/bus');
  const reader = new ConfigReader(cli.env);
  const config = readBusConfig(reader);
  try {
    reader.done();
  } catch (error) {
    throw new CliError(AppError.from(error).message, exitCodes.config);
  }
  if (config.kind === 'memory') {
    throw new CliError(
      'FLYWHEEL_BUS is memory (the embedded platform’s in-process bus): set FLYWHEEL_BUS=kafka or nats and its settings',
      exitCodes.config,
    );
  }
  return config;
}

async function openBus(cli: Cli) {
  const { createEventBus } = await import('@flywheel/bus');
  return createEventBus(await busConfig(cli));
}

/** An event as CloudEvents JSON, its data decoded to the type's proto3 JSON when the type is known. */
function eventJson(event: CloudEvent): {
  id: string;
  type: string;
  source: string;
  time: string;
  subject?: string;
  data: JsonValue;
} {
  let data: JsonValue = `<${event.data.length} bytes>`;
  try {
    const kind = eventKindFor(event.type);
    if (kind) data = toJson(kind.schema, decodeEvent(kind.schema, event));
  } catch {
    // Undecodable: shown as its size (`flywheel dlq list` says why consumers refused it).
  }
  return {
    id: event.id,
    type: event.type,
    source: event.source,
    time: event.time,
    ...(event.subject ? { subject: event.subject } : {}),
    data,
  };
}
