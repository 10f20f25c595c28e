import { create } from '@bufbuild/protobuf';
import {
  CommandStepSchema,
  KubernetesJobOptionsSchema,
} from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandJob } from '../src/executors/job-executor.ts';
import { createKubernetesJobExecutor } from '../src/executors/kubernetes-job-executor.ts';
import {
  jobManifest,
  kubernetesJobName,
  kubernetesOptionsProblems,
  quantityValue,
} from '../src/executors/kubernetes-job-spec.ts';
import { capacityOfNodes } from '../src/executors/kubernetes-watch.ts';
import { createLocalProcessExecutor } from '../src/executors/local-process-executor.ts';
import { createRayJobExecutor } from '../src/executors/ray-job-executor.ts';

// Issue 15: the Kubernetes executor's Job of one attempt, built without a cluster (the executor
// against a real API server is test/kubernetes-executor-contract.test.ts).
const job = (extra: Partial<CommandJob> = {}): CommandJob => ({
  jobId: 'run-0123/Train_Model.v2/1',
  runId: 'run-0123',
  pipelineName: 'weekly',
  stepName: 'Train_Model.v2',
  attempt: 1,
  argv: ['python', '-m', 'train'],
  env: { MODE: 'fast' },
  workingDir: '/work',
  image: 'trainer:1',
  resources: { cpu: 2, memoryMib: 512, gpu: 1 },
  parametersFile: { lr: 0.1, inputs: {} },
  jobDir: '/tmp/unused',
  signal: new AbortController().signal,
  logs: { write: () => {} } as unknown as CommandJob['logs'],
  started: async () => {},
  ...extra,
});

