import { readFileSync } from 'node:fs';
import { ConfigReader, type Env, type LogLevel, logLevels } from '@flywheel/core';
import { readTlsConfig, type TlsConfig } from '@flywheel/rpc';
import { readPeers, type ServiceName, servicePorts } from '@flywheel/runtime';

/** Everything the console reads from its environment, parsed once. */
export interface ConsoleConfig {
  /** Where the console's HTTP server listens (`FLYWHEEL_CONSOLE_HTTP_ADDRESS`, default 127.0.0.1:7180). */
  httpHost: string;
  httpPort: number;
  /** The six services, at the same `FLYWHEEL_<SERVICE>_GRPC_ADDRESS` they bind to. */
  peers: Record<ServiceName, string>;
  /** How the console calls them: TLS (`FLYWHEEL_TLS_*`, its client certificate) and a bearer token. */
  tls: TlsConfig;
  /** `FLYWHEEL_CONSOLE_TOKEN_FILE`: a file holding the token sent as `authorization: Bearer …`. */
  tokenFile: string | undefined;
  /** `FLYWHEEL_CONSOLE_TRACE_URL`: a trace viewer's URL with `{traceId}`, e.g. Jaeger's `http://jaeger:16686/trace/{traceId}`. */
  traceUrl: string | undefined;
  logLevel: LogLevel;
}

/** The console's settings (services/console/README.md). Throws one error listing every problem. */
export function loadConsoleConfig(env: Env): ConsoleConfig {
  const reader = new ConfigReader(env);
  const address = reader.string('FLYWHEEL_CONSOLE_HTTP_ADDRESS', '127.0.0.1:7180');
  const match = /^(.+):(\d{1,5})$/.exec(address);
  if (!match) reader.problem('FLYWHEEL_CONSOLE_HTTP_ADDRESS', `must be host:port, got "${address}"`);
  const peers = readPeers(reader, Object.keys(servicePorts) as ServiceName[]);
  const tls = readTlsConfig(reader);
  const tokenFile = reader.optional('FLYWHEEL_CONSOLE_TOKEN_FILE');
  if (tokenFile !== undefined) {
    try {
      readFileSync(tokenFile, 'utf8');
    } catch {
      reader.problem('FLYWHEEL_CONSOLE_TOKEN_FILE', `cannot be read: "${tokenFile}"`);
    }
  }
  const traceUrl = reader.optional('FLYWHEEL_CONSOLE_TRACE_URL');
  if (traceUrl !== undefined && !traceUrl.includes('{traceId}')) {
    reader.problem('FLYWHEEL_CONSOLE_TRACE_URL', `must contain {traceId}, got "${traceUrl}"`);
  }
  const logLevel = reader.oneOf('FLYWHEEL_LOG_LEVEL', logLevels, 'info');
  reader.done();
  return {
    httpHost: match?.[1] ?? '127.0.0.1',
    httpPort: Number(match?.[2] ?? 7180),
    peers,
    tls,
    tokenFile,
    traceUrl,
    logLevel,
  };
}
