// `./flywheel start`: the whole platform in one process on the embedded adapters, no servers needed.
import { stopOnSignals } from '@flywheel/runtime';
import { startPlatform } from './start-platform.ts';

const platform = await startPlatform(process.env);
stopOnSignals(platform.stop, platform.log);
