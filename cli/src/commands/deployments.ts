import type { MessageInitShape } from '@bufbuild/protobuf';
import { isAppError } from '@flywheel/core';
import type { TrafficSplitSchema } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import {
  BanditAlgorithm,
  type Deployment,
  DeploymentSchema,
  DeploymentState,
  RolloutState,
  RolloutStatusSchema,
  RouteRole,
  ServingService,
} from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import type { Command } from 'commander';
import type { Cli } from '../cli-context.ts';
import { CliError, exitCodeOfStatus, exitCodes } from '../exit-codes.ts';
import { fields, table } from '../output/output.ts';
import { enumName, jsonOf, timeOf } from '../output/proto-json.ts';
import type { Run } from '../program.ts';
import { versionOf } from './models.ts';
import { allPages } from './paging.ts';
import { waitUntil } from './wait-until.ts';

interface CreateOptions {
  model: string;
  alias?: string;
  version?: string;
  team?: string;
  description?: string;
  sampleRate: string;
  wait: boolean;
  waitTimeout: string;
}

/** `flywheel deploy create|get|list|status|canary|traffic|promote|rollback`: serving's deployments and rollouts. */
export function deploymentCommands(program: Command, run: Run): void {
  const deploy = program.command('deploy').description('deployments and rollouts (serving)');

  run(
    deploy
      .command('create <name>')
      .description(
        'deploy a registry model (tracking an alias, or a pinned version) and wait until it serves',
      )
      .requiredOption('--model <model>', 'registry model')
      .option(
        '--alias <alias>',
        'track this alias: when it moves, serving rolls the new version out',
        undefined,
      )
      .option('--version <version>', 'pin this version instead of an alias')
      .option('--team <team>', 'owning team (default: yours)')
      .option('--description <text>', 'what it serves')
      .option('--sample-rate <0..1>', 'share of predictions logged for monitoring', '1')
      .option('--no-wait', 'return at once instead of waiting until it is READY')
      .option('--wait-timeout <seconds>', 'how long to wait until READY', '120'),
    async (cli: Cli, name: string, options: CreateOptions) => {
      if (options.alias && options.version) {
        throw new CliError('give --alias or --version, not both', exitCodes.usage);
      }
      const sampleRate = Number(options.sampleRate);
      if (!(sampleRate >= 0 && sampleRate <= 1)) {
        throw new CliError(`--sample-rate ${options.sampleRate}: must be between 0 and 1`, exitCodes.usage);
      }
      const serving = await cli.services().client(ServingService, 'serving');
      const selector = options.version
        ? { case: 'modelVersion' as const, value: versionOf(options.version) }
        : { case: 'alias' as const, value: options.alias ?? 'champion' };
      const created = await serving.createDeployment({
        deployment: {
          name,
          team: options.team ?? '',
          description: options.description ?? '',
          target: { modelName: options.model, selector },
          predictionLogging: { sampleRate },
        },
      });
      let deployment = created.deployment;
      if (options.wait) {
        deployment = await waitUntil(
          cli.out,
          `deployment ${name} to be READY`,
          Number(options.waitTimeout) * 1000,
          async (progress) => {
            const { deployment: d } = await serving.getDeployment({ deploymentName: name });
            if (!d) return undefined;
            progress(stateName(d.state));
            if (d.state === DeploymentState.FAILED) {
              throw new CliError(`deployment ${name} FAILED: ${d.stateMessage}`, exitCodes.ended_badly);
            }
            return d.state === DeploymentState.READY || d.state === DeploymentState.ROLLING_OUT
              ? d
              : undefined;
          },
        );
      }
      if (!deployment)
        throw new CliError('serving answered CreateDeployment without a deployment', exitCodes.failure);
      const shown = deployment;
      cli.out.result(
        jsonOf(DeploymentSchema, shown),
        () => `deployment ${name} created\n${deploymentFields(shown)}`,
      );
    },
  );

  run(deploy.command('get <name>').description('show a deployment'), async (cli: Cli, name: string) => {
    const serving = await cli.services().client(ServingService, 'serving');
    const { deployment } = await serving.getDeployment({ deploymentName: name });
    if (!deployment) throw new CliError(`serving answered no deployment "${name}"`, exitCodes.failure);
    cli.out.result(jsonOf(DeploymentSchema, deployment), () => deploymentFields(deployment));
  });

  run(
    deploy
      .command('list')
      .description('list deployments')
      .option('--model <model>', 'only those serving this model')
      .option('--team <team>', 'only this team'),
    async (cli: Cli, options: { model?: string; team?: string }) => {
      const serving = await cli.services().client(ServingService, 'serving');
      const list = await allPages(async (pageToken) => {
        const r = await serving.listDeployments({
          pageToken,
          modelName: options.model ?? '',
          team: options.team ?? '',
        });
        return { items: r.deployments, nextPageToken: r.nextPageToken };
      });
      cli.out.result(
        list.map((d) => jsonOf(DeploymentSchema, d)),
        () =>
          table(
            ['name', 'model', 'target', 'state', 'stable', 'routes'],
            list.map((d) => [
              d.name,
              d.target?.modelName ?? '',
              targetOf(d),
              cli.out.color[stateColor(d.state)](stateName(d.state)),
              d.stableVersion ? `v${d.stableVersion}` : '',
              routesOf(d),
            ]),
          ),
      );
    },
  );

  run(
    deploy.command('status <name>').description("a deployment's state, traffic and rollout"),
    async (cli: Cli, name: string) => {
      const serving = await cli.services().client(ServingService, 'serving');
      const { deployment } = await serving.getDeployment({ deploymentName: name });
      if (!deployment) throw new CliError(`serving answered no deployment "${name}"`, exitCodes.failure);
      const rollout = await serving.getRolloutStatus({ deploymentName: name }).then(
        (r) => r.rollout,
        (error: unknown) => {
          // No rollout yet is a normal state of a deployment.
          if (isAppError(error, 'not_found')) return undefined;
          throw error;
        },
      );
      cli.out.result(
        {
          deployment: jsonOf(DeploymentSchema, deployment),
          ...(rollout ? { rollout: jsonOf(RolloutStatusSchema, rollout) } : {}),
        },
        () => {
          const lines = [
            fields([
              ['deployment', deployment.name],
              ['state', cli.out.color[stateColor(deployment.state)](stateName(deployment.state))],
              ['detail', deployment.stateMessage],
              ['target', `${deployment.target?.modelName ?? ''} ${targetOf(deployment)}`],
              ['stable', deployment.stableVersion ? `v${deployment.stableVersion}` : ''],
            ]),
            '',
            table(
              ['version', 'role', 'traffic'],
              deployment.routes.map((r) => [`v${r.modelVersion}`, roleName(r.role), `${r.percent}%`]),
            ),
          ];
          if (rollout) {
            lines.push(
              '',
              fields([
                ['rollout', rollout.rolloutId],
                ['state', enumName(RolloutState, rollout.state)],
                ['candidate', rollout.candidateVersion ? `v${rollout.candidateVersion}` : ''],
                ['step', String(rollout.stepIndex + 1)],
                ['started', timeOf(rollout.startTime)],
                ['step ends', timeOf(rollout.stepEndTime)],
                ['ended', timeOf(rollout.endTime)],
                ['message', rollout.message],
              ]),
            );
            if (rollout.checks.length) {
              lines.push(
                '',
                table(
                  ['check', 'observed', 'threshold', 'passed'],
                  rollout.checks.map((c) => [c.name, c.observed, c.threshold, c.passed ? 'yes' : 'NO']),
                ),
              );
            }
          }
          return lines.join('\n');
        },
      );
    },
  );

  run(
    deploy
      .command('canary <name> <version>')
      .description('roll a version out as a canary: a growing share of traffic while it keeps its SLOs')
      .option('--steps <percents>', 'traffic percentages to walk through', '10,50')
      .option('--bake <seconds>', 'how long each step is observed', '60')
      .option('--min-requests <n>', 'candidate requests a step needs before it can pass', '0')
      .option('--max-error-rate <0..1>', 'roll back when the candidate fails more than this share')
      .option('--no-auto-promote', 'pause after the last step until promoted')
      .option('--reason <text>', 'why, recorded in deployment.traffic-changed'),
    async (
      cli: Cli,
      name: string,
      version: string,
      options: {
        steps: string;
        bake: string;
        minRequests: string;
        maxErrorRate?: string;
        autoPromote: boolean;
        reason?: string;
      },
    ) => {
      const stepPercents = options.steps.split(',').map((p) => {
        const n = Number(p);
        if (!(n > 0 && n <= 100))
          throw new CliError(`--steps ${options.steps}: each must be in (0, 100]`, exitCodes.usage);
        return n;
      });
      const serving = await cli.services().client(ServingService, 'serving');
      const { deployment, rollout } = await serving.setTrafficSplit({
        deploymentName: name,
        reason: options.reason ?? '',
        trafficSplit: {
          strategy: {
            case: 'canary',
            value: {
              candidateVersion: versionOf(version),
              stepPercents,
              bakeDuration: { seconds: BigInt(Math.round(Number(options.bake))) },
              minRequests: Number(options.minRequests),
              autoPromote: options.autoPromote,
              ...(options.maxErrorRate ? { slo: { maxErrorRate: Number(options.maxErrorRate) } } : {}),
            },
          },
        },
      });
      if (!deployment)
        throw new CliError('serving answered SetTrafficSplit without a deployment', exitCodes.failure);
      cli.out.result(
        {
          deployment: jsonOf(DeploymentSchema, deployment),
          ...(rollout ? { rollout: jsonOf(RolloutStatusSchema, rollout) } : {}),
        },
        () => `canary of v${version} started on ${name}: ${routesOf(deployment)}`,
      );
    },
  );

  run(
    deploy
      .command('traffic <name>')
      .description(
        'split traffic between versions: an A/B test (--ab), shadow copies (--shadow) or a bandit (--bandit)',
      )
      .option('--ab <version=weight,...>', 'A/B variants by weight, e.g. 1=80,2=20 (sticky per key)')
      .option('--sticky-key <parameter>', 'A/B: the request parameter requests stick by', '')
      .option('--shadow <versions>', 'mirror requests to these versions, e.g. 2,3; stable still answers')
      .option('--mirror <percent>', 'shadow: share of requests mirrored', '100')
      .option('--bandit <versions>', 'bandit arms, e.g. 1,2: route to the best observed reward')
      .option('--algorithm <name>', 'bandit: epsilon-greedy or thompson', 'thompson')
      .option('--epsilon <0..1>', 'bandit: exploration probability of epsilon-greedy', '0.1')
      .option('--reason <text>', 'why, recorded in deployment.traffic-changed'),
    async (cli: Cli, name: string, options: TrafficOptions) => {
      const serving = await cli.services().client(ServingService, 'serving');
      const { deployment, rollout } = await serving.setTrafficSplit({
        deploymentName: name,
        reason: options.reason ?? '',
        trafficSplit: trafficSplitOf(options),
      });
      if (!deployment)
        throw new CliError('serving answered SetTrafficSplit without a deployment', exitCodes.failure);
      cli.out.result(
        {
          deployment: jsonOf(DeploymentSchema, deployment),
          ...(rollout ? { rollout: jsonOf(RolloutStatusSchema, rollout) } : {}),
        },
        () => `traffic of ${name}: ${routesOf(deployment)}`,
      );
    },
  );

  run(
    deploy
      .command('promote <name>')
      .description(
        "make the rollout's candidate (or --version) stable now: all traffic to it, the rollout ended",
      )
      .option('--version <version>', 'the version to promote (default: the candidate of the rollout)')
      .option('--reason <text>', 'why, recorded in the event'),
    async (cli: Cli, name: string, options: { version?: string; reason?: string }) => {
      const serving = await cli.services().client(ServingService, 'serving');
      // Without --version: serving's PromoteRollout (the canary's candidate stable, the rollout
      // succeeded, deployment.rolled-out). With one: Rollback with to_version, the call that makes
      // any version stable now (serving records that as deployment.rolled-back to it).
      const { deployment } = options.version
        ? await serving.rollback({
            deploymentName: name,
            toVersion: versionOf(options.version),
            reason: options.reason ?? `v${options.version} made stable (flywheel deploy promote --version)`,
          })
        : await serving
            .promoteRollout({ deploymentName: name, reason: options.reason ?? 'flywheel deploy promote' })
            .catch((error: unknown) => {
              if (!isAppError(error, 'failed_precondition')) throw error;
              throw new CliError(
                `deployment ${name} has no canary in progress to promote; name a version with --version`,
                exitCodeOfStatus('failed_precondition'),
              );
            });
      const version = deployment?.stableVersion;
      if (!deployment) throw new CliError('serving answered without a deployment', exitCodes.failure);
      cli.out.result(
        jsonOf(DeploymentSchema, deployment),
        () => `promoted v${version} on ${name}: ${routesOf(deployment)}`,
      );
    },
  );

  run(
    deploy
      .command('rollback <name>')
      .description('send all traffic back to the stable version (or --to a version) and end any rollout')
      .option('--to <version>', 'the version to send all traffic to (default: the stable one)')
      .option('--reason <text>', 'why, recorded in deployment.rolled-back'),
    async (cli: Cli, name: string, options: { to?: string; reason?: string }) => {
      const serving = await cli.services().client(ServingService, 'serving');
      const { deployment } = await serving.rollback({
        deploymentName: name,
        reason: options.reason ?? '',
        ...(options.to ? { toVersion: versionOf(options.to) } : {}),
      });
      if (!deployment)
        throw new CliError('serving answered Rollback without a deployment', exitCodes.failure);
      cli.out.result(
        jsonOf(DeploymentSchema, deployment),
        () => `rolled back ${name}\n${deploymentFields(deployment)}`,
      );
    },
  );
}

