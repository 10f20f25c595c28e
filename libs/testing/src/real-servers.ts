import { readFileSync } from 'node:fs';
import { type KafkaSettings, kafkaEnvOf, kafkaSettingsOf } from './kafka-settings.ts';

/** Where the real servers that `scripts/servers/servers.sh start` launched are listening. */
export interface RealServers {
  kafkaBrokers: string[];
  /** Brokers plus TLS and SASL, for `createKafkaBus({ ...servers.kafka })` or a kafkajs client. */
  kafka: KafkaSettings;
  /** The `FLYWHEEL_KAFKA_*` variables (brokers, TLS CA, SASL), for a service's or kcat's environment. */
  kafkaEnv: Record<string, string>;
  natsUrl: string;
  /** The `FLYWHEEL_NATS_*` variables (URL, TLS CA, user, password) that are set, for a service's environment or `readNatsSecurity`. */
  natsEnv: Record<string, string>;
  mongoUrl: string;
  /** `ca`: the PEM of `FLYWHEEL_S3_TLS_CA` (the test CA) when the endpoint is https:. */
  s3: { endpoint: string; accessKey: string; secretKey: string; region: string; ca?: string };
  /** Zipkin's base URL (`FLYWHEEL_ZIPKIN_URL`): API, UI, and the collector at `/api/v2/spans`. Read when used. */
  readonly zipkinUrl: string;
  /** Prometheus's base URL and the file_sd directory tests register targets in. Read when used. */
  readonly prometheus: { url: string; targetsDir: string };
  /**
   * The same Prometheus's HTTPS scrape job: the file_sd directory of targets it scrapes over
   * HTTPS, and the test CA (`ca.pem`, its key beside it) it trusts and holds a client certificate
   * of. Read when used.
   */
  readonly prometheusHttps: { url: string; targetsDir: string; caFile: string };
}

/**
 * The real servers of this test run, from the `FLYWHEEL_*` variables `./flywheel test` exports.
 * Throws (failing the test, never skipping it) when one is missing: a real-server test that
 * silently skips proves nothing.
 */
export function realServers(env: Readonly<Record<string, string | undefined>> = process.env): RealServers {
  const need = (name: string): string => {
    const value = env[name];
    if (!value) {
      throw new Error(
        `${name} is not set: real-server tests need the servers running. Run \`./flywheel test\`, or ` +
          '`./flywheel servers start && source .run/servers/servers.env` before vitest.',
      );
    }
    return value;
  };
  return {
    kafkaBrokers: need('FLYWHEEL_KAFKA_BROKERS').split(','),
    kafka: kafkaSettingsOf(env),
    kafkaEnv: kafkaEnvOf(env),
    natsUrl: need('FLYWHEEL_NATS_URL'),
    natsEnv: Object.fromEntries(
      ['FLYWHEEL_NATS_URL', 'FLYWHEEL_NATS_TLS_CA', 'FLYWHEEL_NATS_USER', 'FLYWHEEL_NATS_PASSWORD'].flatMap(
        (name) => (env[name] ? [[name, env[name]]] : []),
      ),
    ),
    mongoUrl: need('FLYWHEEL_MONGO_URL'),
    s3: {
      endpoint: need('FLYWHEEL_S3_ENDPOINT'),
      accessKey: need('FLYWHEEL_S3_ACCESS_KEY'),
      secretKey: need('FLYWHEEL_S3_SECRET_KEY'),
      region: env.FLYWHEEL_S3_REGION ?? 'us-east-1',
      ...(env.FLYWHEEL_S3_TLS_CA ? { ca: readFileSync(env.FLYWHEEL_S3_TLS_CA, 'utf8') } : {}),
    },
    // Getters: a test that needs neither runs against an older servers.env too.
    get zipkinUrl() {
      return need('FLYWHEEL_ZIPKIN_URL');
    },
    get prometheus() {
      return { url: need('FLYWHEEL_PROMETHEUS_URL'), targetsDir: need('FLYWHEEL_PROMETHEUS_TARGETS_DIR') };
    },
    get prometheusHttps() {
      return {
        url: need('FLYWHEEL_PROMETHEUS_URL'),
        targetsDir: need('FLYWHEEL_PROMETHEUS_HTTPS_TARGETS_DIR'),
        caFile: need('FLYWHEEL_PROMETHEUS_TLS_CA'),
      };
    },
  };
}

/**
 * The Ray dashboard (Jobs REST API) `servers.sh start ray` runs (`FLYWHEEL_RAY_ADDRESS`); throws
 * like {@link realServers} when it is not set.
 */
export function realRayAddress(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const value = env.FLYWHEEL_RAY_ADDRESS;
  if (!value)
    throw new Error(
      'FLYWHEEL_RAY_ADDRESS is not set: Ray tests need the real Ray running. Run `./flywheel test`, or ' +
        '`./flywheel servers start ray && source .run/servers/servers.env` before vitest.',
    );
  return value;
}
