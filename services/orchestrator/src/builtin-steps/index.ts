// For the engine (wire-orchestrator.ts): build the steps once per service with
//   createBuiltinSteps({
//     blobs: host.infra.blobs,
//     store: host.infra.store,
//     registry: createRpcClient(RegistryService, { address: config.peers.registry }),
//     featureStore: createRpcClient(FeatureStoreService, { address: config.peers['feature-store'] }),
//     log: host.log,
//     codeVersion, // optional: e.g. from FLYWHEEL_CODE_VERSION / the image digest; recorded in lineage
//     filesDir: join(config.workDir, 'files'), // optional: where blob-to-file writes files for command steps
//   })
// and close both clients in the wiring's close(). `promote` writes `promotion-decisions` docs with a
// `promotion.passed` or `promotion.rejected` outbox entry to host.infra.store, which the host's outbox relay publishes.
// Step parameters are read after template resolution, recursively inside lists and objects
// (select-best's `candidates` holds templated objects), keeping a lone reference's JSON type.

import { createBatchPredictStep } from './batch-predict-step.ts';
import { createBlobToFileStep } from './blob-to-file-step.ts';
import type { BuiltinStepDeps } from './builtin-step-deps.ts';
import { createEvaluateStep } from './evaluate-step.ts';
import { createFileToBlobStep } from './file-to-blob-step.ts';
import { createPromoteStep } from './promote-step.ts';
import { createRegisterStep } from './register-step.ts';
import { defaultPeerRetryBudgetMs, retryPeerCalls } from './retry-peer-calls.ts';
import { createSelectBestStep } from './select-best-step.ts';
import type { BuiltinSteps } from './step-types.ts';
import { createTrainStep } from './train-step.ts';
import { createTrainingSetStep } from './training-set-step.ts';

export type {
  BuiltinStepDeps,
  FeatureStoreClient,
  InferenceClient,
  RegistryClient,
} from './builtin-step-deps.ts';
export type { PromotionDecisionRecord } from './promotion-decision-records.ts';
export { promotionDecisionsCollection } from './promotion-decision-records.ts';
export type { GateOutcome, PromotionVerdict } from './promotion-gate.ts';
export { decidePromotion } from './promotion-gate.ts';

/**
 * Flywheel's built-in ML steps, by the name a PipelineSpec's `builtin.name` uses:
 * `training-set`, `train`, `evaluate`, `register`, `promote`, `select-best`, `batch-predict` (scores a
 * blob data set through a serving deployment), and `blob-to-file` / `file-to-blob`, which hand
 * blobs to command steps as files and back. Each module documents
 * its parameters and outputs; every output is JSON (versions are numbers). Errors are AppErrors:
 * bad parameters are invalid_argument naming `parameters.<name>` and never retried; peer and store
 * outages keep their retriable codes. Every call to a peer (registry, feature store, serving) is
 * retried while it fails retriably, for `peerRetryBudgetMs` ({@link retryPeerCalls}), so a peer's
 * restart does not fail the step.
 */
export function createBuiltinSteps(given: BuiltinStepDeps): BuiltinSteps {
  const budgetMs = given.peerRetryBudgetMs ?? defaultPeerRetryBudgetMs;
  const peer = <C extends object>(client: C, name: string): C =>
    budgetMs > 0 ? retryPeerCalls(client, { budgetMs, log: given.log, peer: name }) : client;
  const deps: BuiltinStepDeps = {
    ...given,
    registry: peer(given.registry, 'registry'),
    featureStore: peer(given.featureStore, 'feature-store'),
    ...(given.inference ? { inference: peer(given.inference, 'serving') } : {}),
  };
  return {
    'training-set': createTrainingSetStep(deps),
    train: createTrainStep(deps),
    evaluate: createEvaluateStep(deps),
    register: createRegisterStep(deps),
    promote: createPromoteStep(deps),
    'select-best': createSelectBestStep(),
    'blob-to-file': createBlobToFileStep(deps),
    'file-to-blob': createFileToBlobStep(deps),
    'batch-predict': createBatchPredictStep(deps),
  };
}
