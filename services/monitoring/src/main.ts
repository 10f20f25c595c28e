// Composition root of the monitoring service: config → logger/telemetry → wiring → serve → stop on SIGTERM.
import { runService, stopOnSignals } from '@flywheel/runtime';
import { loadMonitoringConfig } from './config.ts';
import { wireMonitoring } from './wire-monitoring.ts';

const config = loadMonitoringConfig(process.env);
const service = await runService({
  name: 'monitoring',
  config,
  wire: (host) => wireMonitoring(host, config),
});
stopOnSignals(service.stop, service.log);
