export type { ConsoleConfig } from './config.ts';
export { loadConsoleConfig } from './config.ts';
export type { RunningConsole } from './start-console.ts';
export { startConsole } from './start-console.ts';
