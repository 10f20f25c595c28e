// Composition root of the serving service: config → logger/telemetry → wiring → serve → stop on SIGTERM.
import { runService, stopOnSignals } from '@flywheel/runtime';
import { loadServingConfig } from './config.ts';
import { wireServing } from './wire-serving.ts';

const config = loadServingConfig(process.env);
const service = await runService({
  name: 'serving',
  config,
  wire: (host) => wireServing(host, config),
});
stopOnSignals(service.stop, service.log);
