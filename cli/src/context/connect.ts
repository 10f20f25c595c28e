import { readFileSync } from 'node:fs';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { createRpcClient, type RpcClient } from '@flywheel/rpc';
import * as grpc from '@grpc/grpc-js';
import { CliError, exitCodes } from '../exit-codes.ts';
import type { Context, ServiceName } from './config-file.ts';

/** Opens typed clients of a context's services, each once, and closes them all at the end. */
export interface Connections {
  client<S extends GenServiceMethods>(service: GenService<S>, name: ServiceName): Promise<RpcClient<S>>;
  close(): void;
}

/**
 * Clients on `context`'s addresses, TLS and token, through `@flywheel/rpc`'s client (deadlines,
 * trace context, AppError with the server's status). A service without an address in the context
 * is its `host` on the service's default port (`servicePorts` of `@flywheel/runtime`, loaded only then).
 */
export function connect(context: Context, timeoutMs: number): Connections {
  const open: Array<{ close(): void }> = [];
  let credentials: grpc.ChannelCredentials | undefined;
  const headers = context.token ? { authorization: `Bearer ${context.token}` } : undefined;
  return {
    async client(service, name) {
      credentials ??= channelCredentials(context);
      const client = createRpcClient(service, {
        address: await addressOf(context, name),
        credentials,
        defaultTimeoutMs: timeoutMs,
        ...(headers ? { headers } : {}),
      });
      open.push(client);
      return client;
    },
    close() {
      for (const client of open) client.close();
    },
  };
}

async function addressOf(context: Context, name: ServiceName): Promise<string> {
  const given = context.addresses?.[name];
  if (given) return given;
  if (!context.host) {
    throw new CliError(
      `the context gives no address for ${name}: set --host or --${name} with \`flywheel context set\``,
      exitCodes.config,
    );
  }
  const { servicePorts } = await import('@flywheel/runtime');
  return `${context.host}:${servicePorts[name]}`;
}

function channelCredentials(context: Context): grpc.ChannelCredentials {
  const tls = context.tls;
  if (!tls || (!tls.ca && !tls.cert && !tls.key)) return grpc.credentials.createInsecure();
  if (Boolean(tls.cert) !== Boolean(tls.key)) {
    throw new CliError(
      'the context gives only one of tls.cert and tls.key: give both or neither',
      exitCodes.config,
    );
  }
  const read = (file: string | undefined, what: string) => {
    if (!file) return null;
    try {
      return readFileSync(file);
    } catch (error) {
      throw new CliError(
        `cannot read the context's ${what} ${file}: ${(error as Error).message}`,
        exitCodes.config,
      );
    }
  };
  return grpc.credentials.createSsl(
    read(tls.ca, 'tls.ca'),
    read(tls.key, 'tls.key'),
    read(tls.cert, 'tls.cert'),
  );
}
