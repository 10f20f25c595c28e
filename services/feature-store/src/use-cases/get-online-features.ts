import type { MessageInitShape } from '@bufbuild/protobuf';
import { AppError, type CallOptions } from '@flywheel/core';
import {
  FeatureStatus,
  type GetOnlineFeaturesRequest,
  type GetOnlineFeaturesResponseSchema,
} from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import type { OnlineReadQuality } from '../quality/online-read-tallies.ts';
import { resolveFeatureRefs } from '../storage/feature-refs.ts';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import type { OnlineRecord } from '../storage/online-records.ts';
import type { OnlineStore } from '../storage/online-store.ts';
import { keyFromValue } from '../values/entity-keys.ts';
import { toTimestamp } from '../values/event-times.ts';
import { type KeyScalar, toValue } from '../values/feature-values.ts';

export interface GetOnlineFeaturesDeps {
  collections: FeatureStoreCollections;
  online: OnlineStore;
  /** Clock for TTL expiry, epoch ms. */
  now?: () => number;
  /** Tallies the served values against their views' expectations (flushed elsewhere). */
  quality?: OnlineReadQuality;
}

/** Options of a lookup: the call's, and how its entity columns are read. */
export interface OnlineLookupOptions extends CallOptions {
  /**
   * Feast's columnar `entities` convention: each entity key map also holds the request data of
   * the requested on-demand views. When given, the names those views read are taken from it as
   * `request_data`, a name that is neither such a field nor a join key of a view looked up is
   * refused (`invalid_argument` naming `entity_keys[0].join_keys.<name>`), and this is called
   * with the names taken as request data (not also join keys) before the lookup.
   */
  requestDataFromEntityKeys?: (requestOnly: ReadonlySet<string>) => void;
}

/** Looks up the latest feature values of entities. */
export type GetOnlineFeatures = (
  request: GetOnlineFeaturesRequest,
  options?: OnlineLookupOptions,
) => Promise<MessageInitShape<typeof GetOnlineFeaturesResponseSchema>>;

/**
 * GetOnlineFeatures: for each entity key (in request order) and each feature (`<view>:<feature>`,
 * `<view>:*` expanded, in request order) the online value and its status: PRESENT; NULL_VALUE when
 * the latest value is null; NOT_FOUND when the entity never had this feature; EXPIRED (value
 * omitted) when the latest value is older than the view's TTL. Errors: `invalid_argument` naming
 * `features[i]` or `entity_keys[i].join_keys.<key>` (missing or mistyped key), `not_found` for an
 * unknown view, `failed_precondition` for a view that is not online. Every value served (PRESENT
 * or NULL_VALUE) is checked against its view's expectations, freshness once per entity and view;
 * violations never change the answer.
 */
export function createGetOnlineFeatures(deps: GetOnlineFeaturesDeps): GetOnlineFeatures {
  const { collections, online } = deps;
  const now = deps.now ?? Date.now;
  return async (request, options = {}) => {
    const { features, views } = await resolveFeatureRefs(collections.views, request.features, {
      ...options,
      wildcards: true,
    });
    for (const view of views) {
      if (!view.online) {
        throw new AppError(
          'failed_precondition',
          `feature view ${view.name} is not online: it is served offline only`,
        );
      }
    }
    const recordsByView = new Map<string, (OnlineRecord | undefined)[]>();
    for (const view of views) {
      const keys: KeyScalar[][] = request.entityKeys.map((entity, i) =>
        view.joinKeys.map((k) =>
          keyFromValue(entity.joinKeys[k.name], k, `entity_keys[${i}].join_keys.${k.name}`),
        ),
      );
      recordsByView.set(view.name, await online.read(view.name, keys, options));
    }
    const at = now();
    return {
      featureNames: features.map((f) => f.ref),
      results: request.entityKeys.map((_, i) => {
        const values = [];
        const statuses: FeatureStatus[] = [];
        const eventTimes = [];
        const freshnessChecked = new Set<string>();
        for (const { view, feature } of features) {
          const held = recordsByView.get(view.name)![i]?.features[feature.name];
          let status: FeatureStatus;
          if (!held) status = FeatureStatus.NOT_FOUND;
          else if (view.ttlMs !== null && at - held.timeMs > view.ttlMs) status = FeatureStatus.EXPIRED;
          else if (held.value === null) status = FeatureStatus.NULL_VALUE;
          else status = FeatureStatus.PRESENT;
          values.push(toValue(status === FeatureStatus.PRESENT ? held!.value : null, feature.valueType));
          statuses.push(status);
          if (held && status !== FeatureStatus.EXPIRED && deps.quality) {
            deps.quality.observe(
              view,
              feature.name,
              held.value,
              held.timeMs,
              at,
              !freshnessChecked.has(view.name),
            );
            freshnessChecked.add(view.name);
          }
          if (request.includeEventTimes) eventTimes.push(toTimestamp(held?.timeMs ?? 0));
        }
        return { values, statuses, eventTimes };
      }),
    };
  };
}
