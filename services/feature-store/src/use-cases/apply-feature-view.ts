import { parseBlobUri } from '@flywheel/blobs';
import { assertTopicName } from '@flywheel/bus';
import { AppError, type CallOptions } from '@flywheel/core';
import type { FeatureView } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { currentAuditPrincipal, unknownAuditPrincipal } from '@flywheel/rpc';
import { eventTimeColumn } from '../datasets/dataset-rows.ts';
import { checkProtobufColumns, protobufMessageType } from '../datasets/protobuf-records.ts';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import { holdsData } from '../storage/offline-records.ts';
import { updateDocument } from '../storage/update-document.ts';
import { isKeyType, isKnownValueType, typeName } from '../values/feature-values.ts';
import {
  definitionOf,
  type FeatureViewDefinition,
  type FeatureViewRecord,
  sameDefinition,
} from '../values/feature-view-records.ts';

export interface ApplyFeatureViewDeps {
  collections: FeatureStoreCollections;
  /** Owner when the request names no team. */
  defaultTeam: string;
  now?: () => Date;
}

export interface ApplyResult {
  readonly view: FeatureViewRecord;
  /** False when the stored definition already was the requested one. */
  readonly changed: boolean;
}

/** Creates or updates a feature view from its declared definition. */
export type ApplyFeatureView = (view: FeatureView | undefined, options?: CallOptions) => Promise<ApplyResult>;

/**
 * ApplyFeatureView, declarative like `feast apply`: creates the view at revision 1, or bumps the
 * revision when the definition differs from the stored one (an identical apply changes nothing).
 * Semantic checks the field rules cannot express are `invalid_argument` naming the field
 * (`feature_view.features[2].value_type`: unknown type; `feature_view.features[1].name`:
 * duplicate…; `feature_view.source.stream.topic`: not a topic name). Once the view holds data, changing its join keys or a feature's type is
 * `failed_precondition` (delete the view first, or add a new feature).
 */
export function createApplyFeatureView(deps: ApplyFeatureViewDeps): ApplyFeatureView {
  const { collections, defaultTeam } = deps;
  const now = deps.now ?? (() => new Date());
  return async (requested, options = {}) => {
    if (!requested) throw AppError.invalidArgument('feature_view', 'is required');
    checkDefinition(requested);
    const definition = definitionOf(requested, requested.team || defaultTeam);
    if (await collections.onDemandViews.get(definition.name, options)) {
      throw new AppError(
        'already_exists',
        `feature_view.name: an on-demand feature view is named "${definition.name}"; feature views and on-demand feature views share one namespace`,
        { field: 'feature_view.name' },
      );
    }
    const data = await collections.viewData.get(definition.name, options);
    let changed = false;
    const written = await updateDocument(
      collections.views,
      definition.name,
      (current) => {
        changed = false;
        const stored = current?.data;
        if (stored && sameDefinition(stored, definition)) return undefined;
        if (stored && holdsData(data?.data)) checkCompatible(stored, definition);
        changed = true;
        const time = now().toISOString();
        const record: FeatureViewRecord = {
          ...definition,
          datasetName: definition.source?.batch?.dataset ?? '',
          revision: (stored?.revision ?? 0) + 1,
          createTime: stored?.createTime ?? time,
          updateTime: time,
          createdBy: stored ? (stored.createdBy ?? unknownAuditPrincipal) : currentAuditPrincipal(),
          updatedBy: currentAuditPrincipal(),
        };
        return { data: record };
      },
      options,
    );
    if (written) return { view: written.data, changed };
    const current = await collections.views.get(definition.name, options);
    return { view: current!.data, changed: false };
  };
}

