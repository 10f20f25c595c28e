import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigReader, type Env } from '@flywheel/core';
import {
  type HostConfig,
  type InfraConfig,
  readHostConfig,
  readInfraConfig,
  readPeers,
} from '@flywheel/runtime';
import { type AdmissionConfig, readAdmissionConfig, unlimitedAdmission } from './admission/queue-config.ts';

/** Everything the orchestrator service reads from its environment, parsed once. */
export interface OrchestratorConfig {
  host: HostConfig;
  infra: InfraConfig;
  /** Where the services it calls listen (the scheduler: for SubmitRun with a stored pipeline). */
  peers: Record<'registry' | 'feature-store' | 'monitoring' | 'scheduler' | 'serving', string>;
  /** Root of the job directories: parameters, outputs and artifacts of each attempt. */
  workDir: string;
  /** Where the local executor keeps `CommandStep.python` environments (FLYWHEEL_ORCHESTRATOR_VENV_DIR). */
  pythonEnvironmentsDir: string;
  /** The interpreter of environments that name none (FLYWHEEL_PYTHON, default python3). */
  defaultPython: string;
  /** Jobs running at once across all runs (executor capacity). */
  maxConcurrentJobs: number;
  /** Between SIGTERM and SIGKILL when a command step is stopped, ms. */
  killGraceMs: number;
  /** Recorded as the code version in the lineage of the model versions runs register; empty when unknown. */
  codeVersion: string;
  /** How long built-in steps retry a peer call that fails retriably (a peer restarting), ms. */
  peerRetryBudgetMs: number;
  /** How long a replica's claim on a run lasts without renewal before another replica takes it over, ms. */
  runLeaseMs: number;
  /** Queues, per-team quotas and shared capacity (FLYWHEEL_ORCHESTRATOR_QUEUES); default one unlimited queue. */
  admission: AdmissionConfig;
  /** The Ray executor ("ray"), when `FLYWHEEL_RAY_ADDRESS` names a Ray dashboard (Jobs REST API). */
  ray?: { address: string; sharedFilesystem: boolean; capacityRefreshMs: number };
  /**
   * The Kubernetes executor ("kubernetes"), when `FLYWHEEL_KUBERNETES_NAMESPACE` names the
   * namespace its Jobs run in (the cluster from $KUBECONFIG, else ~/.kube/config, else in-cluster).
   */
  kubernetes?: { namespace: string; defaultTtlSeconds: number; capacityRefreshMs: number };
}

/**
 * The orchestrator service's settings; see the README for the variables:
 * `FLYWHEEL_ORCHESTRATOR_WORK_DIR` (default `<tmp>/flywheel-orchestrator`),
 * `FLYWHEEL_ORCHESTRATOR_VENV_DIR` (default `<work dir>/.python-environments`), `FLYWHEEL_PYTHON`
 * (default `python3`),
 * `FLYWHEEL_ORCHESTRATOR_MAX_CONCURRENT_JOBS` (default the CPU count, at least 2),
 * `FLYWHEEL_ORCHESTRATOR_KILL_GRACE` (default 10s), `FLYWHEEL_CODE_VERSION` (default empty),
 * `FLYWHEEL_ORCHESTRATOR_PEER_RETRY_BUDGET` (default 90s), `FLYWHEEL_ORCHESTRATOR_RUN_LEASE` (default 30s,
 * at least 300ms), `FLYWHEEL_ORCHESTRATOR_QUEUES` (inline JSON or a JSON/YAML file; default one
 * queue `default` without quotas), `FLYWHEEL_RAY_ADDRESS` (enables the executor "ray"; default unset) and
 * `FLYWHEEL_RAY_SHARED_FILESYSTEM` (default false), `FLYWHEEL_RAY_CAPACITY_REFRESH` (how often Ray's
 * nodes are listed; default 30s, 0 never), `FLYWHEEL_KUBERNETES_NAMESPACE` (enables the executor
 * "kubernetes" in that namespace; default unset), `FLYWHEEL_KUBERNETES_JOB_TTL` (default 24h) and
 * `FLYWHEEL_KUBERNETES_CAPACITY_REFRESH` (default 30s, 0 never). Throws one error listing every problem.
 */
