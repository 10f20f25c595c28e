import { createHash } from 'node:crypto';
import type { KubernetesJobOptions } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import type { V1EnvVar, V1Job, V1ResourceRequirements } from '@kubernetes/client-node';
import type { CommandJob } from './job-executor.ts';

/** The label every Job and pod of the executor carries (its watches select on it). */
export const managedByLabel = 'app.kubernetes.io/managed-by';
export const managedByValue = 'flywheel';
export const runIdLabel = 'flywheel.io/run-id';
export const stepLabel = 'flywheel.io/step';
export const attemptLabel = 'flywheel.io/attempt';
/** The pod annotation the parameters travel in; a downward-API volume makes it the parameters file. */
export const parametersAnnotation = 'flywheel.io/parameters';
/** The Job controller's label on the pods of a Job. */
export const jobNameLabel = 'batch.kubernetes.io/job-name';
export const containerName = 'step';
export const parametersMountDir = '/var/run/flywheel';
/** The container's termination message: Kubernetes keeps (at most 4 KiB of) it in the pod's status. */
export const outputsPath = '/dev/termination-log';
export const gpuResource = 'nvidia.com/gpu';
/** Largest parameters object a Job gets (annotations of an object are limited to 256 KiB in all). */
export const maxParametersBytes = 128 * 1024;

const imagePullPolicies = new Set(['Always', 'IfNotPresent', 'Never']);
const tolerationOperators = new Set(['', 'Equal', 'Exists']);
const taintEffects = new Set(['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute']);
const envName = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * The Kubernetes Job name of one attempt: derived from run, step and attempt (a digest of the job
 * id), so a restarted or second orchestrator creating the same attempt meets the Job that is
 * there (409) and adopts it. A DNS-1123 label of at most 63 characters.
 */
export function kubernetesJobName(job: Pick<CommandJob, 'jobId' | 'stepName' | 'attempt'>): string {
  const digest = createHash('sha256').update(job.jobId).digest('hex').slice(0, 12);
  const tail = `-${job.attempt}-${digest}`;
  const step = dnsLabelPart(job.stepName, 63 - 'flywheel-'.length - tail.length);
  return `flywheel-${step ? `${step}` : 'step'}${tail}`;
}

/** `text` as a label value Kubernetes accepts (at most 63 characters of [A-Za-z0-9-_.], alphanumeric at the ends). */
export function labelValueOf(text: string): string {
  return text
    .replace(/[^A-Za-z0-9-_.]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

function dnsLabelPart(text: string, max: number): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, max)
    .replace(/^-+|-+$/g, '');
}

/** What is wrong with a step's `kubernetes` options, each naming its field under `at`; empty when fine. */
export function kubernetesOptionsProblems(
  options: KubernetesJobOptions,
  env: Readonly<Record<string, string>>,
  at: string,
): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(options.nodeSelector))
    if (!labelValue.test(value) || value.length > 63)
      problems.push(`${at}.node_selector.${key}: "${value}" is not a label value`);
  for (const [i, toleration] of options.tolerations.entries()) {
    const where = `${at}.tolerations[${i}]`;
    if (!tolerationOperators.has(toleration.operator))
      problems.push(`${where}.operator must be "Equal" or "Exists", got "${toleration.operator}"`);
    if (!taintEffects.has(toleration.effect))
      problems.push(
        `${where}.effect must be "NoSchedule", "PreferNoSchedule" or "NoExecute", got "${toleration.effect}"`,
      );
    if (toleration.operator === 'Exists' && toleration.value !== '')
      problems.push(`${where}.value must be empty with operator "Exists"`);
    if (toleration.key === '' && toleration.operator !== 'Exists')
      problems.push(`${where}.key may be empty only with operator "Exists"`);
  }
  if (options.serviceAccount !== '' && !dnsSubdomain.test(options.serviceAccount))
    problems.push(`${at}.service_account: "${options.serviceAccount}" is not a service account name`);
  for (const [name, ref] of Object.entries(options.secretEnv)) {
    const where = `${at}.secret_env.${name}`;
    if (!envName.test(name)) problems.push(`${where}: not an environment variable name`);
    if (name in env) problems.push(`${where}: the step's env sets ${name} too`);
    if (name.startsWith('FLYWHEEL_')) problems.push(`${where}: FLYWHEEL_* variables are Flywheel's own`);
    if (!ref.secret || !dnsSubdomain.test(ref.secret))
      problems.push(`${where}.secret: a Secret name is required`);
    if (!ref.key) problems.push(`${where}.key is required`);
  }
  if (options.imagePullPolicy !== '' && !imagePullPolicies.has(options.imagePullPolicy))
    problems.push(
      `${at}.image_pull_policy must be "Always", "IfNotPresent" or "Never", got "${options.imagePullPolicy}"`,
    );
  const deadline = options.activeDeadline;
  if (deadline && !(deadline.seconds > 0n || (deadline.seconds === 0n && deadline.nanos > 0)))
    problems.push(`${at}.active_deadline must be positive`);
  for (const [key, value] of Object.entries(options.labels)) {
    if (isOwnKey(key))
      problems.push(`${at}.labels.${key}: app.kubernetes.io/* and flywheel.io/* are Flywheel's own`);
    if (!labelValue.test(value) || value.length > 63)
      problems.push(`${at}.labels.${key}: "${value}" is not a label value`);
  }
  for (const key of Object.keys(options.annotations))
    if (key.startsWith('flywheel.io/'))
      problems.push(`${at}.annotations.${key}: flywheel.io/* are Flywheel's own`);
  return problems;
}

