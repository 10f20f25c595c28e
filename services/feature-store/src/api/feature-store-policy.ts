import type { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { type OwnedBy, ownedBy, readOnly, resourceNotFound, type ServicePolicy } from '@flywheel/rpc';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import { viewsReferenced } from '../transformations/compile-expression.ts';

type Lookup = (name: string, signal: AbortSignal) => Promise<OwnedBy>;

/**
 * The owner of a feature view or an on-demand view (one namespace), by one id read of each
 * collection; NOT_FOUND when neither holds it. Entities are part of their views: no RPC of their own.
 */
function viewOwner(collections: FeatureStoreCollections): Lookup {
  return async (name, signal) => {
    const resource = `feature view "${name}"`;
    const view =
      (await collections.views.get(name, { signal })) ??
      (await collections.onDemandViews.get(name, { signal }));
    if (!view) throw resourceNotFound(resource);
    return ownedBy(resource, view.data.team);
  };
}

/** The distinct view names of `view:feature` references, in order. */
function viewsOf(refs: readonly string[]): string[] {
  return [...new Set(refs.map((ref) => ref.split(':')[0] ?? ''))];
}

/**
 * Who may call each FeatureStoreService method when auth is on. A feature view, on-demand view,
 * feature service and training set belongs to its stored team; a create or apply names its team
 * (empty: platform admins only). Reading features needs the viewer role on every view read —
 * named, through a feature service, or read by an on-demand view's expression — so no team reads
 * another's data through a definition it owns. Deletes need admin; everything else that writes, editor.
 */
export function featureStorePolicy(
  collections: FeatureStoreCollections,
): ServicePolicy<typeof FeatureStoreService.method> {
  const view = viewOwner(collections);
  const views = (names: readonly string[], signal: AbortSignal) =>
    Promise.all(names.filter((n) => n !== '').map((n) => view(n, signal)));
  const service = async (name: string, signal: AbortSignal): Promise<OwnedBy> => {
    const resource = `feature service "${name}"`;
    const latest = (await collections.featureServices.get(name, { signal }))?.data.versions.at(-1);
    if (!latest) throw resourceNotFound(resource);
    return ownedBy(resource, latest.team);
  };
  /** Every owner a feature read touches: the views named, and the service with the views it names. */
  const readers = async (
    req: { features: readonly string[]; featureService?: { name: string } | undefined },
    signal: AbortSignal,
  ): Promise<OwnedBy[]> => {
    const owners = await views(viewsOf(req.features), signal);
    if (req.featureService?.name) {
      owners.push(await service(req.featureService.name, signal));
      const latest = (await collections.featureServices.get(req.featureService.name, { signal }))?.data
        .versions;
      for (const version of latest ?? []) owners.push(...(await views(viewsOf(version.features), signal)));
    }
    return owners;
  };
  const trainingSet = async (id: string, signal: AbortSignal): Promise<OwnedBy> => {
    const resource = `training set "${id}"`;
    const found = await collections.trainingSets.get(id, { signal });
    if (!found) throw resourceNotFound(resource);
    return ownedBy(resource, found.data.team);
  };
  return {
    // The views it reads by its entities' names and sources are its own; a new one names its team.
    applyFeatureView: { action: 'edit', team: (req) => req.featureView?.team ?? '' },
    getFeatureView: { action: 'view', team: (req, signal) => view(req.featureViewName, signal) },
    listFeatureViews: { action: 'view', list: true, team: (req) => req.team },
    deleteFeatureView: { action: 'admin', team: (req, signal) => view(req.featureViewName, signal) },
    ingest: { action: 'edit', team: (req, signal) => view(req.featureViewName, signal) },
    // Checked on every message of the stream: each names its view.
    ingestStream: { action: 'edit', team: (req, signal) => view(req.featureViewName, signal) },
    getOnlineFeatures: { action: 'view', team: readers },
    getHistoricalFeatures: { action: 'view', team: readers },
    streamHistoricalFeatures: { action: 'view', team: (req, signal) => views(viewsOf(req.features), signal) },
    // Editor of the set's team, and viewer of every view it reads.
    createTrainingSet: {
      action: 'edit',
      team: async (req, signal) => [req.team, ...readOnly(await readers(req, signal))],
    },
    getTrainingSet: { action: 'view', team: (req, signal) => trainingSet(req.trainingSetId, signal) },
    // An empty list is every view due: for platform admins.
    materialize: {
      action: 'edit',
      team: (req, signal) => (req.featureViewNames.length ? views(req.featureViewNames, signal) : ''),
    },
    // Editor of its team, and viewer of every view its expressions read.
    applyOnDemandFeatureView: {
      action: 'edit',
      team: async (req, signal) => {
        const definition = req.onDemandFeatureView;
        const read = (definition?.features ?? []).flatMap((f) => viewsReferenced(f.expression));
        return [definition?.team ?? '', ...readOnly(await views([...new Set(read)], signal))];
      },
    },
    getOnDemandFeatureView: { action: 'view', team: (req, signal) => view(req.name, signal) },
    listOnDemandFeatureViews: { action: 'view', list: true, team: () => '' },
    deleteOnDemandFeatureView: { action: 'admin', team: (req, signal) => view(req.name, signal) },
    // Editor of its team, and viewer of every view it names.
    createFeatureService: {
      action: 'edit',
      team: async (req, signal) => [
        req.featureService?.team ?? '',
        ...readOnly(await views(viewsOf(req.featureService?.features ?? []), signal)),
      ],
    },
    getFeatureService: { action: 'view', team: (req, signal) => service(req.name, signal) },
    // A name lists that service's versions; none lists every service the caller may see.
    listFeatureServices: {
      action: 'view',
      list: true,
      team: (req, signal) => (req.name ? service(req.name, signal) : ''),
    },
  };
}