export function loadOrchestratorConfig(env: Env): OrchestratorConfig {
  const reader = new ConfigReader(env);
  const host = readHostConfig(reader, 'orchestrator');
  const infra = readInfraConfig(reader, 'orchestrator');
  const peers = readPeers(reader, ['registry', 'feature-store', 'monitoring', 'scheduler', 'serving']);
  const workDir = reader.string('FLYWHEEL_ORCHESTRATOR_WORK_DIR', join(tmpdir(), 'flywheel-orchestrator'));
  const pythonEnvironmentsDir = reader.string(
    'FLYWHEEL_ORCHESTRATOR_VENV_DIR',
    join(workDir, '.python-environments'),
  );
  const defaultPython = reader.string('FLYWHEEL_PYTHON', 'python3');
  const maxConcurrentJobs = reader.int(
    'FLYWHEEL_ORCHESTRATOR_MAX_CONCURRENT_JOBS',
    Math.max(2, availableParallelism()),
    {
      min: 1,
      max: 1024,
    },
  );
  const killGraceMs = reader.durationMs('FLYWHEEL_ORCHESTRATOR_KILL_GRACE', '10s');
  const codeVersion = reader.string('FLYWHEEL_CODE_VERSION', '');
  const peerRetryBudgetMs = reader.durationMs('FLYWHEEL_ORCHESTRATOR_PEER_RETRY_BUDGET', '90s');
  const runLeaseMs = reader.durationMs('FLYWHEEL_ORCHESTRATOR_RUN_LEASE', '30s');
  if (runLeaseMs < 300)
    reader.problem('FLYWHEEL_ORCHESTRATOR_RUN_LEASE', `must be at least 300ms, got ${runLeaseMs}ms`);
  let admission = unlimitedAdmission;
  const queues = reader.optional('FLYWHEEL_ORCHESTRATOR_QUEUES');
  if (queues) {
    try {
      admission = readAdmissionConfig(queues);
    } catch (error) {
      reader.problem('FLYWHEEL_ORCHESTRATOR_QUEUES', (error as Error).message);
    }
  }
  const rayAddress = reader.url('FLYWHEEL_RAY_ADDRESS', ['http:', 'https:']);
  const raySharedFilesystem = reader.bool('FLYWHEEL_RAY_SHARED_FILESYSTEM', false);
  const rayCapacityRefreshMs = reader.durationMs('FLYWHEEL_RAY_CAPACITY_REFRESH', '30s');
  const kubernetesNamespace = reader.optional('FLYWHEEL_KUBERNETES_NAMESPACE');
  if (kubernetesNamespace && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(kubernetesNamespace))
    reader.problem('FLYWHEEL_KUBERNETES_NAMESPACE', `"${kubernetesNamespace}" is not a namespace name`);
  const kubernetesTtlMs = reader.durationMs('FLYWHEEL_KUBERNETES_JOB_TTL', '24h');
  const kubernetesCapacityRefreshMs = reader.durationMs('FLYWHEEL_KUBERNETES_CAPACITY_REFRESH', '30s');
  reader.done();
  return {
    ...(kubernetesNamespace
      ? {
          kubernetes: {
            namespace: kubernetesNamespace,
            defaultTtlSeconds: Math.max(1, Math.ceil(kubernetesTtlMs / 1000)),
            capacityRefreshMs: kubernetesCapacityRefreshMs,
          },
        }
      : {}),
    ...(rayAddress
      ? {
          ray: {
            address: rayAddress.href,
            sharedFilesystem: raySharedFilesystem,
            capacityRefreshMs: rayCapacityRefreshMs,
          },
        }
      : {}),
    host,
    infra,
    peers,
    workDir,
    pythonEnvironmentsDir,
    defaultPython,
    maxConcurrentJobs,
    killGraceMs,
    codeVersion,
    peerRetryBudgetMs,
    runLeaseMs,
    admission,
  };
}
