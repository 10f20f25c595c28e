import { AppError, type CallOptions } from '@flywheel/core';
import type { TeamCondition } from '@flywheel/rpc';
import type { Collection, FieldCondition } from '@flywheel/store';
import { keysetPage } from '../records/paging.ts';
import type { TriggerRuleRecord } from './trigger-rule-records.ts';

/** Reads trigger rules: one by name (`not_found` naming `trigger_rule_name`), or a page by name, optionally by pipeline and event type. */
export function triggerRuleQueries(deps: { triggerRules: Collection<TriggerRuleRecord> }) {
  return {
    get: async (name: string, options: CallOptions = {}): Promise<TriggerRuleRecord> => {
      const doc = await deps.triggerRules.get(name, options);
      if (!doc) {
        throw new AppError('not_found', `trigger_rule_name: trigger rule "${name}" does not exist`, {
          field: 'trigger_rule_name',
        });
      }
      return doc.data;
    },

    list: async (
      query: {
        pipelineName: string;
        eventType: string;
        /** The teams the caller may view (see listedTeams). */
        team?: TeamCondition;
        pageSize: number;
        pageToken: string;
      },
      options: CallOptions = {},
    ) => {
      const filter: Record<string, FieldCondition> = {};
      if (query.team !== undefined && query.team !== '') filter.team = query.team;
      if (query.pipelineName) filter.pipelineName = query.pipelineName;
      if (query.eventType) filter.eventType = query.eventType;
      return keysetPage(deps.triggerRules, filter, query, {
        ...options,
        query: JSON.stringify(['trigger-rules', query.pipelineName, query.eventType, query.team ?? '']),
      });
    },
  };
}
