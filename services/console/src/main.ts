// The console as its own process: reads FLYWHEEL_CONSOLE_* and the six services' addresses, serves until SIGTERM.
import { stopOnSignals } from '@flywheel/runtime';
import { createJsonLogger } from '@flywheel/telemetry';
import { loadConsoleConfig } from './config.ts';
import { startConsole } from './start-console.ts';

const config = loadConsoleConfig(process.env);
const log = createJsonLogger({ level: config.logLevel, base: { service: 'console' } });
const console_ = await startConsole(config, log);
log.info('console is up', { url: console_.url });
stopOnSignals(console_.stop, log);
