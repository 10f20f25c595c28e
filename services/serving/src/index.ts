export type { ServingConfig } from './config.ts';
export { loadServingConfig } from './config.ts';
export { wireServing } from './wire-serving.ts';
