import type { AuditPrincipal } from '@flywheel/rpc';
import type { Collection, DocumentStore } from '@flywheel/store';

// The shapes the registry keeps in its own document store. Numbers, not bigints; times in epoch
// ms. User-keyed maps (labels, metrics, tags…) are stored as [key, value] pairs so that any key a
// client sends (`$x`, `a.b`, `__proto__`) is stored as-is and never becomes a document field name.

/** `[key, value]` pairs of a proto map, in key order. */
export type Pairs<V> = [string, V][];

/** Who acted, as stored: the kernel's audit form (`@flywheel/rpc` auditPrincipalOf). */
export type PrincipalRecord = AuditPrincipal;

export interface TensorRecord {
  name: string;
  datatype: string;
  shape: number[];
}

export interface SignatureRecord {
  inputs: TensorRecord[];
  outputs: TensorRecord[];
}

export interface LineageRecord {
  trainingSetRef: string;
  pipelineRunId: string;
  pipelineName: string;
  codeVersion: string;
  parentVersions: { modelName: string; version: number }[];
  /** The feature service (and version) its training set was built from; absent when none. */
  featureService?: { name: string; version: number };
  /** The event a trigger rule started the producing run on (its time as epoch ms, 0 when unknown); absent when none. */
  triggerEvent?: { id: string; type: string; source: string; subject: string; timeMs: number };
}

/** Stage names, as stored (the proto enum without its prefix). */
export type StageName = 'NONE' | 'STAGING' | 'PRODUCTION' | 'ARCHIVED';

/** One immutable model version (only `stage` and the update audit change after registration). */
export interface VersionRecord {
  modelName: string;
  version: number;
  team: string;
  description: string;
  artifact: { format: 'ONNX'; sha256: string; sizeBytes: number };
  signature: SignatureRecord | null;
  metrics: Pairs<number>;
  parameters: Pairs<string>;
  tags: Pairs<string>;
  lineage: LineageRecord;
  /** `<model>/<version>` of every parent, indexed so downstream lineage is one query. */
  parentKeys: string[];
  /**
   * What the lineage names, as `training_set:<ref>`, `feature_service:<name>`,
   * `feature_service:<name>@<version>`, `code_version:<v>` (lineageKeysOf), indexed so
   * FindVersionsByLineage is one query. Absent on versions registered before it existed.
   */
  lineageKeys?: string[];
  stage: StageName;
  /** Every stage move, oldest first, written with the move; absent on versions never moved. */
  stageHistory?: StageChangeRecord[];
  requestId: string;
  /** Id of its `model.version-registered` event, fixed at claim time so any writer emits the same event. */
  eventId: string;
  createTimeMs: number;
  updateTimeMs: number;
  createdBy: PrincipalRecord;
  updatedBy: PrincipalRecord;
}

/** One move of a version's stage. */
export interface StageChangeRecord {
  previousStage: StageName;
  stage: StageName;
  reason: string;
  timeMs: number;
  principal: PrincipalRecord;
}

/** One move of an alias; `seq` numbers a model's alias changes 1, 2, 3… */
export interface AliasChangeRecord {
  seq: number;
  alias: string;
  /** 0 when the alias was new. */
  previousVersion: number;
  /** 0 when the alias was deleted. */
  version: number;
  reason: string;
  timeMs: number;
  principal: PrincipalRecord;
}

/**
 * A registered model: the aggregate every version number, alias and alias change is decided on,
 * by compare-and-set on this one document.
 */
export interface ModelRecord {
  name: string;
  team: string;
  description: string;
  labels: Pairs<string>;
  /** Current aliases, alias → version, in alias order. */
  aliases: Pairs<number>;
  /** Highest version number claimed; claimed versions are committed (see register-version.ts). */
  latestVersion: number;
  /** Versions claimed whose version document may not be written yet; rolled forward by any reader. */
  claims: VersionRecord[];
  /** `claims.length > 0`, indexed so a restarted registry finds claims a crash left behind. */
  hasClaims: boolean;
  /** The most recent alias changes, oldest first; older ones are archived in chunks. */
  aliasHistory: AliasChangeRecord[];
  /** `seq` of the last alias change; 0 before the first. */
  aliasChangeCount: number;
  /** Alias-history chunks archived: chunk `i` holds seqs `i*size+1 … (i+1)*size`. */
  archivedHistoryChunks: number;
  createTimeMs: number;
  updateTimeMs: number;
  createdBy: PrincipalRecord;
  updatedBy: PrincipalRecord;
}