function isOwnKey(key: string): boolean {
  return key.startsWith('flywheel.io/') || key.startsWith('app.kubernetes.io/');
}

export interface JobManifestOptions {
  /** ttlSecondsAfterFinished when the step sets none. */
  readonly defaultTtlSeconds: number;
}

/** The labels that select one attempt's Job and pod. */
export function attemptLabels(job: CommandJob): Record<string, string> {
  return {
    [managedByLabel]: managedByValue,
    [runIdLabel]: labelValueOf(job.runId),
    [stepLabel]: labelValueOf(job.stepName),
    [attemptLabel]: String(job.attempt),
  };
}

/**
 * The batch/v1 Job of one attempt: one pod (`backoffLimit: 0`, `restartPolicy: Never` — Flywheel
 * retries in a new Job), the step's image, command, env, resources as requests = limits, its
 * `kubernetes` options, the parameters file from a pod annotation and the outputs in the
 * termination message (`FallbackToLogsOnError`: a failing container's log tail becomes its message).
 */
export function jobManifest(job: CommandJob, name: string, options: JobManifestOptions): V1Job {
  const k8s = job.kubernetes;
  const parameters = JSON.stringify(job.parametersFile);
  const labels = { ...(k8s?.labels ?? {}), ...attemptLabels(job) };
  const annotations = { ...(k8s?.annotations ?? {}) };
  const env: V1EnvVar[] = [
    ...Object.entries(job.env).map(([key, value]) => ({ name: key, value })),
    ...Object.entries(k8s?.secretEnv ?? {}).map(([key, ref]) => ({
      name: key,
      valueFrom: { secretKeyRef: { name: ref.secret, key: ref.key } },
    })),
    ...Object.entries({
      FLYWHEEL_RUN_ID: job.runId,
      FLYWHEEL_PIPELINE_NAME: job.pipelineName,
      FLYWHEEL_STEP_NAME: job.stepName,
      FLYWHEEL_ATTEMPT: String(job.attempt),
      FLYWHEEL_JOB_ID: job.jobId,
      FLYWHEEL_PARAMETERS_FILE: `${parametersMountDir}/parameters.json`,
      FLYWHEEL_OUTPUTS_FILE: outputsPath,
    }).map(([key, value]) => ({ name: key, value })),
  ];
  const tolerations = (k8s?.tolerations ?? []).map((t) => ({
    ...(t.key ? { key: t.key } : {}),
    ...(t.operator ? { operator: t.operator } : {}),
    ...(t.value ? { value: t.value } : {}),
    ...(t.effect ? { effect: t.effect } : {}),
  }));
  // As Kubernetes' ExtendedResourceToleration admission plugin does: GPU nodes are tainted with
  // the resource's name, and a pod requesting GPUs tolerates that taint.
  if (job.resources.gpu > 0 && !tolerations.some((t) => t.key === gpuResource))
    tolerations.push({ key: gpuResource, operator: 'Exists', effect: 'NoSchedule' });
  const deadline = k8s?.activeDeadline;
  const activeDeadlineSeconds = deadline
    ? Math.max(1, Math.ceil(Number(deadline.seconds) + deadline.nanos / 1e9))
    : undefined;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels, annotations },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: k8s?.ttlSecondsAfterFinished || options.defaultTtlSeconds,
      ...(activeDeadlineSeconds ? { activeDeadlineSeconds } : {}),
      template: {
        metadata: { labels, annotations: { ...annotations, [parametersAnnotation]: parameters } },
        spec: {
          restartPolicy: 'Never',
          ...(k8s?.serviceAccount ? { serviceAccountName: k8s.serviceAccount } : {}),
          ...(k8s && Object.keys(k8s.nodeSelector).length > 0
            ? { nodeSelector: { ...k8s.nodeSelector } }
            : {}),
          ...(tolerations.length > 0 ? { tolerations } : {}),
          containers: [
            {
              name: containerName,
              image: job.image,
              command: [...job.argv],
              env,
              ...(job.workingDir ? { workingDir: job.workingDir } : {}),
              ...(k8s?.imagePullPolicy ? { imagePullPolicy: k8s.imagePullPolicy } : {}),
              resources: resourcesOf(job),
              terminationMessagePath: outputsPath,
              terminationMessagePolicy: 'FallbackToLogsOnError',
              volumeMounts: [{ name: 'flywheel', mountPath: parametersMountDir, readOnly: true }],
            },
          ],
          volumes: [
            {
              name: 'flywheel',
              downwardAPI: {
                items: [
                  {
                    path: 'parameters.json',
                    fieldRef: { fieldPath: `metadata.annotations['${parametersAnnotation}']` },
                  },
                ],
              },
            },
          ],
        },
      },
    },
  };
}

/** `Step.resources` as requests = limits (extended resources such as GPUs need them equal). */
function resourcesOf(job: CommandJob): V1ResourceRequirements {
  const amounts: Record<string, string> = {};
  if (job.resources.cpu > 0) amounts.cpu = String(job.resources.cpu);
  if (job.resources.memoryMib > 0) amounts.memory = `${job.resources.memoryMib}Mi`;
  if (job.resources.gpu > 0) amounts[gpuResource] = String(job.resources.gpu);
  return Object.keys(amounts).length === 0 ? {} : { requests: { ...amounts }, limits: { ...amounts } };
}

const quantitySuffixes: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes quantity (`500m`, `16Gi`, `1e3`) as a number; NaN when it is none. */
export function quantityValue(quantity: string): number {
  const match = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/.exec(quantity.trim());
  if (!match) return Number.NaN;
  const factor = quantitySuffixes[match[2] ?? ''];
  return factor === undefined ? Number.NaN : Number(match[1]) * factor;
}
