export { monitoringPolicy } from './api/monitoring-policy.ts';
export type { MonitoringConfig } from './config.ts';
export { loadMonitoringConfig } from './config.ts';
export { type ProfileTable, profileDataset } from './profiles/profile-dataset.ts';
// The evaluation path without the store and bus, for bench/monitoring.
export type { MonitorRecord } from './records/monitor-records.ts';
export { evaluateWindow } from './windows/evaluate-window.ts';
export { wireMonitoring } from './wire-monitoring.ts';
