import { readFileSync } from 'node:fs';
import type { ConfigReader } from '@flywheel/core';
import type { KafkaConfig, SASLOptions } from 'kafkajs';

export const kafkaSaslMechanisms = ['scram-sha-512', 'scram-sha-256', 'plain'] as const;
export type KafkaSaslMechanism = (typeof kafkaSaslMechanisms)[number];

/** How a client is secured towards the brokers; both parts are optional (a PLAINTEXT cluster needs neither). */
export interface KafkaSecurity {
  /** TLS to every broker. `ca`: PEM certificates to trust instead of the system's. */
  readonly tls?: { readonly ca?: string };
  /** SASL authentication (SCRAM or PLAIN; use it over TLS). */
  readonly sasl?: {
    readonly mechanism: KafkaSaslMechanism;
    readonly username: string;
    readonly password: string;
  };
}

/**
 * Reads `FLYWHEEL_KAFKA_TLS` (bool, default on when a CA is given), `FLYWHEEL_KAFKA_TLS_CA` (path
 * of a PEM file of CA certificates, read now), `FLYWHEEL_KAFKA_SASL_MECHANISM` (`scram-sha-512` |
 * `scram-sha-256` | `plain`; unset: no SASL) with `FLYWHEEL_KAFKA_SASL_USERNAME` and
 * `FLYWHEEL_KAFKA_SASL_PASSWORD` (both required with a mechanism). SASL without TLS is refused:
 * it would send credentials (PLAIN) or the whole stream (SCRAM) in the clear.
 */
export function readKafkaSecurity(reader: ConfigReader): KafkaSecurity {
  const caPath = reader.optional('FLYWHEEL_KAFKA_TLS_CA');
  const tlsOn = reader.bool('FLYWHEEL_KAFKA_TLS', caPath !== undefined);
  let ca: string | undefined;
  if (caPath !== undefined) {
    if (!tlsOn) reader.problem('FLYWHEEL_KAFKA_TLS_CA', 'is set but FLYWHEEL_KAFKA_TLS is false');
    try {
      ca = readFileSync(caPath, 'utf8');
      if (!ca.includes('-----BEGIN CERTIFICATE-----'))
        reader.problem('FLYWHEEL_KAFKA_TLS_CA', `${caPath} holds no PEM certificate`);
    } catch (error) {
      reader.problem('FLYWHEEL_KAFKA_TLS_CA', `cannot read ${caPath}: ${(error as Error).message}`);
    }
  }
  const tls = tlsOn ? { tls: ca === undefined ? {} : { ca } } : {};
  const raw = reader.optional('FLYWHEEL_KAFKA_SASL_MECHANISM');
  const username = reader.optional('FLYWHEEL_KAFKA_SASL_USERNAME');
  const password = reader.optional('FLYWHEEL_KAFKA_SASL_PASSWORD');
  if (raw === undefined) {
    if (username !== undefined || password !== undefined)
      reader.problem('FLYWHEEL_KAFKA_SASL_USERNAME', 'is set but FLYWHEEL_KAFKA_SASL_MECHANISM is not');
    return tls;
  }
  const mechanism = raw.toLowerCase() as KafkaSaslMechanism;
  if (!kafkaSaslMechanisms.includes(mechanism)) {
    reader.problem(
      'FLYWHEEL_KAFKA_SASL_MECHANISM',
      `must be one of ${kafkaSaslMechanisms.join(', ')}, got "${raw}"`,
    );
    return tls;
  }
  if (username === undefined)
    reader.problem('FLYWHEEL_KAFKA_SASL_USERNAME', `is required with SASL ${mechanism}`);
  // The value never goes into a message.
  if (password === undefined)
    reader.problem('FLYWHEEL_KAFKA_SASL_PASSWORD', `is required with SASL ${mechanism}`);
  if (!tlsOn)
    reader.problem(
      'FLYWHEEL_KAFKA_SASL_MECHANISM',
      'needs TLS (FLYWHEEL_KAFKA_TLS=true or FLYWHEEL_KAFKA_TLS_CA): SASL in the clear is refused',
    );
  return { ...tls, sasl: { mechanism, username: username ?? '', password: password ?? '' } };
}

/** The kafkajs `ssl` and `sasl` settings of `security`. */
export function kafkajsSecurity(security: KafkaSecurity): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const { tls, sasl } = security;
  return {
    ...(tls === undefined ? {} : { ssl: tls.ca === undefined ? true : { ca: [tls.ca] } }),
    ...(sasl === undefined ? {} : { sasl: { ...sasl } as SASLOptions }),
  };
}
