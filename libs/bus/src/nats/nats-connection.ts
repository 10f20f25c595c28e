import { AppError, type Logger } from '@flywheel/core';
import {
  type ConsumerConfig,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetStreamErrorCode } from './nats-errors.ts';
import { type NatsSecurity, natsConnectOptionsOf } from './nats-security.ts';

/** One NATS connection and the JetStream views on it. */
export interface JetStreamConnection {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

export interface NatsConnectionOptions {
  /** `nats://host:port`, or several separated by commas. */
  url: string;
  /** Connection name the server shows. */
  name: string;
  /** Timeout of each JetStream API request, ms. */
  requestTimeoutMs: number;
  /** TLS and the user; default none. */
  security?: NatsSecurity;
  log: Logger;
}

/** A connection opened on first use; see {@link lazyNatsConnection}. */
export interface LazyNatsConnection {
  /** The connection, opening it if need be. */
  get(): Promise<JetStreamConnection>;
  /** The connection if one was opened (or is being opened) and did not fail; never opens one. */
  current(): Promise<JetStreamConnection | undefined>;
  /** Drains the connection if one was opened; a drain failure is logged, not thrown. */
  close(): Promise<void>;
}

/**
 * The NATS connection of the bus and of the dead-letter queue, opened on the first `get()`: it
 * reconnects forever (500 ms apart, 5 s connect timeout; callers bound their work with their own
 * deadlines), logs disconnects and reconnects, and a failed first connect is forgotten so the next
 * `get()` tries again.
 */
export function lazyNatsConnection(options: NatsConnectionOptions): LazyNatsConnection {
  let connecting: Promise<JetStreamConnection> | undefined;
  const open = async (): Promise<JetStreamConnection> => {
    const nc = await connect({
      servers: options.url.split(',').map((url) => url.trim()),
      name: options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: 5000,
      ...natsConnectOptionsOf(options.security ?? {}),
    });
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect' || status.type === 'reconnect')
          options.log.warn(`nats ${status.type}`, { server: status.server });
      }
    })().catch(() => {});
    return {
      nc,
      js: jetstream(nc, { timeout: options.requestTimeoutMs }),
      jsm: await jetstreamManager(nc, { timeout: options.requestTimeoutMs }),
    };
  };
  const current = async () => connecting?.catch(() => undefined);
  return {
    get: () => {
      connecting ??= open().catch((error: unknown) => {
        connecting = undefined;
        throw error;
      });
      return connecting;
    },
    current,
    close: async () => {
      const opened = await current();
      await opened?.nc.drain().catch((error: unknown) => {
        options.log.warn('nats connection did not drain cleanly', { error: AppError.from(error).message });
      });
    },
  };
}

/**
 * Makes sure the durable consumer `config.durable_name` exists on `stream`: an existing one is
 * used as it is (its settings are not changed), a missing one is created with `config`.
 */
export async function ensureDurableConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig> & { durable_name: string },
): Promise<void> {
  try {
    await jsm.consumers.info(stream, config.durable_name);
  } catch (error) {
    if ((error as { code?: unknown }).code !== jetStreamErrorCode.consumerNotFound) throw error;
    await jsm.consumers.add(stream, config);
  }
}