interface TrafficOptions {
  ab?: string;
  stickyKey: string;
  shadow?: string;
  mirror: string;
  bandit?: string;
  algorithm: string;
  epsilon: string;
  reason?: string;
}

/** The one strategy `traffic`'s options ask for; a usage error for none or several. */
function trafficSplitOf(o: TrafficOptions): MessageInitShape<typeof TrafficSplitSchema> {
  const given = [o.ab, o.shadow, o.bandit].filter((x) => x !== undefined).length;
  if (given !== 1) throw new CliError('give exactly one of --ab, --shadow and --bandit', exitCodes.usage);
  if (o.ab !== undefined) {
    const variants = o.ab.split(',').map((pair) => {
      const [version, weight] = pair.split('=');
      const w = Number(weight);
      if (!version || !(w >= 0))
        throw new CliError(`--ab ${o.ab}: each must be version=weight`, exitCodes.usage);
      return { modelVersion: versionOf(version), weight: w };
    });
    return { strategy: { case: 'abTest', value: { variants, stickyKeyParameter: o.stickyKey } } };
  }
  if (o.shadow !== undefined) {
    const mirrorPercent = Number(o.mirror);
    if (!(mirrorPercent > 0 && mirrorPercent <= 100))
      throw new CliError(`--mirror ${o.mirror}: must be in (0, 100]`, exitCodes.usage);
    return {
      strategy: {
        case: 'shadow',
        value: { candidateVersions: o.shadow.split(',').map(versionOf), mirrorPercent },
      },
    };
  }
  const algorithm = banditAlgorithms[o.algorithm];
  if (algorithm === undefined)
    throw new CliError(
      `--algorithm ${o.algorithm}: one of ${Object.keys(banditAlgorithms).join(', ')}`,
      exitCodes.usage,
    );
  const epsilon = Number(o.epsilon);
  if (!(epsilon >= 0 && epsilon <= 1))
    throw new CliError(`--epsilon ${o.epsilon}: must be between 0 and 1`, exitCodes.usage);
  return {
    strategy: {
      case: 'bandit',
      value: { algorithm, armVersions: (o.bandit ?? '').split(',').map(versionOf), epsilon },
    },
  };
}

