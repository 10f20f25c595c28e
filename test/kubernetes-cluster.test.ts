import { kubectl, kubectlJson, realKubernetes, uniqueName, waitFor } from '@flywheel/testing';
import { afterAll, describe, expect, it } from 'vitest';

// The loopback cluster of scripts/servers (servers.sh start kubernetes) as a user sees it with
// kubectl: the real Job controller, scheduler, garbage collector, TTL controller and RBAC, with kwok
// playing the pods (no kubelet: nothing runs; the annotations pick the outcome, see
// scripts/servers/kwok-stages.yaml).
const cluster = realKubernetes();
const run = uniqueName('k8s');
const label = `flywheel.dev/test=${run}`;
const deadline = { timeoutMs: 90_000, intervalMs: 250 };
const slow = 150_000;

interface Condition {
  type: string;
  status: string;
  reason?: string;
}
interface ContainerState {
  terminated?: { exitCode: number; reason?: string; message?: string };
  waiting?: { reason?: string; message?: string };
  running?: object;
}
interface Pod {
  metadata: { name: string };
  spec: { nodeName?: string };
  status: {
    phase: string;
    conditions?: Condition[];
    containerStatuses?: { name: string; state: ContainerState }[];
  };
}
interface Job {
  status: { conditions?: Condition[]; succeeded?: number; failed?: number };
}
interface List<T> {
  items: T[];
}

const container = {
  name: 'main',
  image: 'registry.invalid/flywheel/step:1',
  command: ['python', '-m', 'step'],
};

interface JobOptions {
  annotations?: Record<string, string>;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
}

async function createJob(name: string, options: JobOptions = {}): Promise<void> {
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { 'flywheel.dev/test': run } },
    spec: {
      backoffLimit: 0,
      ...(options.activeDeadlineSeconds === undefined
        ? {}
        : { activeDeadlineSeconds: options.activeDeadlineSeconds }),
      ...(options.ttlSecondsAfterFinished === undefined
        ? {}
        : { ttlSecondsAfterFinished: options.ttlSecondsAfterFinished }),
      template: {
        metadata: { labels: { 'flywheel.dev/test': run }, annotations: options.annotations ?? {} },
        spec: { restartPolicy: 'Never', containers: [container] },
      },
    },
  };
  await kubectl(cluster, ['create', '-f', '-'], { input: JSON.stringify(job) });
}

const condition = (conditions: Condition[] | undefined, type: string): Condition | undefined =>
  conditions?.find((c) => c.type === type && c.status === 'True');

function waitForJobCondition(name: string, type: 'Complete' | 'Failed'): Promise<Condition> {
  return waitFor(
    async () => condition((await kubectlJson<Job>(cluster, ['get', 'job', name])).status.conditions, type),
    { ...deadline, what: `job ${name} ${type}` },
  );
}

async function podsOf(job: string): Promise<Pod[]> {
  return (await kubectlJson<List<Pod>>(cluster, ['get', 'pods', '-l', `job-name=${job}`])).items;
}

function waitForPod(job: string, accept: (pod: Pod) => boolean, what: string): Promise<Pod> {
  return waitFor(async () => (await podsOf(job)).find(accept), {
    ...deadline,
    what: `a pod of ${job} ${what}`,
  });
}

async function gone(kind: string, name: string): Promise<boolean> {
  const out = await kubectl(cluster, ['get', kind, name, '--ignore-not-found', '-o', 'name']);
  return out.trim() === '';
}

afterAll(async () => {
  await kubectl(cluster, [
    'delete',
    'jobs,pods,serviceaccounts,roles,rolebindings',
    '-l',
    label,
    '--wait=false',
  ]);
});

