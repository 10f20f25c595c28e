export type { OrchestratorConfig } from './config.ts';
export { loadOrchestratorConfig } from './config.ts';
export type { CommandJob, JobExecutor } from './job-executor.ts';
export { JobFailure } from './job-executor.ts';
export type { LocalProcessExecutorOptions } from './local-process-executor.ts';
export { createLocalProcessExecutor } from './local-process-executor.ts';
export type { BuiltinStep, BuiltinSteps, StepContext } from './step-types.ts';
export type { OrchestratorWiringOptions } from './wire-orchestrator.ts';
export { wireOrchestrator } from './wire-orchestrator.ts';
