import type { Doc } from '@flywheel/store';
import type { LiveModel } from '../runtime/live-model.ts';
import type { DeploymentRecord } from './deployment-records.ts';
import type { ResolvedVersion } from './model-resolver.ts';

/**
 * What the deployment lifecycle asks of the traffic layer (a sync that loaded a new target version
 * while another is live, following a stored deployment, a delete): declared here so the deployment
 * lifecycle does not depend on rollouts.
 */
export interface PolicyCanary {
  /**
   * When the deployment has a rollout policy, starts a canary of `model` instead of swapping it
   * in and returns true (the caller must not activate it); false when there is no policy canary.
   * Call under the deployment's lock.
   */
  startPolicyCanary(
    doc: Doc<DeploymentRecord>,
    model: LiveModel,
    resolved: ResolvedVersion,
    signal: AbortSignal,
  ): Promise<boolean>;
  /** True while this replica routes a traffic strategy of the deployment (its versions are the rollouts'). */
  routes(name: string): boolean;
  /** Ends here, without a store write, the strategy of a deployment that was deleted. Call under its lock. */
  forget(name: string): void;
}
