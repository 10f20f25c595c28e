import { readFileSync } from 'node:fs';
import {
  applyKafkaAcls,
  describeKafkaAcls,
  type KafkaAclGrant,
  type KafkaCluster,
  type OutsideProducer,
  planKafkaAcls,
  revokeKafkaAcls,
  withKafkaAdmin,
} from '@flywheel/bus/kafka-acls';
import { AppError, type Env } from '@flywheel/core';
import { eventTypes } from '@flywheel/events';
import type { ServiceName } from '@flywheel/runtime';
import { busAccessPlanOf, platformServices as services } from './bus-access-plan.ts';

const usage = `usage: node scripts/kafka-acls.ts [--dry-run] [--revoke] [--principal SERVICE=User:NAME]...
                                  [--stream-topic TOPIC]... [--producer TOPIC=User:NAME]...
                                  [--producers FILE]

Grants each Flywheel service on Kafka what the platform's tables say it does, and nothing else:
WRITE on the event types it produces (the producer allow-list, FLYWHEEL_EVENT_PRODUCERS),
READ on those it consumes (each service's consumed-events.ts) and WRITE on their .dlq, READ on
its consumer groups (prefix <group prefix><service>), CREATE and DESCRIBE on every event type's
topic (services ensure them all at start-up). Prints each grant; idempotent.

  --dry-run             print the grants, change nothing
  --revoke              delete exactly these grants instead
  --principal S=User:N  the Kafka principal of service S (default User:<service>)
  --stream-topic T      a stream-source topic the feature store reads (repeatable)
  --producer T=User:N   an outside producer of topic T (a data pipeline publishing dataset.arrived,
                        labelling ground-truth.received, the writer of a stream topic): WRITE and
                        DESCRIBE on T (repeatable)
  --producers FILE      the same from a JSON file {"<topic>": ["User:<name>", ...], ...}
The cluster comes from FLYWHEEL_KAFKA_BROKERS and FLYWHEEL_KAFKA_TLS*/SASL_* (an admin: a super
user or a principal with ALTER on the cluster); names from FLYWHEEL_TOPIC_PREFIX and
FLYWHEEL_CONSUMER_GROUP_PREFIX, as the services read them.`;

const kafkaPrincipal = /^User:[^\s]+$/;

/**
 * The outside producers of a `--producers` file, `{"<topic>": ["User:<name>", …]}`, or what is
 * wrong with it.
 */
function readProducersFile(file: string): OutsideProducer[] | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return `cannot read it as JSON: ${(error as Error).message}`;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return 'want {"<topic>": ["User:<name>", ...], ...}';
  const producers: OutsideProducer[] = [];
  for (const [topic, principals] of Object.entries(parsed)) {
    if (
      !Array.isArray(principals) ||
      !principals.every((p) => typeof p === 'string' && kafkaPrincipal.test(p))
    )
      return `"${topic}": want a list of "User:<name>" principals`;
    for (const principal of principals as string[]) producers.push({ topic, principal });
  }
  return producers;
}

/** Where the command writes. */
export interface CommandOutput {
  out(line: string): void;
  err(line: string): void;
}

/** The grants `env` and the options describe, and the cluster to apply them to. Throws `invalid_argument` for bad settings. */
export function kafkaAclsFor(
  env: Env,
  options: {
    principals?: Readonly<Partial<Record<ServiceName, string>>>;
    streamTopics?: readonly string[];
    outsideProducers?: readonly OutsideProducer[];
  } = {},
): { grants: KafkaAclGrant[]; cluster: KafkaCluster } {
  const plan = busAccessPlanOf('kafka', env, {
    ...(options.principals ? { principals: options.principals } : {}),
    principalOf: (service) => `User:${service}`,
    streamTopics: options.streamTopics ?? [],
  });
  // Outside producers may write Flywheel event types and the outside topics services read.
  const known = new Set([...eventTypes(), ...plan.services.flatMap((service) => service.consumes)]);
  for (const { topic } of options.outsideProducers ?? [])
    if (!known.has(topic))
      throw AppError.invalidArgument(
        'producer',
        `outside producer of "${topic}": not a Flywheel event type, a --stream-topic nor one of FLYWHEEL_SCHEDULER_TRIGGER_TOPICS`,
      );
  const { bus } = plan;
  const grants = planKafkaAcls({
    services: plan.services,
    creates: plan.creates,
    ...(plan.topicPrefix ? { topicPrefix: plan.topicPrefix } : {}),
    groupPrefix: plan.groupPrefix,
    outsideProducers: options.outsideProducers ?? [],
  });
  return { grants, cluster: { brokers: bus.brokers, ...bus.security } };
}

