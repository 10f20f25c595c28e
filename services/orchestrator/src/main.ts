// Composition root of the orchestrator service: config → logger/telemetry → wiring → serve → stop on SIGTERM.
import { runService, stopOnSignals } from '@flywheel/runtime';
import { loadOrchestratorConfig } from './config.ts';
import { wireOrchestrator } from './wire-orchestrator.ts';

const config = loadOrchestratorConfig(process.env);
const service = await runService({
  name: 'orchestrator',
  config,
  wire: (host) => wireOrchestrator(host, config),
});
stopOnSignals(service.stop, service.log);
