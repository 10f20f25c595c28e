import { ConfigReader, type Env } from '@flywheel/core';
import { type HostConfig, type InfraConfig, readHostConfig, readInfraConfig } from '@flywheel/runtime';
import { parseTriggerTopics, type TriggerTopics, triggerTopicsSetting } from './triggers/trigger-topics.ts';

/** Everything the scheduler service reads from its environment, parsed once. */
export interface SchedulerConfig {
  host: HostConfig;
  infra: InfraConfig;
  /**
   * How often the ticker looks for due cron ticks and debounced matches, ms
   * (`FLYWHEEL_SCHEDULER_TICK`, default 1s). Schedules fire at most this late.
   */
  tickMs: number;
  /** Events handled at once by the trigger consumer (`FLYWHEEL_SCHEDULER_CONCURRENCY`, default 16); one key at a time. */
  consumerConcurrency: number;
  /**
   * The orchestrator's executor names a stored pipeline's `command.executor` may use
   * (`FLYWHEEL_SCHEDULER_EXECUTORS`, comma-separated); undefined (unset): not checked here.
   */
  executors: readonly string[] | undefined;
  /** Outside topics trigger rules may name (`FLYWHEEL_SCHEDULER_TRIGGER_TOPICS`, default any). */
  triggerTopics: TriggerTopics;
  /**
   * How often the consumers of outside topics are matched to the stored rules, ms
   * (`FLYWHEEL_SCHEDULER_TOPIC_RECONCILE`, default 10s): another replica's new rule is read from
   * then on; this replica's own at once.
   */
  topicReconcileMs: number;
}

/** The scheduler service's settings; see the README for the variables. Throws one error listing every problem. */
export function loadSchedulerConfig(env: Env): SchedulerConfig {
  const reader = new ConfigReader(env);
  const host = readHostConfig(reader, 'scheduler');
  const infra = readInfraConfig(reader, 'scheduler');
  const tickMs = reader.durationMs('FLYWHEEL_SCHEDULER_TICK', '1s');
  if (tickMs < 1 || tickMs > 60_000) {
    reader.problem('FLYWHEEL_SCHEDULER_TICK', `must be from 1ms to 1m, got ${tickMs} ms`);
  }
  const consumerConcurrency = reader.int('FLYWHEEL_SCHEDULER_CONCURRENCY', 16, { min: 1, max: 256 });
  const executorList = reader.optional('FLYWHEEL_SCHEDULER_EXECUTORS');
  const executors = executorList
    ?.split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const topics = parseTriggerTopics(reader.string(triggerTopicsSetting, ''));
  if (typeof topics === 'string') reader.problem(triggerTopicsSetting, topics);
  const topicReconcileMs = reader.durationMs('FLYWHEEL_SCHEDULER_TOPIC_RECONCILE', '10s');
  if (topicReconcileMs < 10 || topicReconcileMs > 600_000) {
    reader.problem(
      'FLYWHEEL_SCHEDULER_TOPIC_RECONCILE',
      `must be from 10ms to 10m, got ${topicReconcileMs} ms`,
    );
  }
  reader.done();
  const triggerTopics = typeof topics === 'string' ? (parseTriggerTopics('') as TriggerTopics) : topics;
  return { host, infra, tickMs, consumerConcurrency, executors, triggerTopics, topicReconcileMs };
}
