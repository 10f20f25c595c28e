import type { Doc } from '@flywheel/store';
import type { LiveModel } from '../runtime/live-model.ts';
import type { DeploymentRecord } from './deployment-records.ts';
import type { ResolvedVersion } from './model-resolver.ts';

/**
 * What a deployment sync asks of the traffic layer when it has loaded a new target version while
 * another is live: declared here so the deployment lifecycle does not depend on rollouts.
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
}