function checkDefinition(view: FeatureView): void {
  const at = 'feature_view';
  const keyNames = new Set<string>();
  for (const [i, key] of (view.entity?.joinKeys ?? []).entries()) {
    if (!isKnownValueType(key.valueType)) {
      throw AppError.invalidArgument(
        `${at}.entity.join_keys[${i}].value_type`,
        `unknown value type ${key.valueType}`,
      );
    }
    if (!isKeyType(key.valueType)) {
      throw AppError.invalidArgument(
        `${at}.entity.join_keys[${i}].value_type`,
        `a join key must be STRING, INT32 or INT64, got ${typeName(key.valueType)}`,
      );
    }
    if (keyNames.has(key.name))
      throw AppError.invalidArgument(`${at}.entity.join_keys[${i}].name`, `duplicate join key "${key.name}"`);
    if (key.name === eventTimeColumn) {
      throw AppError.invalidArgument(
        `${at}.entity.join_keys[${i}].name`,
        `"${eventTimeColumn}" is reserved for the event time`,
      );
    }
    keyNames.add(key.name);
  }
  const featureNames = new Set<string>();
  for (const [i, feature] of view.features.entries()) {
    if (!isKnownValueType(feature.valueType)) {
      throw AppError.invalidArgument(
        `${at}.features[${i}].value_type`,
        `unknown value type ${feature.valueType}`,
      );
    }
    if (featureNames.has(feature.name)) {
      throw AppError.invalidArgument(`${at}.features[${i}].name`, `duplicate feature name "${feature.name}"`);
    }
    if (keyNames.has(feature.name) || feature.name === eventTimeColumn) {
      throw AppError.invalidArgument(
        `${at}.features[${i}].name`,
        `"${feature.name}" is a join key or the event time column`,
      );
    }
    featureNames.add(feature.name);
  }
  if (view.ttl && (view.ttl.seconds < 0n || view.ttl.nanos < 0)) {
    throw AppError.invalidArgument(`${at}.ttl`, 'must not be negative');
  }
  const source = view.source;
  if (!source) return;
  if (source.kind.case === 'batch') {
    if (source.kind.value.dataset === '') {
      throw AppError.invalidArgument(
        `${at}.source.batch.dataset`,
        'is required: the dataset name dataset.arrived carries',
      );
    }
    const uri = source.kind.value.uri;
    if (uri !== '') {
      // Content-addressed: no globs, no foreign stores; Materialize ingests it (see materialize).
      parseBlobUri(uri, `${at}.source.batch.uri`);
      if (!view.online) {
        throw AppError.invalidArgument(
          `${at}.source.batch.uri`,
          'is ingested by Materialize, which only online views have; publish dataset.arrived for an offline view',
        );
      }
    }
  }
  if (source.kind.case === 'stream') {
    const field = `${at}.source.stream.topic`;
    const topic = source.kind.value.topic;
    if (topic === '')
      throw AppError.invalidArgument(field, 'is required: the topic whose JSON records are rows');
    assertTopicName(topic, field);
    if (topic.endsWith('.dlq')) {
      throw AppError.invalidArgument(
        field,
        `"${topic}" is a dead-letter topic; name the topic the rows are written to`,
      );
    }
  }
  const targets = new Set<string>();
  for (const [column, name] of Object.entries(source.fieldMapping)) {
    if (!featureNames.has(name) && !keyNames.has(name)) {
      throw AppError.invalidArgument(
        `${at}.source.field_mapping[${column}]`,
        `maps to "${name}", which is neither a feature nor a join key`,
      );
    }
    if (targets.has(name)) {
      throw AppError.invalidArgument(
        `${at}.source.field_mapping[${column}]`,
        `"${name}" is mapped from two columns`,
      );
    }
    targets.add(name);
  }
  const protobuf = source.kind.case === 'stream' ? source.kind.value.protobuf : undefined;
  if (protobuf) {
    // Refused now rather than dead-lettering every record later: the type must hold a row.
    const columnOf = new Map(Object.entries(source.fieldMapping).map(([column, name]) => [name, column]));
    const pat = `${at}.source.stream.protobuf`;
    checkProtobufColumns(
      protobufMessageType(protobuf, pat),
      {
        joinKeyColumns: (view.entity?.joinKeys ?? []).map((k) => columnOf.get(k.name) ?? k.name),
        timeColumn: source.timestampField || eventTimeColumn,
      },
      pat,
    );
  }
}

function checkCompatible(stored: FeatureViewRecord, next: FeatureViewDefinition): void {
  if (JSON.stringify(stored.joinKeys) !== JSON.stringify(next.joinKeys)) {
    throw new AppError(
      'failed_precondition',
      `feature view ${stored.name} holds data: its join keys cannot change (delete the view first)`,
      { field: 'feature_view.entity.join_keys' },
    );
  }
  const storedTypes = new Map(stored.features.map((f) => [f.name, f.valueType]));
  for (const [i, feature] of next.features.entries()) {
    const was = storedTypes.get(feature.name);
    if (was !== undefined && was !== feature.valueType) {
      throw new AppError(
        'failed_precondition',
        `feature view ${stored.name} holds data: feature ${feature.name} is ${typeName(was)} and cannot become ${typeName(feature.valueType)}`,
        { field: `feature_view.features[${i}].value_type` },
      );
    }
  }
}
