// Composition root of the registry service: config → logger/telemetry → wiring → serve → stop on SIGTERM.
import { runService, stopOnSignals } from '@flywheel/runtime';
import { loadRegistryConfig } from './config.ts';
import { wireRegistry } from './wire-registry.ts';

const config = loadRegistryConfig(process.env);
const service = await runService({
  name: 'registry',
  config,
  wire: (host) => wireRegistry(host, config),
});
stopOnSignals(service.stop, service.log);
