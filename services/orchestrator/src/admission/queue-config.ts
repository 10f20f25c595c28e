import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { dimensions, type Limits } from './quantities.ts';

/** One named queue: runs of higher-priority queues are admitted first. */
export interface QueueSettings {
  name: string;
  priority: number;
}

/** Queues, per-team quotas and the capacity shared by every team (FLYWHEEL_ORCHESTRATOR_QUEUES). */
export interface AdmissionConfig {
  queues: readonly QueueSettings[];
  /** The queue of a run that names none (and of runs the scheduler requests). */
  defaultQueue: string;
  /** What all admitted runs together may reserve; unlimited where absent. */
  capacity: Limits;
  /** Each team's quota: what its admitted runs together may reserve. */
  teams: Readonly<Record<string, Limits>>;
  /** The quota of a team not listed in `teams`; absent = unlimited. */
  defaultTeamQuota?: Limits;
}

/** No setting: one queue `default`, no quotas, no capacity bound — every run is admitted at once. */
export const unlimitedAdmission: AdmissionConfig = {
  queues: [{ name: 'default', priority: 0 }],
  defaultQueue: 'default',
  capacity: {},
  teams: {},
};

const namePattern = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * Reads FLYWHEEL_ORCHESTRATOR_QUEUES: inline JSON (starting with `{`) or the path of a JSON or
 * YAML file. Throws an Error listing every problem.
 */
export function readAdmissionConfig(setting: string): AdmissionConfig {
  const trimmed = setting.trim();
  let text = trimmed;
  let source = 'inline JSON';
  if (!trimmed.startsWith('{')) {
    source = trimmed;
    try {
      text = readFileSync(trimmed, 'utf8');
    } catch (error) {
      throw new Error(`cannot read ${trimmed}: ${(error as Error).message}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text); // YAML is a superset of JSON
  } catch (error) {
    throw new Error(`${source} is not JSON or YAML: ${(error as Error).message}`);
  }
  return parseAdmissionConfig(parsed);
}

/** Validates the parsed settings object; throws an Error listing every problem. */
export function parseAdmissionConfig(value: unknown): AdmissionConfig {
  const problems: string[] = [];
  const root = objectOr(value, 'the settings', problems);
  const queues: QueueSettings[] = [];
  const queueList = root.queues;
  if (!Array.isArray(queueList) || queueList.length === 0)
    problems.push('queues: a non-empty list is required');
  else
    queueList.forEach((entry, index) => {
      const queue = objectOr(entry, `queues[${index}]`, problems);
      const name = queue.name;
      const priority = queue.priority ?? 0;
      if (typeof name !== 'string' || !namePattern.test(name) || name.length > 63)
        problems.push(`queues[${index}].name: must match ${namePattern.source} (at most 63 characters)`);
      else if (queues.some((q) => q.name === name)) problems.push(`queues[${index}].name: "${name}" twice`);
      if (typeof priority !== 'number' || !Number.isInteger(priority))
        problems.push(`queues[${index}].priority: must be an integer`);
      if (typeof name === 'string' && typeof priority === 'number') queues.push({ name, priority });
    });
  const defaultQueue = root.defaultQueue ?? queues[0]?.name;
  if (typeof defaultQueue !== 'string' || !queues.some((q) => q.name === defaultQueue))
    problems.push(`defaultQueue: must name one of the queues, got ${JSON.stringify(defaultQueue)}`);
  const capacity = limitsOf(root.capacity, 'capacity', problems);
  const teams: Record<string, Limits> = {};
  for (const [team, quota] of Object.entries(objectOr(root.teams ?? {}, 'teams', problems))) {
    if (!namePattern.test(team)) problems.push(`teams.${team}: a team name must match ${namePattern.source}`);
    teams[team] = limitsOf(quota, `teams.${team}`, problems);
  }
  const defaultTeamQuota =
    root.defaultTeamQuota === undefined
      ? undefined
      : limitsOf(root.defaultTeamQuota, 'defaultTeamQuota', problems);
  for (const key of Object.keys(root))
    if (!['queues', 'defaultQueue', 'capacity', 'teams', 'defaultTeamQuota'].includes(key))
      problems.push(`${key}: unknown setting (queues, defaultQueue, capacity, teams, defaultTeamQuota)`);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return {
    queues,
    defaultQueue: defaultQueue as string,
    capacity,
    teams,
    ...(defaultTeamQuota ? { defaultTeamQuota } : {}),
  };
}

function objectOr(value: unknown, where: string, problems: string[]): Record<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value))
    return value as Record<string, unknown>;
  problems.push(`${where}: must be an object`);
  return {};
}

function limitsOf(value: unknown, where: string, problems: string[]): Limits {
  if (value === undefined) return {};
  const limits: Limits = {};
  for (const [key, amount] of Object.entries(objectOr(value, where, problems))) {
    const dimension = dimensions.find((d) => d === key);
    if (!dimension) {
      problems.push(`${where}.${key}: unknown resource (${dimensions.join(', ')})`);
      continue;
    }
    if (typeof amount !== 'number' || !(amount >= 0)) {
      problems.push(`${where}.${key}: must be a number ≥ 0`);
      continue;
    }
    limits[dimension] = amount;
  }
  return limits;
}
