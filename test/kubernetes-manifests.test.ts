// deploy/kubernetes: each overlay rendered with `kubectl kustomize`, then checked statically —
// every process's environment from the manifests is fed to its own config loader, so probes,
// ports, Services, peers and network policies are checked against what the code really binds and
// calls — and, against the real API server of KUBECONFIG, applied with --dry-run=server, with the
// orchestrator's RBAC applied for real and proven by `kubectl auth can-i`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceName } from '@flywheel/runtime';
import { repoRoot, uniqueName, waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { endpointsOf, type ProcessEndpoints, type ProcessName, processNames } from './deployment-config.ts';
import { type K8sObject, kubectl, kubectlMissing, type Loose, renderKustomization } from './kubectl.ts';

const overlaysDir = join(repoRoot, 'deploy/kubernetes/overlays');
const overlays = ['dev', 'production'] as const;
const noKubectl = kubectlMissing();
if (noKubectl) console.warn(`deploy/kubernetes tests skipped: ${noKubectl}`);

/** Placeholders for the keys of the Secret production expects created beforehand (deploy/README.md). */
const secretStandIns = {
  FLYWHEEL_MONGO_URL: 'mongodb://mongo:27017',
  FLYWHEEL_S3_ACCESS_KEY: 'access-key',
  FLYWHEEL_S3_SECRET_KEY: 'secret-key',
};

const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);

/** Whether `selector` (matchLabels) selects a pod with `labels`; `{}` selects every pod. */
function selects(
  selector: { matchLabels?: Record<string, string> } | undefined,
  labels: Record<string, string>,
) {
  if (selector === undefined) return false;
  return Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

/** The environment Kubernetes gives the first container of `deployment`: envFrom, then env (which wins). */
function containerEnv(objects: K8sObject[], deployment: K8sObject): Record<string, string> {
  const container = deployment.spec.template.spec.containers[0];
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, named(objects, 'ConfigMap', from.configMapRef.name)?.data);
    if (from.secretRef) {
      const secret = named(objects, 'Secret', from.secretRef.name);
      const data = Object.fromEntries(
        Object.entries(secret?.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString()]),
      );
      Object.assign(env, secret ? data : secretStandIns);
    }
  }
  const fields: Record<string, string> = {
    'metadata.name': `${deployment.metadata.name}-5d8f9c7b6-x2k4q`,
    'metadata.namespace': deployment.metadata.namespace ?? 'default',
  };
  for (const entry of container.env ?? []) {
    const value =
      entry.value !== undefined
        ? String(entry.value).replace(/\$\(([A-Z_]+)\)/g, (_: string, name: string) => env[name] ?? '')
        : fields[entry.valueFrom?.fieldRef?.fieldPath];
    if (value === undefined)
      throw new Error(`${deployment.metadata.name}: env ${entry.name} is not readable here`);
    env[entry.name] = value;
  }
  return env;
}

/** Whether a NetworkPolicy of `objects` lets pods `from` reach pods `to` on `port`, in `direction`'s policy. */
function allows(
  objects: K8sObject[],
  direction: 'Ingress' | 'Egress',
  subject: Record<string, string>,
  other: Record<string, string>,
  port: number,
): boolean {
  return byKind(objects, 'NetworkPolicy').some((policy) => {
    if (!policy.spec.policyTypes.includes(direction) || !selects(policy.spec.podSelector, subject))
      return false;
    const rules = direction === 'Ingress' ? (policy.spec.ingress ?? []) : (policy.spec.egress ?? []);
    return rules.some((rule: Loose) => {
      const peers = direction === 'Ingress' ? rule.from : rule.to;
      const portOk = rule.ports === undefined || rule.ports.some((p: Loose) => p.port === port);
      const peerOk =
        peers === undefined || peers.some((p: Loose) => p.podSelector && selects(p.podSelector, other));
      return portOk && peerOk;
    });
  });
}

