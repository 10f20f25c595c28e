import type { Logger } from '@flywheel/core';
import { closeConsoleClients, createConsoleClients } from './clients.ts';
import type { ConsoleConfig } from './config.ts';
import { startConsoleServer } from './http/console-server.ts';

export interface RunningConsole {
  readonly port: number;
  /** `http://<host>:<port>/`, to print and open. */
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts the console's HTTP server over the six services' gRPC clients. */
export async function startConsole(config: ConsoleConfig, log: Logger): Promise<RunningConsole> {
  const clients = createConsoleClients(config);
  const server = await startConsoleServer(
    { clients, traceUrl: config.traceUrl },
    { host: config.httpHost, port: config.httpPort, log },
  );
  const host = config.httpHost.includes(':') ? `[${config.httpHost}]` : config.httpHost;
  return {
    port: server.port,
    url: `http://${host}:${server.port}/`,
    stop: async () => {
      await server.close();
      closeConsoleClients(clients);
    },
  };
}
