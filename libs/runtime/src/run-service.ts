import type { Logger } from '@flywheel/core';
import { createRpcServer, type RpcServer } from '@flywheel/rpc';
import { createJsonLogger } from '@flywheel/telemetry';
import { startTelemetry } from '@flywheel/telemetry/sdk';
import type { HostConfig } from './host-config.ts';

/** What a service adds to its host: its handlers on the server, and how to let go of its resources. */
export interface ServiceWiring {
  /** Stops consumers and closes adapters after the server stopped taking calls. */
  close?(): Promise<void>;
}

export interface RunServiceOptions {
  name: string;
  config: HostConfig;
  /** Registers the service's APIs on `server` and starts its consumers. */
  wire(host: { server: RpcServer; log: Logger }): Promise<ServiceWiring> | ServiceWiring;
  /** Defaults to a JSON logger on stdout at the configured level. */
  log?: Logger;
  /** Start the OpenTelemetry SDK for this process. Default true; false when several services share one process that already did. */
  startTelemetry?: boolean;
}

export interface RunningService {
  readonly name: string;
  readonly port: number;
  readonly log: Logger;
  /** Graceful stop: NOT_SERVING, drain calls in flight, close the wiring, flush traces. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Hosts one service: logger, telemetry, gRPC server (health, reflection, deadlines, limits), the
 * service's wiring, and a graceful stop. Logs `serving` with the bound port once ready.
 */
export async function runService(options: RunServiceOptions): Promise<RunningService> {
  const { config, name } = options;
  const log = options.log ?? createJsonLogger({ level: config.logLevel, base: { service: name } });
  const telemetry =
    options.startTelemetry === false
      ? undefined
      : startTelemetry({ serviceName: name, exporter: config.telemetry, otlpEndpoint: config.otlpEndpoint });
  const server = createRpcServer({
    log,
    maxReceiveMessageBytes: config.maxMessageBytes,
    maxSendMessageBytes: config.maxMessageBytes,
    defaultDeadlineMs: config.defaultDeadlineMs,
  });
  const wiring = await options.wire({ server, log });
  const port = await server.listen(config.grpcAddress);
  log.info('serving', { address: config.grpcAddress, port });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      log.info('stopping', { graceMs: config.shutdownGraceMs });
      await server.close({ graceMs: config.shutdownGraceMs });
      await wiring.close?.();
      await telemetry?.shutdown();
      log.info('stopped');
    })();
    return stopping;
  };
  return { name, port, log, stop };
}

/** Runs `stop` on the first SIGINT or SIGTERM, then exits 0 (1 if stopping failed). */
export function stopOnSignals(stop: () => Promise<void>, log: Logger): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info('signal received', { signal });
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error('stop failed', { error });
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