describe.skipIf(noKubectl !== undefined).each(overlays.map((overlay) => ({ overlay })))(
  'deploy/kubernetes/overlays/$overlay',
  ({ overlay }) => {
    let objects: K8sObject[] = [];
    const deployments = () => byKind(objects, 'Deployment');
    const deploymentOf = (name: ProcessName) => {
      const found = named(objects, 'Deployment', name);
      if (!found) throw new Error(`no Deployment ${name}`);
      return found;
    };
    const podLabels = (name: ProcessName): Record<string, string> =>
      deploymentOf(name).spec.template.metadata.labels;
    const endpoints = new Map<ProcessName, ProcessEndpoints>();

    beforeAll(async () => {
      objects = await renderKustomization(join(overlaysDir, overlay));
      for (const name of processNames)
        endpoints.set(name, endpointsOf(name, containerEnv(objects, deploymentOf(name))));
    });

    it('renders a Deployment, a Service and a PodDisruptionBudget for each of the seven processes', () => {
      expect(
        deployments()
          .map((d) => d.metadata.name)
          .sort(),
      ).toEqual([...processNames].sort());
      for (const name of processNames) {
        expect(named(objects, 'Service', name), name).toBeDefined();
        const pdb = byKind(objects, 'PodDisruptionBudget').find((p) =>
          selects(p.spec.selector, podLabels(name)),
        );
        expect(pdb, `${name}: no PodDisruptionBudget selects its pods`).toBeDefined();
        expect(pdb?.apiVersion).toBe('policy/v1');
      }
    });

    it('every container has startup, readiness and liveness probes and CPU/memory requests and limits', () => {
      for (const deployment of deployments()) {
        for (const container of deployment.spec.template.spec.containers) {
          const at = `${deployment.metadata.name}/${container.name}`;
          for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'])
            expect(container[probe], at).toBeDefined();
          for (const kind of ['requests', 'limits'])
            for (const resource of ['cpu', 'memory'])
              expect(container.resources?.[kind]?.[resource], at).toBeDefined();
        }
      }
    });

    it('every process configuration loads from the manifests, binding every interface', () => {
      for (const name of processNames) {
        const { grpc, metrics, http } = endpoints.get(name) ?? {};
        for (const address of [grpc, metrics, http].filter((a) => a !== undefined))
          expect(address.host, name).toBe('0.0.0.0');
      }
    });

    it('the six services probe grpc.health.v1 on the port their config binds; the console GET /healthz', () => {
      for (const name of processNames) {
        const container = deploymentOf(name).spec.template.spec.containers[0];
        const { grpc, http } = endpoints.get(name) ?? {};
        for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe]) {
          if (name === 'console') {
            expect(probe.httpGet.path).toBe('/healthz');
            expect(container.ports.find((p: Loose) => p.name === probe.httpGet.port)?.containerPort).toBe(
              http?.port,
            );
          } else {
            expect(probe.grpc, name).toEqual({ port: grpc?.port });
          }
        }
      }
    });

    it('each port a process binds (gRPC, /metrics, HTTP) is a named container port its Service exposes', () => {
      for (const name of processNames) {
        const { grpc, metrics, http } = endpoints.get(name) ?? {};
        const container = deploymentOf(name).spec.template.spec.containers[0];
        const service = named(objects, 'Service', name);
        expect(selects({ matchLabels: service?.spec.selector }, podLabels(name)), name).toBe(true);
        const bound = Object.entries({ grpc, metrics, http }).filter(([, a]) => a !== undefined);
        expect(container.ports.map((p: Loose) => [p.name, p.containerPort]).sort(), name).toEqual(
          bound.map(([portName, a]) => [portName, a?.port]).sort(),
        );
        for (const [portName, address] of bound) {
          expect(
            service?.spec.ports.find((p: Loose) => p.targetPort === portName)?.port,
            `${name} ${portName}`,
          ).toBe(address?.port);
        }
      }
    });

    it('each peer a process calls is a Service of that name on the port the peer binds, and the policies allow that flow', () => {
      let flows = 0;
      for (const name of processNames) {
        for (const [peer, at] of Object.entries(endpoints.get(name)?.peers ?? {})) {
          expect(at.host, `${name} → ${peer}`).toBe(peer);
          const target = endpoints.get(peer as ServiceName)?.grpc?.port;
          const port = named(objects, 'Service', peer)?.spec.ports.find((p: Loose) => p.port === at.port);
          expect(port?.targetPort, `${name} → ${peer}:${at.port}`).toBe('grpc');
          expect(target, `${name} → ${peer}`).toBe(at.port);
          expect(
            allows(objects, 'Egress', podLabels(name), podLabels(peer as ServiceName), at.port),
            `${name} → ${peer} egress`,
          ).toBe(true);
          expect(
            allows(objects, 'Ingress', podLabels(peer as ServiceName), podLabels(name), at.port),
            `${name} → ${peer} ingress`,
          ).toBe(true);
          flows++;
        }
      }
      // orchestrator 5, serving 2, monitoring 2, console 6.
      expect(flows).toBe(15);
    });

    it('network policies deny by default: no service may open a gRPC connection to a peer it does not call', () => {
      const denyAll = named(objects, 'NetworkPolicy', 'default-deny');
      expect(denyAll?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      for (const caller of processNames) {
        const calls = endpoints.get(caller)?.peers ?? {};
        for (const callee of processNames) {
          const port = endpoints.get(callee)?.grpc?.port;
          if (callee === caller || port === undefined || callee in calls) continue;
          expect(
            allows(objects, 'Egress', podLabels(caller), podLabels(callee), port),
            `${caller} → ${callee}`,
          ).toBe(false);
        }
      }
    });

    it("the orchestrator's Role grants only jobs, pods and pods/log, bound to the orchestrator's own ServiceAccount", () => {
      const roles = byKind(objects, 'Role');
      expect(roles.map((r) => r.metadata.name)).toEqual(['flywheel-orchestrator-jobs']);
      expect(byKind(objects, 'ClusterRole').concat(byKind(objects, 'ClusterRoleBinding'))).toEqual([]);
      const grants = roles[0]?.rules.flatMap((r: Loose) =>
        r.resources.map((res: string) => `${r.apiGroups[0] || 'core'}/${res}: ${r.verbs.join(',')}`),
      );
      expect(grants).toEqual([
        'batch/jobs: create,get,list,watch,delete',
        'core/pods: get,list,watch',
        'core/pods/log: get',
      ]);
      const binding = named(objects, 'RoleBinding', 'flywheel-orchestrator-jobs');
      expect(binding?.roleRef).toEqual({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: 'flywheel-orchestrator-jobs',
      });
      const namespace = deploymentOf('orchestrator').metadata.namespace;
      expect(binding?.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'flywheel-orchestrator', namespace },
      ]);
      for (const name of processNames) {
        const spec = deploymentOf(name).spec.template.spec;
        expect(spec.serviceAccountName, name).toBe(`flywheel-${name}`);
        const account = named(objects, 'ServiceAccount', spec.serviceAccountName);
        expect(account?.automountServiceAccountToken, `${name} mounts an API token`).toBe(
          name === 'orchestrator',
        );
      }
    });

    it('serving scales on CPU with an autoscaling/v2 HorizontalPodAutoscaler', () => {
      const hpa = named(objects, 'HorizontalPodAutoscaler', 'serving');
      expect(hpa?.apiVersion).toBe('autoscaling/v2');
      expect(hpa?.spec.scaleTargetRef).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'serving',
      });
      expect(hpa?.spec.metrics).toEqual([
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
      ]);
      expect(hpa?.spec.maxReplicas).toBeGreaterThan(hpa?.spec.minReplicas);
    });

    it("every container runs the image the overlay's kustomization names, once", () => {
      const kustomization = parse(readFileSync(join(overlaysDir, overlay, 'kustomization.yaml'), 'utf8'));
      expect(kustomization.images).toHaveLength(1);
      const [{ name, newName, newTag }] = kustomization.images;
      expect(name).toBe('flywheel');
      for (const deployment of deployments())
        for (const container of deployment.spec.template.spec.containers)
          expect(container.image, deployment.metadata.name).toBe(`${newName}:${newTag}`);
    });

    it('configuration comes from the ConfigMap and Secret; production commits no Secret', () => {
      const secrets = byKind(objects, 'Secret');
      expect(secrets.map((s) => s.metadata.name.replace(/-[a-z0-9]{10}$/, ''))).toEqual(
        overlay === 'dev' ? ['flywheel-secrets'] : [],
      );
      for (const name of processNames) {
        const container = deploymentOf(name).spec.template.spec.containers[0];
        const from = container.envFrom.map((f: Loose) =>
          f.configMapRef ? 'configMap' : f.secretRef.name.replace(/-[a-z0-9]{10}$/, ''),
        );
        expect(from, name).toEqual(name === 'console' ? ['configMap'] : ['configMap', 'flywheel-secrets']);
      }
    });

    it('every pod meets the restricted Pod Security Standard, which its namespace warns on', () => {
      const [namespace, ...others] = byKind(objects, 'Namespace');
      expect(others).toEqual([]);
      expect(namespace?.metadata.labels).toMatchObject({
        'pod-security.kubernetes.io/enforce': 'baseline',
        'pod-security.kubernetes.io/warn': 'restricted',
      });
      for (const deployment of deployments()) {
        const spec = deployment.spec.template.spec;
        expect(spec.securityContext).toMatchObject({
          runAsNonRoot: true,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        for (const container of spec.containers) {
          expect(container.securityContext).toMatchObject({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          });
        }
      }
    });
  },
);

