import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import {
  describeNatsPermissions,
  type NatsUserPermissions,
  natsAuthorizationConfig,
  planNatsPermissions,
} from '@flywheel/bus/nats-permissions';
import { AppError, type Env } from '@flywheel/core';
import { eventTypes } from '@flywheel/events';
import type { ServiceName } from '@flywheel/runtime';
import { busAccessPlanOf, platformServices as services } from './bus-access-plan.ts';
import type { CommandOutput } from './kafka-acls-command.ts';

const usage = `usage: node scripts/nats-permissions.ts [--dry-run] --passwords FILE --out FILE
                                       [--super-user NAME]... [--principal SERVICE=USER]...
                                       [--stream-topic TOPIC]... [--producer TOPIC=USER]...

Writes the nats-server authorization block that lets each Flywheel service do on JetStream what
the platform's tables say, and nothing else — the same tables as scripts/kafka-acls.ts: publish
the event types it produces (the producer allow-list, FLYWHEEL_EVENT_PRODUCERS) and the .dlq of
those it consumes; create and look up every event type's stream; create, pull from and ack
consumers of the streams it consumes (each service's consumed-events.ts); replies on its own
inbox (_INBOX_<user>) only. Prints each permission. Include the file from nats.conf and reload
the server (nats-server --signal reload).

  --dry-run            print the permissions, write nothing (no passwords needed)
  --passwords FILE     "<user>=<password>" lines: every service's user and every super user
  --out FILE           where the block goes (written 0600: it holds the passwords)
  --super-user NAME    a user allowed everything (operators, tests), repeatable
  --principal S=USER   the NATS user of service S (default <service>)
  --stream-topic T     a stream-source topic the feature store reads (repeatable)
  --producer T=USER    an outside producer of topic T (dataset.arrived, ground-truth.received, a
                       stream topic): may publish T's subject and read its own inbox (repeatable)
Names come from FLYWHEEL_TOPIC_PREFIX, as the services read it.`;

const userName = /^[A-Za-z0-9_-]+$/;

/** The permissions `env` and the options describe (see planNatsPermissions). Throws `invalid_argument` for bad settings. */
export function natsPermissionsFor(
  env: Env,
  options: {
    principals?: Readonly<Partial<Record<ServiceName, string>>>;
    streamTopics?: readonly string[];
    outsideProducers?: readonly { principal: string; topic: string }[];
  } = {},
): NatsUserPermissions[] {
  // The URL is not used: a placeholder satisfies the settings check when none is given.
  const plan = busAccessPlanOf(
    'nats',
    { FLYWHEEL_NATS_URL: 'nats://127.0.0.1:4222', ...env },
    {
      ...(options.principals ? { principals: options.principals } : {}),
      principalOf: (service) => service,
      streamTopics: options.streamTopics ?? [],
    },
  );
  // Outside producers may write Flywheel event types and the outside topics services read.
  const known = new Set([...eventTypes(), ...plan.services.flatMap((service) => service.consumes)]);
  for (const { topic } of options.outsideProducers ?? [])
    if (!known.has(topic))
      throw AppError.invalidArgument(
        'producer',
        `outside producer of "${topic}": not a Flywheel event type, a --stream-topic nor one of FLYWHEEL_SCHEDULER_TRIGGER_TOPICS`,
      );
  return planNatsPermissions({
    services: plan.services,
    creates: plan.creates,
    ...(plan.topicPrefix ? { topicPrefix: plan.topicPrefix } : {}),
    outsideProducers: options.outsideProducers ?? [],
  });
}

/** `<user>=<password>` lines (blank lines and `#` comments skipped). */
function readPasswords(file: string): Map<string, string> {
  const passwords = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const at = trimmed.indexOf('=');
    if (at <= 0) throw AppError.invalidArgument('passwords', `${file}: want <user>=<password> lines`);
    passwords.set(trimmed.slice(0, at), trimmed.slice(at + 1));
  }
  return passwords;
}

/**
 * `scripts/nats-permissions.ts …`: parses `args`, plans the permissions from `env` (see
 * {@link natsPermissionsFor}), prints them and writes the authorization block. Resolves the exit
 * code: 0 done, 1 failed, 2 usage.
 */
export async function runNatsPermissionsCommand(
  args: readonly string[],
  env: Env,
  output: CommandOutput,
): Promise<number> {
  const principals: Partial<Record<ServiceName, string>> = {};
  const streamTopics: string[] = [];
  const superUsers: string[] = [];
  const outsideProducers: { principal: string; topic: string }[] = [];
  let dryRun = false;
  let passwordsFile: string | undefined;
  let outFile: string | undefined;
  const valued = ['--principal', '--stream-topic', '--super-user', '--passwords', '--out', '--producer'];
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] ?? '';
    if (flag === '--dry-run') dryRun = true;
    else if (valued.includes(flag) && args[i + 1] !== undefined) {
      const value = args[++i] ?? '';
      if (flag === '--stream-topic') streamTopics.push(value);
      else if (flag === '--passwords') passwordsFile = value;
      else if (flag === '--out') outFile = value;
      else if (flag === '--producer') {
        const at = value.indexOf('=');
        const producer = { topic: value.slice(0, at), principal: value.slice(at + 1) };
        if (at <= 0 || !userName.test(producer.principal)) {
          output.err(`--producer ${value}: want TOPIC=USER (USER letters, digits, _ and -)`);
          return 2;
        }
        outsideProducers.push(producer);
      } else if (flag === '--super-user') {
        if (!userName.test(value)) {
          output.err(`--super-user ${value}: letters, digits, _ and - only`);
          return 2;
        }
        superUsers.push(value);
      } else {
        const at = value.indexOf('=');
        const [service, user] = [value.slice(0, at), value.slice(at + 1)];
        if (at < 0 || !services.includes(service as ServiceName) || !userName.test(user)) {
          output.err(
            `--principal ${value}: want SERVICE=USER (USER letters, digits, _ and -), SERVICE one of ${services.join(', ')}`,
          );
          return 2;
        }
        principals[service as ServiceName] = user;
      }
    } else {
      output.err(usage);
      return 2;
    }
  }
  if (!dryRun && (passwordsFile === undefined || outFile === undefined)) {
    output.err(usage);
    return 2;
  }
  try {
    const permissions = natsPermissionsFor(env, { principals, streamTopics, outsideProducers });
    for (const line of describeNatsPermissions(permissions)) output.out(line);
    if (dryRun || passwordsFile === undefined || outFile === undefined) {
      output.out(`${permissions.length} NATS user(s) planned (--dry-run: nothing written)`);
      return 0;
    }
    const passwords = readPasswords(passwordsFile);
    const passwordOf = (user: string): string => {
      const password = passwords.get(user);
      if (password === undefined)
        throw AppError.invalidArgument('passwords', `${passwordsFile} has no password for user "${user}"`);
      return password;
    };
    const config = natsAuthorizationConfig(
      permissions,
      passwordOf,
      Object.fromEntries(superUsers.map((user) => [user, passwordOf(user)])),
    );
    writeFileSync(`${outFile}.tmp`, config, { mode: 0o600 });
    renameSync(`${outFile}.tmp`, outFile);
    output.out(`wrote ${permissions.length + superUsers.length} NATS user(s) to ${outFile}`);
    return 0;
  } catch (error) {
    const failure = AppError.from(error);
    output.err(`nats-permissions: ${failure.code}: ${failure.message}`);
    return 1;
  }
}
