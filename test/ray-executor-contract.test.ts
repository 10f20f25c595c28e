import { createRayJobExecutor } from '@flywheel/orchestrator';
import { realRayAddress } from '@flywheel/testing';
import { describeExecutorContract } from './executor-contract.ts';

// The Ray executor against the real Ray of scripts/servers (its own network namespace, Jobs REST
// API relayed to FLYWHEEL_RAY_ADDRESS). Ray runs on this machine, so jobs see the suite's scratch
// directory; its processes are Ray's (not visible by the pid the orchestrator records): no pid
// checks. The attempt's submission id comes from run / step / attempt, so an orchestrator killed
// mid-job and restarted (FLYWHEEL_RAY_ADDRESS gives it the executor) adopts the Ray job.
const address = realRayAddress();
describeExecutorContract('ray', () => createRayJobExecutor({ address, pollMs: 250 }), {
  sameMachine: false,
  // Ray takes seconds to set up a job's runtime env on a loaded machine before the command starts.
  timeoutCaseSeconds: 20,
  restart: { outcome: 'adopts', env: { FLYWHEEL_RAY_ADDRESS: address } },
});
