// kubectl for the deployment tests: FLYWHEEL_KUBECTL (what scripts/servers provides) or `kubectl`
// on PATH; the cluster is KUBECONFIG's.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const kubectlPath = process.env.FLYWHEEL_KUBECTL || 'kubectl';

/** Why kubectl cannot be used here, or undefined when it can. */
export function kubectlMissing(): string | undefined {
  const probe = spawnSync(kubectlPath, ['version', '--client'], { encoding: 'utf8' });
  return probe.status === 0
    ? undefined
    : `no kubectl (FLYWHEEL_KUBECTL or PATH): ${probe.error?.message ?? probe.stderr}`;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl with `args`, `input` on its stdin; resolves with its exit code and output. */
export function kubectl(args: readonly string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubectlPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Rendered manifest JSON, read untyped and checked field by field. */
// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped JSON; the tests check each field they use.
export type Loose = any;

/** A Kubernetes object as rendered (plain JSON). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: Loose;
}

export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/**
 * `kubectl kustomize` of `dir`; with `namespace`, of a throw-away overlay that puts everything
 * of `dir` into that namespace instead (kustomize wants it as a relative path).
 */
export async function renderKustomization(dir: string, namespace?: string): Promise<K8sObject[]> {
  let root = dir;
  let scratch: string | undefined;
  if (namespace !== undefined) {
    scratch = mkdtempSync(join(tmpdir(), 'flywheel-kustomize-'));
    writeFileSync(
      join(scratch, 'kustomization.yaml'),
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: ${namespace}\nresources:\n  - ${relative(scratch, dir)}\n`,
    );
    root = scratch;
  }
  try {
    const rendered = await kubectl(['kustomize', root]);
    if (rendered.code !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${rendered.stderr}`);
    return parseObjects(rendered.stdout);
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}