const kubeconfig = process.env.KUBECONFIG;
const noCluster =
  noKubectl ??
  (kubeconfig
    ? undefined
    : 'KUBECONFIG is not set (scripts/servers/servers.sh starts the test cluster and exports it)');
if (noCluster && !noKubectl) console.warn(`deploy/kubernetes server tests skipped: ${noCluster}`);

describe.skipIf(noCluster !== undefined).each(overlays.map((overlay) => ({ overlay })))(
  'deploy/kubernetes/overlays/$overlay on the real API server',
  ({ overlay }) => {
    // A namespace of this run's own: the overlay's objects are put into it by a throw-away overlay.
    const namespace = uniqueName(`fw-deploy-${overlay}`)
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .slice(0, 63);
    let objects: K8sObject[] = [];
    const asOrchestrator = `--as=system:serviceaccount:${namespace}:flywheel-orchestrator`;
    const canI = async (...args: string[]) => {
      const answer = await kubectl(['auth', 'can-i', ...args, asOrchestrator]);
      return answer.stdout.trim();
    };
    const asYaml = (list: K8sObject[]) => list.map((o) => JSON.stringify(o)).join('\n---\n');

    beforeAll(async () => {
      objects = await renderKustomization(join(overlaysDir, overlay), namespace);
      // The Namespace for real (with its Pod Security label), so that the dry run admits into it.
      const created = await kubectl(['apply', '-f', '-'], asYaml(byKind(objects, 'Namespace')));
      expect(created.code, created.stderr).toBe(0);
    });
    afterAll(async () => {
      await kubectl(['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
    });

    it('kubectl apply --dry-run=server admits every object, with no Pod Security warning', async () => {
      const applied = await kubectl(['apply', '--dry-run=server', '-f', '-'], asYaml(objects));
      expect(applied.code, applied.stderr).toBe(0);
      expect(applied.stderr).not.toMatch(/PodSecurity|Warning/);
      const lines = applied.stdout.trim().split('\n');
      expect(lines).toHaveLength(objects.length);
      for (const line of lines.filter((l) => !l.startsWith('namespace/')))
        expect(line).toMatch(/\(server dry run\)$/);
    });

    it("the orchestrator's ServiceAccount may run Jobs and read their pods and logs in its namespace — and nothing else", async () => {
      const rbac = objects.filter((o) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind));
      const applied = await kubectl(['apply', '-f', '-'], asYaml(rbac));
      expect(applied.code, applied.stderr).toBe(0);
      const here = ['-n', namespace];
      for (const verb of ['create', 'get', 'list', 'watch', 'delete'])
        expect(await canI(verb, 'jobs.batch', ...here), verb).toBe('yes');
      for (const verb of ['get', 'list', 'watch'])
        expect(await canI(verb, 'pods', ...here), verb).toBe('yes');
      expect(await canI('get', 'pods', '--subresource=log', ...here)).toBe('yes');
      expect(await canI('create', 'deployments.apps', ...here)).toBe('no');
      expect(await canI('get', 'secrets', ...here)).toBe('no');
      expect(await canI('list', 'secrets', ...here)).toBe('no');
      expect(await canI('create', 'pods', ...here)).toBe('no');
      expect(await canI('update', 'jobs.batch', ...here)).toBe('no');
      expect(await canI('create', 'jobs.batch', '-n', 'default')).toBe('no');
      expect(await canI('list', 'nodes')).toBe('no');
    });

    it('applied for real, every Deployment rolls out: its pods are scheduled, become available and its PodDisruptionBudget counts them (kwok plays the containers)', {
      timeout: 300_000,
    }, async () => {
      // Production's Secret must exist beforehand (deploy/README.md): a stand-in, as an operator would create it.
      if (byKind(objects, 'Secret').length === 0) {
        const created = await kubectl([
          'create',
          'secret',
          'generic',
          'flywheel-secrets',
          '-n',
          namespace,
          ...Object.entries(secretStandIns).map(([k, v]) => `--from-literal=${k}=${v}`),
        ]);
        expect(created.code, created.stderr).toBe(0);
      }
      const applied = await kubectl(['apply', '-f', '-'], asYaml(objects));
      expect(applied.code, applied.stderr).toBe(0);
      const waited = await kubectl([
        'wait',
        '--for=condition=Available',
        'deployment',
        '--all',
        '-n',
        namespace,
        '--timeout=240s',
      ]);
      expect(waited.code, waited.stderr).toBe(0);
      const replicas = Object.fromEntries(
        byKind(objects, 'Deployment').map((d) => [d.metadata.name, d.spec.replicas]),
      );
      const pods = JSON.parse((await kubectl(['get', 'pods', '-n', namespace, '-o', 'json'])).stdout)
        .items as K8sObject[];
      for (const [name, count] of Object.entries(replicas)) {
        const own = pods.filter(
          (p) => p.metadata.labels?.['app.kubernetes.io/name'] === name && p.status.phase === 'Running',
        );
        expect(own.length, name).toBeGreaterThanOrEqual(count);
        for (const pod of own) expect(pod.spec.nodeName, name).toMatch(/^kwok-/);
      }
      // The disruption controller reports every PDB's pods (its status lags the pods a little).
      await waitFor(
        async () => {
          const pdbs = JSON.parse((await kubectl(['get', 'pdb', '-n', namespace, '-o', 'json'])).stdout)
            .items as K8sObject[];
          return Object.entries(replicas).every(([name, count]) => {
            const status = pdbs.find((p) => p.metadata.name === name)?.status;
            return (
              status?.expectedPods === count &&
              status.currentHealthy === count &&
              status.disruptionsAllowed === 1
            );
          });
        },
        {
          timeoutMs: 120_000,
          intervalMs: 1000,
          what: "every PodDisruptionBudget counting its Deployment's pods",
        },
      );
    });
  },
);
