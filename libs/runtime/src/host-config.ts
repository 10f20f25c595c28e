import { ConfigReader, type Env, type LogLevel, logLevels } from '@flywheel/core';
import { type TelemetryExporter, telemetryExporters } from '@flywheel/telemetry/sdk';

/** How a service process serves, logs and traces; the same variables for all six services. */
export interface HostConfig {
  /** `host:port` the gRPC server binds; port 0 picks a free one. */
  grpcAddress: string;
  logLevel: LogLevel;
  telemetry: TelemetryExporter;
  otlpEndpoint: string;
  maxMessageBytes: number;
  defaultDeadlineMs: number;
  shutdownGraceMs: number;
}

/**
 * Reads the host settings of one service from `env`:
 * `FLYWHEEL_<SERVICE>_GRPC_ADDRESS` (else `FLYWHEEL_GRPC_ADDRESS`, else `127.0.0.1:<defaultPort>`),
 * `FLYWHEEL_LOG_LEVEL`, `FLYWHEEL_TELEMETRY` (off | console | otlp-proto | otlp-json),
 * `FLYWHEEL_OTLP_ENDPOINT`, `FLYWHEEL_MAX_MESSAGE_BYTES`, `FLYWHEEL_DEFAULT_DEADLINE`, `FLYWHEEL_SHUTDOWN_GRACE`.
 * Collects problems into `reader`; the caller calls `reader.done()` once its own settings are read.
 */
export function readHostConfig(reader: ConfigReader, service: string, defaultPort: number): HostConfig {
  const prefix = `FLYWHEEL_${service.toUpperCase().replaceAll('-', '_')}`;
  const grpcAddress =
    reader.optional(`${prefix}_GRPC_ADDRESS`) ??
    reader.string('FLYWHEEL_GRPC_ADDRESS', `127.0.0.1:${defaultPort}`);
  if (!/^[^\s]+:\d{1,5}$/.test(grpcAddress))
    reader.problem(`${prefix}_GRPC_ADDRESS`, `must be host:port, got "${grpcAddress}"`);
  const telemetry = reader.oneOf('FLYWHEEL_TELEMETRY', telemetryExporters, 'off');
  return {
    grpcAddress,
    logLevel: reader.oneOf('FLYWHEEL_LOG_LEVEL', logLevels, 'info'),
    telemetry,
    otlpEndpoint: reader.string('FLYWHEEL_OTLP_ENDPOINT', 'http://127.0.0.1:4318/v1/traces'),
    maxMessageBytes: reader.int('FLYWHEEL_MAX_MESSAGE_BYTES', 16 * 1024 * 1024, {
      min: 1024,
      max: 2 ** 31 - 1,
    }),
    defaultDeadlineMs: reader.durationMs('FLYWHEEL_DEFAULT_DEADLINE', '30s'),
    shutdownGraceMs: reader.durationMs('FLYWHEEL_SHUTDOWN_GRACE', '10s'),
  };
}

/** Host settings alone, for services with no settings of their own yet. */
export function loadHostConfig(env: Env, service: string, defaultPort: number): HostConfig {
  const reader = new ConfigReader(env);
  const config = readHostConfig(reader, service, defaultPort);
  reader.done();
  return config;
}