/**
 * `scripts/kafka-acls.ts …`: parses `args`, plans the grants from `env` (see {@link kafkaAclsFor}),
 * prints them, and creates (or with `--revoke` deletes) them on the cluster of `env`. Resolves the
 * exit code: 0 done, 1 failed, 2 usage.
 */
export async function runKafkaAclsCommand(
  args: readonly string[],
  env: Env,
  output: CommandOutput,
): Promise<number> {
  const principals: Partial<Record<ServiceName, string>> = {};
  const streamTopics: string[] = [];
  const outsideProducers: OutsideProducer[] = [];
  let dryRun = false;
  let revoke = false;
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    if (flag === '--dry-run') dryRun = true;
    else if (flag === '--revoke') revoke = true;
    else if (
      (flag === '--principal' ||
        flag === '--stream-topic' ||
        flag === '--producer' ||
        flag === '--producers') &&
      args[i + 1] !== undefined
    ) {
      const value = args[++i] ?? '';
      if (flag === '--stream-topic') streamTopics.push(value);
      else if (flag === '--producer') {
        const at = value.indexOf('=');
        const producer = { topic: value.slice(0, at), principal: value.slice(at + 1) };
        if (at <= 0 || !kafkaPrincipal.test(producer.principal)) {
          output.err(`--producer ${value}: want TOPIC=User:NAME`);
          return 2;
        }
        outsideProducers.push(producer);
      } else if (flag === '--producers') {
        const read = readProducersFile(value);
        if (typeof read === 'string') {
          output.err(`--producers ${value}: ${read}`);
          return 2;
        }
        outsideProducers.push(...read);
      } else {
        const [service, principal] = [
          value.slice(0, value.indexOf('=')),
          value.slice(value.indexOf('=') + 1),
        ];
        if (!services.includes(service as ServiceName) || !kafkaPrincipal.test(principal)) {
          output.err(`--principal ${value}: want SERVICE=User:NAME, SERVICE one of ${services.join(', ')}`);
          return 2;
        }
        principals[service as ServiceName] = principal;
      }
    } else {
      output.err(usage);
      return 2;
    }
  }
  try {
    // --dry-run needs no cluster: a placeholder broker satisfies the settings check.
    const planEnv = dryRun ? { FLYWHEEL_KAFKA_BROKERS: '127.0.0.1:9092', ...env } : env;
    const { grants, cluster } = kafkaAclsFor(planEnv, { principals, streamTopics, outsideProducers });
    for (const line of describeKafkaAcls(grants)) output.out(line);
    if (dryRun) {
      output.out(`${grants.length} ACL(s) planned (--dry-run: nothing changed)`);
      return 0;
    }
    await withKafkaAdmin(cluster, (admin) =>
      revoke ? revokeKafkaAcls(admin, grants) : applyKafkaAcls(admin, grants),
    );
    output.out(`${revoke ? 'revoked' : 'granted'} ${grants.length} ACL(s) on ${cluster.brokers.join(',')}`);
    return 0;
  } catch (error) {
    const failure = AppError.from(error);
    output.err(`kafka-acls: ${failure.code}: ${failure.message}`);
    return 1;
  }
}
