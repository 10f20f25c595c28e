import { AppError } from '@flywheel/core';
import type { LiveModel, ModelLease } from '../runtime/live-model.ts';
import type { FeatureEnrichmentRecord } from './deployment-records.ts';

/** How a deployment's requests are served and logged; follows the stored deployment. */
export interface ServingSettings {
  readonly modelName: string;
  readonly team: string;
  /** Fraction of requests logged, 0 to 1. */
  readonly sampleRate: number;
  /** Predictions per `prediction.logged` event; 0 means the server's default. */
  readonly logBatchSize: number;
  /** Longest a logged prediction waits for its batch, ms; 0 means the server's default. */
  readonly logBatchDelayMs: number;
  /** Also log raw input/output tensors. */
  readonly logTensors: boolean;
  /** Requests one version runs at once. */
  readonly maxInFlight: number;
  /** Accept NaN/±Infinity in floating-point inputs (label `serving.flywheel.dev/allow-non-finite`). */
  readonly allowNonFinite?: boolean;
  /** Inputs completed from the feature store before inference. */
  readonly featureEnrichment?: FeatureEnrichmentRecord;
}

/** A deployment as this process serves it. */
export interface ServedDeployment {
  readonly name: string;
  readonly settings: ServingSettings;
  /** The version taking traffic, if any. */
  readonly live: LiveModel | undefined;
  /** True while a load that may still succeed is under way or scheduled (server not ready). */
  readonly pending: boolean;
  /**
   * Why no version serves here when the one this replica was to load was refused for good (an
   * artifact the runtime cannot serve, a tampered one); cleared when a version goes live.
   */
  readonly refusal: AppError | undefined;
}

/** The deployments this process serves and the live model of each: the request path reads it. */
export interface ServedModels {
  get(name: string): ServedDeployment | undefined;
  list(): ServedDeployment[];
  /** Adds a deployment (not yet live, pending) or updates its settings. */
  upsert(name: string, settings: ServingSettings): void;
  setPending(name: string, pending: boolean): void;
  /** Records (or, with undefined, clears) why the version this replica was to load was refused. */
  setRefusal(name: string, refusal: AppError | undefined): void;
  /**
   * Makes `model` the deployment's live version at once (clearing any refusal); the previous one
   * is retired (closed after the requests holding it finish). No-op for an unknown deployment (then `model` is retired).
   */
  activate(name: string, model: LiveModel): void;
  /** Stops serving a deployment; resolves once its live model is closed. */
  remove(name: string): Promise<void>;
  /**
   * Holds the live model of deployment `name` for one request. `version` (the OIP model_version)
   * must be empty or the live version.
   *
   * @throws AppError not_found for an unknown deployment or another version; failed_precondition
   *   when no version is loaded because it was refused (with the reason); unavailable when no
   *   version is loaded yet; resource_exhausted when the version runs its limit of requests.
   */
  acquire(name: string, version: string): ModelLease;
  /** True when no deployment has a load pending. */
  ready(): boolean;
  /** Retires every live model; resolves once all are closed. */
  close(): Promise<void>;
}

interface Entry {
  name: string;
  settings: ServingSettings;
  live: LiveModel | undefined;
  pending: boolean;
  refusal: AppError | undefined;
}

/** An empty table of served deployments. */
export function createServedModels(): ServedModels {
  const entries = new Map<string, Entry>();
  const view = (entry: Entry): ServedDeployment => ({ ...entry });

  return {
    get: (name) => {
      const entry = entries.get(name);
      return entry && view(entry);
    },
    list: () => [...entries.values()].map(view),
    upsert(name, settings) {
      const entry = entries.get(name);
      if (entry) entry.settings = settings;
      else entries.set(name, { name, settings, live: undefined, pending: true, refusal: undefined });
    },
    setPending(name, pending) {
      const entry = entries.get(name);
      if (entry) entry.pending = pending;
    },
    setRefusal(name, refusal) {
      const entry = entries.get(name);
      if (entry) entry.refusal = refusal;
    },
    activate(name, model) {
      const entry = entries.get(name);
      if (!entry) {
        void model.retire();
        return;
      }
      const previous = entry.live;
      entry.live = model;
      entry.refusal = undefined;
      if (previous && previous !== model) void previous.retire();
    },
    async remove(name) {
      const entry = entries.get(name);
      if (!entry) return;
      entries.delete(name);
      await entry.live?.retire();
    },
    acquire(name, version) {
      const entry = entries.get(name);
      if (!entry) throw new AppError('not_found', `model "${name}" is not deployed on this server`);
      const live = entry.live;
      if (!live && entry.refusal) {
        throw new AppError(
          'failed_precondition',
          `model "${name}" serves no version: its version was refused — ${entry.refusal.message}`,
        );
      }
      if (!live) {
        throw new AppError('unavailable', `model "${name}" has no version loaded yet; see GetDeployment`);
      }
      if (version !== '' && !sameVersion(version, live.version)) {
        throw new AppError(
          'not_found',
          `model "${name}" has no version "${version}" loaded; it serves version ${live.version}`,
        );
      }
      return live.acquire(entry.settings.maxInFlight);
    },
    ready: () => [...entries.values()].every((entry) => !entry.pending),
    async close() {
      const live = [...entries.values()].flatMap((entry) => (entry.live ? [entry.live] : []));
      entries.clear();
      await Promise.all(live.map((model) => model.retire()));
    },
  };
}

/** Whether an OIP version string names `version` ("2", also "02"). */
export function sameVersion(text: string, version: number): boolean {
  return /^\d+$/.test(text) && Number(text) === version;
}
