import { readFileSync } from 'node:fs';
import type { ConfigReader } from '@flywheel/core';
import type { NodeConnectionOptions } from '@nats-io/transport-node';

/** How a client is secured towards the NATS servers; both parts are optional (a plain loopback server needs neither). */
export interface NatsSecurity {
  /** TLS to every server. `ca`: PEM certificates to trust instead of the system's. */
  readonly tls?: { readonly ca?: string };
  /** The NATS user the client connects as (the server's `authorization.users`). */
  readonly user?: { readonly name: string; readonly password: string };
}

/** A user name the server's permissions can name and that makes a subject token (its inbox prefix). */
const natsUserName = /^[A-Za-z0-9_-]+$/;

/**
 * Reads `FLYWHEEL_NATS_TLS` (bool, default on when a CA is given), `FLYWHEEL_NATS_TLS_CA` (path of
 * a PEM file of CA certificates, read now), `FLYWHEEL_NATS_USER` and `FLYWHEEL_NATS_PASSWORD`
 * (both or neither). A password without TLS is refused: NATS sends it in the clear.
 */
export function readNatsSecurity(reader: ConfigReader): NatsSecurity {
  const caPath = reader.optional('FLYWHEEL_NATS_TLS_CA');
  const tlsOn = reader.bool('FLYWHEEL_NATS_TLS', caPath !== undefined);
  let ca: string | undefined;
  if (caPath !== undefined) {
    if (!tlsOn) reader.problem('FLYWHEEL_NATS_TLS_CA', 'is set but FLYWHEEL_NATS_TLS is false');
    try {
      ca = readFileSync(caPath, 'utf8');
      if (!ca.includes('-----BEGIN CERTIFICATE-----'))
        reader.problem('FLYWHEEL_NATS_TLS_CA', `${caPath} holds no PEM certificate`);
    } catch (error) {
      reader.problem('FLYWHEEL_NATS_TLS_CA', `cannot read ${caPath}: ${(error as Error).message}`);
    }
  }
  const tls = tlsOn ? { tls: ca === undefined ? {} : { ca } } : {};
  const name = reader.optional('FLYWHEEL_NATS_USER');
  // The value never goes into a message.
  const password = reader.optional('FLYWHEEL_NATS_PASSWORD');
  if (name === undefined && password === undefined) return tls;
  if (name === undefined) reader.problem('FLYWHEEL_NATS_USER', 'is required with FLYWHEEL_NATS_PASSWORD');
  else if (!natsUserName.test(name))
    reader.problem('FLYWHEEL_NATS_USER', `must be letters, digits, _ and - only, got "${name}"`);
  if (password === undefined) reader.problem('FLYWHEEL_NATS_PASSWORD', 'is required with FLYWHEEL_NATS_USER');
  if (!tlsOn)
    reader.problem(
      'FLYWHEEL_NATS_USER',
      'needs TLS (FLYWHEEL_NATS_TLS=true or FLYWHEEL_NATS_TLS_CA): a password in the clear is refused',
    );
  return { ...tls, user: { name: name ?? '', password: password ?? '' } };
}

/**
 * The inbox prefix of a NATS user's connections: `_INBOX_<user>` (plain `_INBOX` without a user).
 * Replies — JetStream acks of publishes, and the messages a pull consumer fetches — go to the
 * requester's inbox, so each user gets its own and may subscribe to it alone (see
 * planNatsPermissions): no service reads another's replies.
 */
export function natsInboxPrefixOf(user: string | undefined): string {
  return user === undefined ? '_INBOX' : `_INBOX_${user}`;
}

/** The nats.js connection settings of `security`. */
export function natsConnectOptionsOf(
  security: NatsSecurity,
): Pick<NodeConnectionOptions, 'tls' | 'user' | 'pass' | 'inboxPrefix'> {
  const { tls, user } = security;
  return {
    ...(tls === undefined ? {} : { tls: tls.ca === undefined ? {} : { ca: tls.ca } }),
    ...(user === undefined
      ? {}
      : { user: user.name, pass: user.password, inboxPrefix: natsInboxPrefixOf(user.name) }),
  };
}
