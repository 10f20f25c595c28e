import { AppError, type CallOptions } from '@flywheel/core';
import type {
  FeatureService,
  FeatureServiceRef,
} from '@flywheel/proto/flywheel/featurestore/v1/feature_service_pb.js';
import { currentAuditPrincipal, type TeamCondition } from '@flywheel/rpc';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import { updateDocument } from '../storage/update-document.ts';
import {
  type FeatureServiceVersionRecord,
  sameFeatureServiceDefinition,
} from '../values/feature-service-records.ts';
import type { OnDemandFeatureViews } from './on-demand-feature-views.ts';
import { resolveRequestedFeatures } from './resolve-requested-features.ts';

export interface FeatureServicesDeps {
  collections: FeatureStoreCollections;
  onDemand: OnDemandFeatureViews;
  /** Owner when the request names no team. */
  defaultTeam: string;
  now?: () => Date;
}

/** A feature service version with its name. */
export interface FeatureServiceVersion {
  readonly name: string;
  readonly version: FeatureServiceVersionRecord;
}

/** Named, versioned feature sets. */
export interface FeatureServices {
  /**
   * Adds version latest+1 when the definition (team, description, features after expanding
   * `<view>:*`, labels) differs from the latest version's; else answers the latest, `created`
   * false. Features are checked like GetOnlineFeatures' (`invalid_argument` naming
   * `feature_service.features[i]`, `not_found` for an unknown view).
   */
  create(
    service: FeatureService | undefined,
    options?: CallOptions,
  ): Promise<FeatureServiceVersion & { created: boolean }>;
  /** Version `version` (0 = latest); `not_found` naming `field` when absent. */
  get(name: string, version: number, field: string, options?: CallOptions): Promise<FeatureServiceVersion>;
  /** Every version of `name` (oldest first), or the latest version of every service. */
  /**
   * The versions of `name`, or the latest of every service; with `team` (see listedTeams) only
   * services whose latest version that team owns. Unpaged: filtering the answer is exact.
   */
  list(name: string, options?: CallOptions, team?: TeamCondition): Promise<FeatureServiceVersion[]>;
  /** The version a request's `feature_service` names (version 0 → the latest, resolved). */
  resolve(ref: FeatureServiceRef, field: string, options?: CallOptions): Promise<FeatureServiceVersion>;
}

const field = 'feature_service';

export function createFeatureServices(deps: FeatureServicesDeps): FeatureServices {
  const { collections, defaultTeam } = deps;
  const now = deps.now ?? (() => new Date());

  const get: FeatureServices['get'] = async (name, version, at, options = {}) => {
    const doc = await collections.featureServices.get(name, options);
    const versions = doc?.data.versions ?? [];
    const found = version === 0 ? versions.at(-1) : versions.find((v) => v.version === version);
    if (!found) {
      throw new AppError(
        'not_found',
        `${at}: feature service "${name}"${version === 0 ? '' : ` version ${version}`} not found`,
        { field: at },
      );
    }
    return { name, version: found };
  };

  return {
    async create(requested, options = {}) {
      if (!requested) throw AppError.invalidArgument(field, 'is required');
      const resolved = await resolveRequestedFeatures(
        { collections, onDemand: deps.onDemand },
        requested.features,
        `${field}.features`,
        options,
      );
      const definition = {
        team: requested.team || defaultTeam,
        description: requested.description,
        features: resolved.columns.map((c) => c.ref),
        labels: Object.entries(requested.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      };
      let created = false;
      const written = await updateDocument(
        collections.featureServices,
        requested.name,
        (current) => {
          created = false;
          const versions = current?.data.versions ?? [];
          const latest = versions.at(-1);
          if (latest && sameFeatureServiceDefinition(latest, definition)) return undefined;
          created = true;
          const version = {
            ...definition,
            version: (latest?.version ?? 0) + 1,
            createTime: now().toISOString(),
            createdBy: currentAuditPrincipal(),
          };
          return { data: { name: requested.name, versions: [...versions, version] } };
        },
        options,
      );
      if (written) return { name: requested.name, version: written.data.versions.at(-1)!, created };
      return { ...(await get(requested.name, 0, `${field}.name`, options)), created: false };
    },

    get,

    async list(name, options = {}, team = '') {
      const owner = team === '' ? undefined : typeof team === 'string' ? [team] : team.in;
      if (name !== '') {
        const doc = await collections.featureServices.get(name, options);
        return (doc?.data.versions ?? []).map((version) => ({ name, version }));
      }
      const out: FeatureServiceVersion[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await collections.featureServices.find(
          {},
          { ...options, limit: 500, ...(after === undefined ? {} : { after: { id: after } }) },
        );
        for (const doc of page) {
          const latest = doc.data.versions.at(-1)!;
          if (owner === undefined || owner.includes(latest.team))
            out.push({ name: doc.data.name, version: latest });
        }
        if (page.length < 500) return out;
        after = page.at(-1)!.data.name;
      }
    },

    resolve(ref, at, options = {}) {
      if (ref.version > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw AppError.invalidArgument(`${at}.version`, 'is too large');
      }
      return get(ref.name, Number(ref.version), at, options);
    },
  };
}
