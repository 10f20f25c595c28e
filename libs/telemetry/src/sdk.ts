// The OpenTelemetry SDK, for composition roots only (main.ts, test harnesses): libraries import '@flywheel/telemetry'.

export type { Telemetry, TelemetryExporter, TelemetryOptions } from './start-telemetry.ts';
export {
  defaultZipkinEndpoint,
  parseTelemetryExporters,
  startTelemetry,
  telemetryExporters,
} from './start-telemetry.ts';