/**
 * A model document with no versions, aliases or history yet, created by `principal` at `nowMs`.
 * CreateModel stores it as is; RegisterVersion of an unknown model stores it with its first claim.
 */
export function newModelRecord(
  fields: { name: string; team: string; description: string; labels: Pairs<string> },
  principal: PrincipalRecord,
  nowMs: number,
): ModelRecord {
  return {
    ...fields,
    aliases: [],
    latestVersion: 0,
    claims: [],
    hasClaims: false,
    aliasHistory: [],
    aliasChangeCount: 0,
    archivedHistoryChunks: 0,
    createTimeMs: nowMs,
    updateTimeMs: nowMs,
    createdBy: principal,
    updatedBy: principal,
  };
}

/** An immutable chunk of a model's oldest alias changes. */
export interface AliasHistoryChunkRecord {
  modelName: string;
  chunk: number;
  changes: AliasChangeRecord[];
}

/** The registry's collections. */
export interface RegistryCollections {
  /** Id: the model name. */
  models: Collection<ModelRecord>;
  /** Id: {@link versionId}. */
  versions: Collection<VersionRecord>;
  /** Id: `<model>/<chunk>`. */
  aliasHistory: Collection<AliasHistoryChunkRecord>;
}

/** Opens the registry's collections with the indexes its queries use. */
export function openRegistryCollections(store: DocumentStore): RegistryCollections {
  return {
    models: store.collection<ModelRecord>('models', { indexes: ['team', 'hasClaims'] }),
    versions: store.collection<VersionRecord>('versions', {
      indexes: ['modelName', 'version', 'requestId', 'stage', 'parentKeys', 'lineageKeys', 'team'],
    }),
    aliasHistory: store.collection<AliasHistoryChunkRecord>('alias-history'),
  };
}

/** A lineage query's key (see VersionRecord.lineageKeys). */
export type LineageKey =
  | { trainingSetRef: string }
  | { featureService: string; featureServiceVersion?: number }
  | { codeVersion: string };

export function lineageKeyOf(key: LineageKey): string {
  if ('trainingSetRef' in key) return `training_set:${key.trainingSetRef}`;
  if ('codeVersion' in key) return `code_version:${key.codeVersion}`;
  return key.featureServiceVersion
    ? `feature_service:${key.featureService}@${key.featureServiceVersion}`
    : `feature_service:${key.featureService}`;
}

/** Every key a version's lineage is found by. */
export function lineageKeysOf(lineage: LineageRecord): string[] {
  const keys: string[] = [];
  if (lineage.trainingSetRef) keys.push(lineageKeyOf({ trainingSetRef: lineage.trainingSetRef }));
  if (lineage.featureService) {
    const { name, version } = lineage.featureService;
    keys.push(lineageKeyOf({ featureService: name }));
    keys.push(lineageKeyOf({ featureService: name, featureServiceVersion: version }));
  }
  if (lineage.codeVersion) keys.push(lineageKeyOf({ codeVersion: lineage.codeVersion }));
  return keys;
}

/** The id of a version document, and the key lineage uses: `<model>/<version>` ('/' never occurs in a model name). */
export function versionId(modelName: string, version: number): string {
  return `${modelName}/${version}`;
}

/** Reads `[key, value]` pairs back as a Map. */
export function pairsToMap<V>(pairs: Pairs<V>): Map<string, V> {
  return new Map(pairs);
}

/** Stores a Map (or proto map object) as `[key, value]` pairs sorted by key. */
export function toPairs<V>(entries: Iterable<[string, V]> | Readonly<Record<string, V>>): Pairs<V> {
  const list: Pairs<V> =
    Symbol.iterator in entries
      ? [...(entries as Iterable<[string, V]>)]
      : Object.entries(entries as Record<string, V>);
  return list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
