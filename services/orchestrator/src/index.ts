export type { OrchestratorConfig } from './config.ts';
export { loadOrchestratorConfig } from './config.ts';
export { wireOrchestrator } from './wire-orchestrator.ts';
