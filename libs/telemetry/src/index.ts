export type { JsonLoggerOptions } from './json-logger.ts';
export { createJsonLogger } from './json-logger.ts';
export type { Carrier } from './trace-context.ts';
export { activeTraceId, extractTraceContext, injectTraceContext } from './trace-context.ts';
