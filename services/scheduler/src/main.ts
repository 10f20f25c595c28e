// Composition root of the scheduler service: config → logger/telemetry → wiring → serve → stop on SIGTERM.
import { runService, stopOnSignals } from '@flywheel/runtime';
import { loadSchedulerConfig } from './config.ts';
import { wireScheduler } from './wire-scheduler.ts';

const config = loadSchedulerConfig(process.env);
const service = await runService({
  name: 'scheduler',
  config,
  wire: (host) => wireScheduler(host, config),
});
stopOnSignals(service.stop, service.log);