describe('the Kubernetes Job of an attempt', () => {
  it('is named from run, step and attempt: the same name again, a DNS-1123 label of at most 63', () => {
    const name = kubernetesJobName(job());
    expect(name).toBe(kubernetesJobName(job()));
    expect(name).toMatch(/^flywheel-train-model-v2-1-[0-9a-f]{12}$/);
    expect(kubernetesJobName(job({ attempt: 2 }))).not.toBe(name);
    expect(kubernetesJobName(job({ jobId: 'run-9999/Train_Model.v2/1' }))).not.toBe(name);
    const long = kubernetesJobName(
      job({ stepName: 'x'.repeat(200), jobId: `r/${'x'.repeat(200)}/12`, attempt: 12 }),
    );
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it('carries image, command, env, resources and every kubernetes option into the Job spec', () => {
    const kubernetes = create(KubernetesJobOptionsSchema, {
      nodeSelector: { pool: 'gpu' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      serviceAccount: 'trainer',
      secretEnv: { TOKEN: { secret: 'hub', key: 'token' } },
      imagePullPolicy: 'IfNotPresent',
      activeDeadline: { seconds: 90n, nanos: 1 },
      ttlSecondsAfterFinished: 600,
      labels: { team: 'ml' },
      annotations: { note: 'x' },
    });
    const manifest = jobManifest(job({ kubernetes }), 'flywheel-x', { defaultTtlSeconds: 86_400 });
    expect(manifest.metadata?.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'flywheel',
      'flywheel.io/run-id': 'run-0123',
      'flywheel.io/step': 'Train_Model.v2',
      'flywheel.io/attempt': '1',
      team: 'ml',
    });
    expect(manifest.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 91,
      ttlSecondsAfterFinished: 600,
    });
    const pod = manifest.spec?.template.spec;
    expect(pod).toMatchObject({
      restartPolicy: 'Never',
      serviceAccountName: 'trainer',
      nodeSelector: { pool: 'gpu' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
    });
    const container = pod?.containers[0];
    expect(container).toMatchObject({
      image: 'trainer:1',
      command: ['python', '-m', 'train'],
      workingDir: '/work',
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'FallbackToLogsOnError',
      resources: {
        requests: { cpu: '2', memory: '512Mi', 'nvidia.com/gpu': '1' },
        limits: { cpu: '2', memory: '512Mi', 'nvidia.com/gpu': '1' },
      },
    });
    expect(container?.env).toEqual(
      expect.arrayContaining([
        { name: 'MODE', value: 'fast' },
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'hub', key: 'token' } } },
        { name: 'FLYWHEEL_PARAMETERS_FILE', value: '/var/run/flywheel/parameters.json' },
        { name: 'FLYWHEEL_OUTPUTS_FILE', value: '/dev/termination-log' },
      ]),
    );
    // The parameters travel in a pod annotation that a downward-API volume makes a file.
    const annotations = manifest.spec?.template.metadata?.annotations ?? {};
    expect(JSON.parse(annotations['flywheel.io/parameters'] ?? '')).toEqual({ lr: 0.1, inputs: {} });
    expect(pod?.volumes?.[0]?.downwardAPI?.items?.[0]?.fieldRef?.fieldPath).toBe(
      "metadata.annotations['flywheel.io/parameters']",
    );
  });

  it('takes the executor default TTL and sets no resources when the step asks none', () => {
    const manifest = jobManifest(job({ resources: { cpu: 0, memoryMib: 0, gpu: 0 } }), 'n', {
      defaultTtlSeconds: 120,
    });
    expect(manifest.spec?.ttlSecondsAfterFinished).toBe(120);
    expect(manifest.spec?.activeDeadlineSeconds).toBeUndefined();
    expect(manifest.spec?.template.spec?.containers[0]?.resources).toEqual({});
    expect(manifest.spec?.template.spec?.tolerations).toBeUndefined();
    // A GPU request tolerates the GPU nodes' taint, as Kubernetes' ExtendedResourceToleration does.
    const gpu = jobManifest(job(), 'n', { defaultTtlSeconds: 120 });
    expect(gpu.spec?.template.spec?.tolerations).toEqual([
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    ]);
  });

  it('names each wrong kubernetes option under its field', () => {
    const problems = kubernetesOptionsProblems(
      create(KubernetesJobOptionsSchema, {
        tolerations: [{ key: '', operator: 'Maybe', effect: 'Sometimes' }],
        secretEnv: { MODE: { secret: 'hub', key: '' }, FLYWHEEL_X: { secret: 'Bad_Name', key: 'k' } },
        imagePullPolicy: 'Sometimes',
        activeDeadline: { seconds: 0n },
        labels: { 'flywheel.io/run-id': 'x', ok: 'not a value' },
        annotations: { 'flywheel.io/parameters': '{}' },
      }),
      { MODE: 'fast' },
      'spec.steps[0].command.kubernetes',
    );
    const at = (field: string) => expect.stringContaining(`spec.steps[0].command.kubernetes.${field}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        at('tolerations[0].operator'),
        at('tolerations[0].effect'),
        at('tolerations[0].key'),
        at('secret_env.MODE: the step'),
        at('secret_env.MODE.key'),
        at('secret_env.FLYWHEEL_X: FLYWHEEL_'),
        at('secret_env.FLYWHEEL_X.secret'),
        at('image_pull_policy'),
        at('active_deadline'),
        at('labels.flywheel.io/run-id'),
        at('labels.ok'),
        at('annotations.flywheel.io/parameters'),
      ]),
    );
  });

  it('reads Kubernetes quantities and the largest ready node per resource', () => {
    expect(quantityValue('500m')).toBe(0.5);
    expect(quantityValue('16Gi')).toBe(16 * 2 ** 30);
    expect(quantityValue('1e3')).toBe(1000);
    expect(quantityValue('4')).toBe(4);
    expect(quantityValue('x')).toBeNaN();
    const ready = [{ type: 'Ready', status: 'True' }];
    expect(
      capacityOfNodes([
        { status: { conditions: ready, allocatable: { cpu: '8', memory: '32Gi' } } },
        { status: { conditions: ready, allocatable: { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': '2' } } },
        {
          spec: { unschedulable: true },
          status: { conditions: ready, allocatable: { 'nvidia.com/gpu': '8' } },
        },
        { status: { conditions: [{ type: 'Ready', status: 'False' }], allocatable: { cpu: '64' } } },
      ]),
    ).toEqual({ cpu: 8, memoryMib: 32 * 1024, gpu: 2, nodes: 2 });
    expect(capacityOfNodes([])).toBeUndefined();
  });
});

describe("the Kubernetes executor's submit-time checks", () => {
  // An API server nobody listens on: the checks need none.
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromClusterAndUser(
    { name: 'none', server: 'http://127.0.0.1:9', skipTLSVerify: false },
    { name: 'none' },
  );
  const executor = createKubernetesJobExecutor({ namespace: 'flywheel', kubeConfig, capacityRefreshMs: 0 });
  afterAll(() => executor.stop());
  const check = (step: object) => () =>
    executor.checkStep?.(create(CommandStepSchema, { command: ['x'], ...step }), 'spec.steps[1].command');

  it('refuses a step without an image, with Ray options, or with a wrong kubernetes option', () => {
    expect(check({})).toThrow(/spec\.steps\[1\]\.command\.image.*image is required/);
    expect(check({ image: 'a:1', ray: {} })).toThrow(/spec\.steps\[1\]\.command\.ray/);
    expect(check({ image: 'a:1', kubernetes: { imagePullPolicy: 'Sometimes' } })).toThrow(
      /spec\.steps\[1\]\.command\.kubernetes\.image_pull_policy/,
    );
    expect(check({ image: 'a:1', kubernetes: { nodeSelector: { pool: 'gpu' } } })).not.toThrow();
  });

  it('is the only executor that takes kubernetes options', () => {
    const step = create(CommandStepSchema, { command: ['x'], kubernetes: {} });
    for (const other of [
      createLocalProcessExecutor({ killGraceMs: 1000 }),
      createRayJobExecutor({ address: 'http://127.0.0.1:9', capacityRefreshMs: 0 }),
    ])
      expect(() => other.checkStep?.(step, 'spec.steps[0].command')).toThrow(
        /spec\.steps\[0\]\.command\.kubernetes.*Kubernetes executor/,
      );
  });
});
