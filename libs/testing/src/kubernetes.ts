import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The loopback Kubernetes cluster `servers.sh start kubernetes` runs: a real kube-apiserver (RBAC
 * on), controller manager and scheduler, with kwok playing two fake nodes and their pods (no
 * kubelet: containers do not run; see scripts/servers/README.md for the pod annotations that pick
 * a pod's outcome).
 */
export interface RealKubernetes {
  /** `KUBECONFIG`: an admin (system:masters) kubeconfig whose context's namespace is `namespace`. */
  kubeconfig: string;
  /** `FLYWHEEL_KUBECTL`: the kubectl built with the cluster (same version). */
  kubectl: string;
  /** `FLYWHEEL_KUBERNETES_NAMESPACE`: the namespace tests create their objects in (flywheel-test). */
  namespace: string;
}

/** The cluster of this test run from its variables; throws (failing, never skipping the test) when one is missing. */
export function realKubernetes(
  env: Readonly<Record<string, string | undefined>> = process.env,
): RealKubernetes {
  const need = (name: string): string => {
    const value = env[name];
    if (!value)
      throw new Error(
        `${name} is not set: Kubernetes tests need the loopback cluster running. Run \`./flywheel test\`, or ` +
          '`./flywheel servers start kubernetes && source .run/servers/servers.env` before vitest.',
      );
    return value;
  };
  return {
    kubeconfig: need('KUBECONFIG'),
    kubectl: need('FLYWHEEL_KUBECTL'),
    namespace: need('FLYWHEEL_KUBERNETES_NAMESPACE'),
  };
}

export interface KubectlOptions {
  /** Written to kubectl's stdin (for `apply -f -`, `create -f -`). */
  input?: string;
  /** Default 30 s. */
  timeoutMs?: number;
}

/**
 * Runs `kubectl ARGS` against `cluster` in its namespace and resolves with stdout; rejects with
 * kubectl's stderr in the message when it exits non-zero.
 */
export async function kubectl(
  cluster: RealKubernetes,
  args: string[],
  options: KubectlOptions = {},
): Promise<string> {
  const child = run(
    cluster.kubectl,
    [
      `--kubeconfig=${cluster.kubeconfig}`,
      `--namespace=${cluster.namespace}`,
      '--request-timeout=20s',
      ...args,
    ],
    { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 },
  );
  if (options.input !== undefined) {
    child.child.stdin?.end(options.input);
  }
  try {
    return (await child).stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`kubectl ${args.join(' ')} failed${stderr ? `: ${stderr}` : ''}`, { cause: error });
  }
}

/** `kubectl get ... -o json`, parsed. */
export async function kubectlJson<T = unknown>(cluster: RealKubernetes, args: string[]): Promise<T> {
  return JSON.parse(await kubectl(cluster, [...args, '-o', 'json'])) as T;
}
