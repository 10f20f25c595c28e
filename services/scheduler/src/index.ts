export { schedulerPolicy } from './api/scheduler-policy.ts';
export type { SchedulerConfig } from './config.ts';
export { loadSchedulerConfig } from './config.ts';
export type { SchedulerDeps } from './wire-scheduler.ts';
export { wireScheduler } from './wire-scheduler.ts';
