export type { MonitoringConfig } from './config.ts';
export { loadMonitoringConfig } from './config.ts';
export { wireMonitoring } from './wire-monitoring.ts';
