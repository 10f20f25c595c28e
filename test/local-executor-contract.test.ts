import { createLocalProcessExecutor } from '@flywheel/orchestrator';
import { describeExecutorContract } from './executor-contract.ts';

// The local process executor detaches each job and records its pid and /proc start time, so an
// orchestrator restarted after kill -9 adopts the job still running instead of starting another.
describeExecutorContract('local', () => createLocalProcessExecutor({ killGraceMs: 2_000 }), {
  restart: { outcome: 'adopts' },
});