const banditAlgorithms: Record<string, BanditAlgorithm> = {
  'epsilon-greedy': BanditAlgorithm.EPSILON_GREEDY,
  thompson: BanditAlgorithm.THOMPSON_SAMPLING,
};

function deploymentFields(d: Deployment): string {
  return fields([
    ['name', d.name],
    ['team', d.team],
    ['model', d.target?.modelName],
    ['target', targetOf(d)],
    ['state', stateName(d.state)],
    ['detail', d.stateMessage],
    ['stable', d.stableVersion ? `v${d.stableVersion}` : ''],
    ['routes', routesOf(d)],
    ['logging', d.predictionLogging ? `${d.predictionLogging.sampleRate * 100}% of predictions` : ''],
    ['created', timeOf(d.audit?.createTime)],
  ]);
}

function targetOf(d: Deployment): string {
  const s = d.target?.selector;
  if (s?.case === 'alias') return `@${s.value}`;
  if (s?.case === 'modelVersion') return `v${s.value}`;
  return '';
}

function routesOf(d: Deployment): string {
  return d.routes.map((r) => `v${r.modelVersion} ${roleName(r.role)} ${r.percent}%`).join(', ');
}

function stateName(state: DeploymentState): string {
  return enumName(DeploymentState, state);
}

function roleName(role: RouteRole): string {
  return enumName(RouteRole, role).toLowerCase();
}

function stateColor(state: DeploymentState): 'green' | 'yellow' | 'red' {
  if (state === DeploymentState.READY) return 'green';
  if (state === DeploymentState.FAILED || state === DeploymentState.DEGRADED) return 'red';
  return 'yellow';
}
