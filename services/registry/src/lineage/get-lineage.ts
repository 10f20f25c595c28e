import { isAppError } from '@flywheel/core';
import type { Doc } from '@flywheel/store';
import { readModel, readVersion } from '../records/read-model.ts';
import {
  type ModelRecord,
  type RegistryCollections,
  type VersionRecord,
  versionId,
} from '../records/registry-records.ts';

/** The deepest walk GetLineage makes, whatever the request asks. */
export const maxLineageDepth = 10;

export type LineageWalk = 'upstream' | 'downstream' | 'both';

export interface LineageGraph {
  /** Every version reached, the start included, with the aliases of its model. */
  versions: { version: VersionRecord; modelAliases: [string, number][] }[];
  /** child derives from parent. */
  edges: { parent: { modelName: string; version: number }; child: { modelName: string; version: number } }[];
}

/**
 * GetLineage: walks parents (upstream) and/or children (downstream) of a version breadth-first,
 * up to `depth` hops (0 means 1; capped at {@link maxLineageDepth}). Throws `not_found` for an
 * unknown model or version.
 */
export function createGetLineage(deps: { collections: RegistryCollections }) {
  const { collections } = deps;
  return async function getLineage(
    input: { modelName: string; version: number; walk: LineageWalk; depth: number },
    signal: AbortSignal,
  ): Promise<LineageGraph> {
    const depth = Math.min(Math.max(input.depth, 1), maxLineageDepth);
    const models = new Map<string, Doc<ModelRecord>>();
    const modelOf = async (name: string): Promise<Doc<ModelRecord>> => {
      let model = models.get(name);
      if (!model) {
        model = await readModel(collections, name, signal);
        models.set(name, model);
      }
      return model;
    };
    const start = await readVersion(collections, await modelOf(input.modelName), input.version, signal);
    const seen = new Map<string, VersionRecord>([[start.id, start.data]]);
    const edges = new Map<string, LineageGraph['edges'][number]>();
    let frontier = [start.data];
    for (let hop = 0; hop < depth && frontier.length > 0; hop++) {
      const next: VersionRecord[] = [];
      const visit = async (ref: { modelName: string; version: number }): Promise<void> => {
        const id = versionId(ref.modelName, ref.version);
        if (seen.has(id)) return;
        try {
          const found = await readVersion(collections, await modelOf(ref.modelName), ref.version, signal);
          seen.set(id, found.data);
          next.push(found.data);
        } catch (thrown) {
          if (!isAppError(thrown, 'not_found')) throw thrown;
        }
      };
      for (const version of frontier) {
        const self = { modelName: version.modelName, version: version.version };
        if (input.walk !== 'downstream') {
          for (const parent of version.lineage.parentVersions) {
            edges.set(
              `${versionId(parent.modelName, parent.version)}>${versionId(self.modelName, self.version)}`,
              {
                parent,
                child: self,
              },
            );
            await visit(parent);
          }
        }
        if (input.walk !== 'upstream') {
          const children = await collections.versions.find(
            { parentKeys: versionId(self.modelName, self.version) },
            { limit: 10_000, signal },
          );
          for (const child of children) {
            const ref = { modelName: child.data.modelName, version: child.data.version };
            edges.set(`${versionId(self.modelName, self.version)}>${child.id}`, { parent: self, child: ref });
            await visit(ref);
          }
        }
      }
      frontier = next;
    }
    return {
      versions: [...seen.values()].map((version) => ({
        version,
        modelAliases: models.get(version.modelName)?.data.aliases ?? [],
      })),
      edges: [...edges.values()],
    };
  };
}
