export { encodeRawInferResponse } from './api/infer-response-wire.ts';
export { inferencePolicy, restPolicy, servingPolicy } from './api/serving-policy.ts';
export type { ServingConfig } from './config.ts';
export { loadServingConfig } from './config.ts';
export { wireServing } from './wire-serving.ts';