describe('the loopback Kubernetes cluster (real API server, kwok nodes)', () => {
  it('runs a CPU node and a GPU node that advertises nvidia.com/gpu, tainted for GPU work only', async () => {
    const nodes = await kubectlJson<
      List<{
        metadata: { name: string; labels: Record<string, string> };
        spec: { taints?: { key: string; value?: string; effect: string }[] };
        status: { allocatable: Record<string, string>; conditions: Condition[] };
      }>
    >(cluster, ['get', 'nodes']);
    const byName = new Map(nodes.items.map((n) => [n.metadata.name, n]));
    const cpu = byName.get('kwok-cpu-1');
    const gpu = byName.get('kwok-gpu-1');
    expect(condition(cpu?.status.conditions, 'Ready')).toBeDefined();
    expect(condition(gpu?.status.conditions, 'Ready')).toBeDefined();
    expect(cpu?.status.allocatable).toMatchObject({ cpu: '8', memory: '32Gi' });
    expect(gpu?.status.allocatable['nvidia.com/gpu']).toBe('2');
    expect(gpu?.metadata.labels['flywheel.dev/accelerator']).toBe('nvidia');
    expect(gpu?.spec.taints).toContainEqual({
      key: 'nvidia.com/gpu',
      value: 'present',
      effect: 'NoSchedule',
    });
  });

  it(
    'a Job completes: its controller makes the pod, the scheduler binds it, kwok plays it to Succeeded',
    async () => {
      const name = uniqueName('ok');
      await createJob(name);
      await waitForJobCondition(name, 'Complete');
      const [pod] = await podsOf(name);
      expect(pod?.status.phase).toBe('Succeeded');
      expect(pod?.spec.nodeName).toBe('kwok-cpu-1');
      expect(pod?.status.containerStatuses?.[0]?.state.terminated).toMatchObject({
        exitCode: 0,
        reason: 'Completed',
      });
    },
    slow,
  );

  it(
    'pod logs come through the API server from kwok, which says that nothing ran',
    async () => {
      const name = uniqueName('logs');
      await createJob(name);
      await waitForJobCondition(name, 'Complete');
      expect(await kubectl(cluster, ['logs', `job/${name}`])).toContain('no container ran');
    },
    slow,
  );

  it(
    'a pod annotated to fail ends OOMKilled with exit code 137, and its Job fails',
    async () => {
      const name = uniqueName('oom');
      await createJob(name, {
        annotations: {
          'kwok.flywheel.dev/outcome': 'fail',
          'kwok.flywheel.dev/reason': 'OOMKilled',
          'kwok.flywheel.dev/exit-code': '137',
        },
      });
      await waitForJobCondition(name, 'Failed');
      const [pod] = await podsOf(name);
      expect(pod?.status.phase).toBe('Failed');
      expect(pod?.status.containerStatuses?.[0]?.state.terminated).toMatchObject({
        exitCode: 137,
        reason: 'OOMKilled',
      });
    },
    slow,
  );

  it(
    'a pod annotated image-pull-backoff stays Pending, its container waiting in ImagePullBackOff',
    async () => {
      const name = uniqueName('pull');
      await createJob(name, { annotations: { 'kwok.flywheel.dev/outcome': 'image-pull-backoff' } });
      const pod = await waitForPod(
        name,
        (p) => p.status.containerStatuses?.[0]?.state.waiting?.reason === 'ImagePullBackOff',
        'waiting in ImagePullBackOff',
      );
      expect(pod.status.phase).toBe('Pending');
      expect(pod.status.containerStatuses?.[0]?.state.waiting?.message).toContain(container.image);
    },
    slow,
  );

  it(
    'activeDeadlineSeconds ends a pod that keeps running: the Job fails with DeadlineExceeded',
    async () => {
      const name = uniqueName('deadline');
      await createJob(name, {
        annotations: { 'kwok.flywheel.dev/outcome': 'run' },
        activeDeadlineSeconds: 3,
      });
      const failed = await waitForJobCondition(name, 'Failed');
      expect(failed.reason).toBe('DeadlineExceeded');
    },
    slow,
  );

  it(
    'deleting a running Job with foreground propagation deletes its pods too (garbage collector)',
    async () => {
      const name = uniqueName('cancel');
      await createJob(name, { annotations: { 'kwok.flywheel.dev/outcome': 'run' } });
      await waitForPod(name, (p) => p.status.phase === 'Running', 'Running');
      await kubectl(cluster, ['delete', 'job', name, '--cascade=foreground', '--wait=false']);
      await waitFor(async () => (await gone('job', name)) && (await podsOf(name)).length === 0, {
        ...deadline,
        what: `job ${name} and its pods deleted`,
      });
    },
    slow,
  );

  it(
    'ttlSecondsAfterFinished deletes a finished Job (TTL-after-finished controller)',
    async () => {
      const name = uniqueName('ttl');
      await createJob(name, { ttlSecondsAfterFinished: 1 });
      await waitForJobCondition(name, 'Complete').catch(async (error) => {
        if (!(await gone('job', name))) throw error; // already finished and deleted
      });
      await waitFor(() => gone('job', name), { ...deadline, what: `job ${name} deleted after its TTL` });
    },
    slow,
  );

  it(
    'a pod asking for a GPU lands on the GPU node; one asking for more GPUs than any node has stays unschedulable',
    async () => {
      const gpuPod = (name: string, gpus: number) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels: { 'flywheel.dev/test': run } },
        spec: {
          restartPolicy: 'Never',
          nodeSelector: { 'flywheel.dev/accelerator': 'nvidia' },
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
          containers: [{ ...container, resources: { limits: { 'nvidia.com/gpu': String(gpus) } } }],
        },
      });
      const one = uniqueName('gpu');
      const three = uniqueName('gpus');
      await kubectl(cluster, ['create', '-f', '-'], { input: JSON.stringify(gpuPod(one, 1)) });
      await kubectl(cluster, ['create', '-f', '-'], { input: JSON.stringify(gpuPod(three, 3)) });
      const placed = await waitFor(
        async () => {
          const pod = await kubectlJson<Pod>(cluster, ['get', 'pod', one]);
          return pod.status.phase === 'Running' && pod;
        },
        { ...deadline, what: `GPU pod ${one} running` },
      );
      expect(placed.spec.nodeName).toBe('kwok-gpu-1');
      const refused = await waitFor(
        async () =>
          (await kubectlJson<Pod>(cluster, ['get', 'pod', three])).status.conditions?.find(
            (c) => c.type === 'PodScheduled' && c.status === 'False',
          ),
        { ...deadline, what: `pod ${three} unschedulable` },
      );
      expect(refused.reason).toBe('Unschedulable');
    },
    slow,
  );

  it(
    'RBAC is enforced: a service account token is refused Jobs until a Role allows them',
    async () => {
      const account = uniqueName('sa');
      await kubectl(cluster, ['create', 'serviceaccount', account]);
      await kubectl(cluster, ['label', 'serviceaccount', account, label]);
      const token = (await kubectl(cluster, ['create', 'token', account, '--duration=10m'])).trim();
      const asAccount = ['--token', token, 'get', 'jobs'];
      await expect(kubectl(cluster, asAccount)).rejects.toThrow(/forbidden/i);
      await kubectl(cluster, ['create', 'role', account, '--verb=get,list', '--resource=jobs.batch']);
      await kubectl(cluster, [
        'create',
        'rolebinding',
        account,
        `--role=${account}`,
        `--serviceaccount=${cluster.namespace}:${account}`,
      ]);
      await kubectl(cluster, ['label', 'role,rolebinding', account, label]);
      await waitFor(() => kubectl(cluster, asAccount).then(() => true), {
        ...deadline,
        what: 'the Role to apply',
      });
      await expect(kubectl(cluster, ['--token', token, 'get', 'pods'])).rejects.toThrow(/forbidden/i);
    },
    slow,
  );
});
