import type { DescMessage, JsonObject } from '@bufbuild/protobuf';
import { durationMs } from '@bufbuild/protobuf/wkt';
import { AppError, type CallOptions, isAppError } from '@flywheel/core';
import { eventKindFor } from '@flywheel/events';
import { checkParameterNames, checkReferences } from '@flywheel/pipelines';
import type { TriggerRule } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import type { Collection } from '@flywheel/store';
import { loadPipeline } from '../pipelines/load-pipeline.ts';
import { type PipelineCollections, specOf } from '../pipelines/pipeline-records.ts';
import type { PrincipalRecord } from '../records/principals.ts';
import type { EventFilters } from './event-filter.ts';
import { checkEventPath } from './event-view.ts';
import type { TriggerRuleRecord } from './trigger-rule-records.ts';
import { type TriggerTopics, topicNamePattern, triggerTopicsSetting } from './trigger-topics.ts';
import { triggerableEventTypes } from './triggerable-event-types.ts';

export interface CreateTriggerRuleDeps {
  pipelines: PipelineCollections;
  triggerRules: Collection<TriggerRuleRecord>;
  filters: EventFilters;
  /** Outside topics rules may name (FLYWHEEL_SCHEDULER_TRIGGER_TOPICS). */
  triggerTopics: TriggerTopics;
  now: () => number;
}

/**
 * Creates a trigger rule; an empty team means the pipeline's. It listens to a Flywheel event type
 * or to an outside topic (JSON records, no schema). Everything that can be checked against the
 * event type's payload schema is: the filter's paths and CEL expression, the `${event.…}`
 * templates of the parameters and the key, the parameter names against the pipeline; for an
 * outside topic the shape of paths and the CEL expression's syntax. Throws `invalid_argument`
 * naming the field (`trigger_rule.event_type`, `trigger_rule.topic`,
 * `trigger_rule.filter.match[model]`, `trigger_rule.parameters.model`…), `not_found` naming
 * `trigger_rule.pipeline_name`, `already_exists` when the name is taken.
 */
export function createTriggerRuleUseCase(deps: CreateTriggerRuleDeps) {
  return async (
    rule: TriggerRule,
    caller: PrincipalRecord,
    options: CallOptions = {},
  ): Promise<TriggerRuleRecord> => {
    const schema = listenedSchemaOf(rule, deps.triggerTopics);
    const filter = { match: { ...rule.filter?.match }, expression: rule.filter?.expression ?? '' };
    deps.filters.check(filter, schema, 'trigger_rule.filter');
    const checkEventReference = (reference: string, field: string): void => {
      if (reference.startsWith('event.')) {
        checkEventPath(schema, reference.slice('event.'.length), field);
        return;
      }
      if (reference === 'run.id' || reference === 'run.pipeline_name') return;
      throw AppError.invalidArgument(
        field,
        `\${${reference}} is not known (\${event.<field>}, \${run.id}, \${run.pipeline_name})`,
      );
    };
    const parameters: JsonObject = rule.parameters ?? {};
    checkReferences(parameters, 'trigger_rule.parameters', ['event', 'run'], checkEventReference);
    if (rule.key.includes('${')) {
      checkReferences(rule.key, 'trigger_rule.key', ['event'], checkEventReference);
    } else if (rule.key !== '') {
      checkEventPath(schema, rule.key, 'trigger_rule.key');
    }
    const debounceMs = rule.debounce ? durationMs(rule.debounce) : 0;
    const cooldownMs = rule.cooldown ? durationMs(rule.cooldown) : 0;
    if (debounceMs < 0) throw AppError.invalidArgument('trigger_rule.debounce', 'must not be negative');
    if (cooldownMs < 0) throw AppError.invalidArgument('trigger_rule.cooldown', 'must not be negative');
    const pipeline = await loadPipeline(deps.pipelines, rule.pipelineName, 0, {
      ...options,
      field: 'trigger_rule.pipeline_name',
    });
    checkParameterNames(specOf(pipeline), parameters, 'trigger_rule.parameters');
    const now = deps.now();
    const record: TriggerRuleRecord = {
      name: rule.name,
      uid: crypto.randomUUID(),
      team: rule.team || pipeline.team,
      eventType: rule.eventType,
      topic: rule.topic,
      match: filter.match,
      expression: filter.expression,
      pipelineName: pipeline.name,
      parameters,
      key: rule.key,
      debounceMs,
      cooldownMs,
      enabled: rule.enabled,
      createTime: now,
      updateTime: now,
      createdBy: caller,
      updatedBy: caller,
    };
    try {
      await deps.triggerRules.put(record.name, record, { ...options, expectedVersion: 0 });
    } catch (error) {
      if (isAppError(error, 'already_exists')) {
        throw new AppError(
          'already_exists',
          `trigger_rule.name: trigger rule "${record.name}" already exists`,
          {
            field: 'trigger_rule.name',
          },
        );
      }
      throw error;
    }
    return record;
  };
}

/**
 * The payload schema of what `rule` listens to: its event type's, or undefined for an outside
 * topic. Throws `invalid_argument` naming `trigger_rule.event_type` / `trigger_rule.topic` when
 * neither or both are set, the event type is not triggerable, or the topic is a Flywheel event
 * type, a dead-letter topic or not allowed by the deployment.
 */
function listenedSchemaOf(rule: TriggerRule, topics: TriggerTopics): DescMessage | undefined {
  const triggerable = triggerableEventTypes();
  if (rule.topic !== '') {
    if (rule.eventType !== '') {
      throw AppError.invalidArgument('trigger_rule.topic', 'give event_type or topic, not both');
    }
    if (!topicNamePattern.test(rule.topic)) {
      throw AppError.invalidArgument(
        'trigger_rule.topic',
        'want letters, digits, ".", "_", "-" (at most 200)',
      );
    }
    if (eventKindFor(rule.topic)) {
      throw AppError.invalidArgument(
        'trigger_rule.topic',
        `"${rule.topic}" is a Flywheel event type: name it in event_type (its payload is then typed)`,
      );
    }
    if (rule.topic.endsWith('.dlq')) {
      throw AppError.invalidArgument('trigger_rule.topic', `"${rule.topic}" is a dead-letter topic`);
    }
    if (!topics.allows(rule.topic)) {
      throw AppError.invalidArgument(
        'trigger_rule.topic',
        `"${rule.topic}" is not a topic this deployment lets rules read (${triggerTopicsSetting}: ${topics.description})`,
      );
    }
    return undefined;
  }
  const kind = triggerable.includes(rule.eventType) ? eventKindFor(rule.eventType) : undefined;
  if (!kind) {
    throw AppError.invalidArgument(
      'trigger_rule.event_type',
      rule.eventType === ''
        ? 'is required (or topic, for an outside topic)'
        : `"${rule.eventType}" is not an event type rules can listen to (${triggerable.join(', ')}); an outside topic goes in topic`,
    );
  }
  return kind.schema;
}
