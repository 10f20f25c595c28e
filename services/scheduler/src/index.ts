export type { SchedulerConfig } from './config.ts';
export { loadSchedulerConfig } from './config.ts';
export { wireScheduler } from './wire-scheduler.ts';
