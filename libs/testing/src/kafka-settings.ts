import { readFileSync } from 'node:fs';

type Env = Readonly<Record<string, string | undefined>>;

/** How to reach a Kafka cluster, shaped like `@flywheel/bus`'s KafkaBusOptions (brokers, tls, sasl). */
export interface KafkaSettings {
  brokers: string[];
  tls?: { ca?: string };
  sasl?: { mechanism: 'scram-sha-512' | 'scram-sha-256' | 'plain'; username: string; password: string };
}

/**
 * The `FLYWHEEL_KAFKA_*` and `FLYWHEEL_KCAT` variables of `env` (a `servers.env`, or the test's
 * process): brokers, TLS CA, SASL. Spread them into a service's environment so it talks to the
 * same cluster, secured the same way.
 */
export function kafkaEnvOf(env: Env): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] =>
        (entry[0].startsWith('FLYWHEEL_KAFKA_') || entry[0] === 'FLYWHEEL_KCAT') && entry[1] !== undefined,
    ),
  );
}

/** The client settings those variables describe (the CA file is read now). Throws when brokers are missing. */
export function kafkaSettingsOf(env: Env): KafkaSettings {
  const brokers = env.FLYWHEEL_KAFKA_BROKERS;
  if (!brokers) throw new Error('FLYWHEEL_KAFKA_BROKERS is not set');
  const ca = env.FLYWHEEL_KAFKA_TLS_CA;
  const mechanism = env.FLYWHEEL_KAFKA_SASL_MECHANISM?.toLowerCase();
  const tls = ca ? { ca: readFileSync(ca, 'utf8') } : env.FLYWHEEL_KAFKA_TLS === 'true' ? {} : undefined;
  return {
    brokers: brokers.split(','),
    ...(tls === undefined ? {} : { tls }),
    ...(mechanism === undefined
      ? {}
      : {
          sasl: {
            mechanism: mechanism as NonNullable<KafkaSettings['sasl']>['mechanism'],
            username: env.FLYWHEEL_KAFKA_SASL_USERNAME ?? '',
            password: env.FLYWHEEL_KAFKA_SASL_PASSWORD ?? '',
          },
        }),
  };
}

/**
 * The SCRAM passwords of the test broker's per-service users (`scripts/servers/servers.sh` makes
 * one per service; `FLYWHEEL_TEST_KAFKA_SERVICE_USERS` is their file, `<service>=<password>`
 * lines). Throws, failing the test, when the variable or the file is missing.
 */
export function kafkaServiceUsers(env: Env): Readonly<Record<string, string>> {
  const file = env.FLYWHEEL_TEST_KAFKA_SERVICE_USERS;
  if (!file)
    throw new Error(
      'FLYWHEEL_TEST_KAFKA_SERVICE_USERS is not set: the Kafka of scripts/servers/servers.sh makes one SCRAM user per service; start it (./flywheel test) and source its servers.env',
    );
  const users: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) users[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  return users;
}

/**
 * `env`'s `FLYWHEEL_KAFKA_*` variables with SASL as `service`'s own SCRAM user of the test broker
 * (see {@link kafkaServiceUsers}): for a service process, or `kafkaSettingsOf` for a client.
 */
export function kafkaEnvAsService(env: Env, service: string): Record<string, string> {
  const password = kafkaServiceUsers(env)[service];
  if (password === undefined) throw new Error(`the test broker has no SCRAM user for ${service}`);
  return {
    ...kafkaEnvOf(env),
    FLYWHEEL_KAFKA_SASL_MECHANISM: 'scram-sha-512',
    FLYWHEEL_KAFKA_SASL_USERNAME: service,
    FLYWHEEL_KAFKA_SASL_PASSWORD: password,
  };
}
