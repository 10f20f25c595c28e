import { AppError } from '@flywheel/core';
import type { SetReferenceProfileRequest } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { needsReferenceData, testsOf } from '../records/monitor-records.ts';
import { maxFind } from '../records/monitoring-collections.ts';
import {
  type FeatureProfileRecord,
  profileDocId,
  type ReferenceProfileRecord,
} from '../records/profile-records.ts';
import { featureProfilesFromMessage } from './profile-messages.ts';
import { newProfileRecord, profileReferenceDataset, type ReferenceProfileDeps } from './profile-reference.ts';
import { resolveReferenceDataset } from './resolve-reference-dataset.ts';
import { wantedColumnsOf } from './wanted-columns.ts';

/**
 * Sets (replaces) the reference profile of a model version: a profile given whole, or one
 * computed from a dataset — a blob URI or a feature-store training set id — over the columns the
 * model's monitors declare (every feature column when none do). Windows of the version that
 * waited for a profile are evaluated against it. Throws `invalid_argument` naming the field for
 * a malformed profile or ref or a dataset without any of the wanted columns, `not_found` for an
 * unknown training set or blob, and the feature store's errors.
 */
export function createSetReferenceProfile(deps: ReferenceProfileDeps) {
  const { collections } = deps;
  const now = deps.now ?? (() => new Date());
  return async function setReferenceProfile(
    request: SetReferenceProfileRequest,
    signal: AbortSignal,
  ): Promise<ReferenceProfileRecord> {
    const modelVersion = Number(request.modelVersion);
    const source = request.source;
    let record: ReferenceProfileRecord;
    if (source.case === 'profile') {
      // Output only: computed from a dataset, never taken on trust.
      if (source.value.segments.length > 0)
        throw AppError.invalidArgument(
          'profile.segments',
          'is output only: set the profile from a dataset to profile segments',
        );
      if (source.value.unprofiled.length > 0)
        throw AppError.invalidArgument('profile.unprofiled', 'is output only');
      const features = featureProfilesFromMessage(source.value.features);
      if (features.length === 0)
        throw AppError.invalidArgument('profile.features', 'must profile at least one feature');
      await refuseWhatMonitorsCannotUse(request.modelName, features, 'profile', signal);
      record = newProfileRecord(request.modelName, modelVersion, source.value.sourceRef, features, now());
    } else if (source.case === 'dataset') {
      const dataset = await resolveReferenceDataset(source.value.uri, source.value.format, {
        featureStore: deps.featureStore,
        signal,
        field: 'dataset.uri',
      });
      const wanted = await wantedColumnsOf(collections, request.modelName, undefined, signal);
      const parts = await profileReferenceDataset(deps.blobs, dataset, wanted, {
        limits: deps.limits,
        signal,
        slices: wanted.slices,
      });
      const features = parts.features.filter((f) => f.count > 0 || f.missingCount > 0);
      if (features.length === 0) {
        throw AppError.invalidArgument(
          'dataset.uri',
          `the dataset has none of the columns to profile${wanted.names.size ? ` (${[...wanted.names].join(', ')})` : ''}`,
        );
      }
      await refuseWhatMonitorsCannotUse(request.modelName, features, 'dataset', signal);
      record = newProfileRecord(request.modelName, modelVersion, dataset.sourceRef, features, now(), parts);
    } else {
      throw AppError.invalidArgument('source', 'set either profile or dataset');
    }
    await collections.profiles.put(profileDocId(request.modelName, modelVersion), record, { signal });
    deps.log.info('reference profile set', {
      model: request.modelName,
      version: modelVersion,
      profile: record.id,
      features: record.features.map((f) => f.name),
    });
    await deps.evaluateVersionWindows(request.modelName, modelVersion, signal);
    return record;
  };

  /**
   * Before anything is written: every feature a monitor of the model declares must be in the
   * profile with values, and a profile given without data (bins or quantiles only) cannot serve
   * a monitor's KS or Wasserstein test.
   */
  async function refuseWhatMonitorsCannotUse(
    modelName: string,
    features: readonly FeatureProfileRecord[],
    source: 'profile' | 'dataset',
    signal: AbortSignal,
  ): Promise<void> {
    const monitors = await collections.monitors.find({ modelName }, { limit: maxFind, signal });
    for (const { data: monitor } of monitors) {
      for (const monitored of monitor.features) {
        const i = features.findIndex((f) => f.name === monitored.name);
        const profiled = features[i];
        if (!profiled || profiled.count === 0) {
          throw AppError.invalidArgument(
            source === 'dataset' ? 'dataset.uri' : 'profile.features',
            `monitor "${monitor.name}" watches "${monitored.name}", which the ${source} has ${profiled ? 'no values of' : 'no column for'}`,
          );
        }
        const needsData = testsOf(monitor, monitored).find(needsReferenceData);
        if (needsData && profiled.numeric && profiled.numeric.sampleKind === 'none') {
          throw AppError.invalidArgument(
            `profile.features[${i}].numeric`,
            `monitor "${monitor.name}" runs ${needsData.kind} on "${monitored.name}", which needs the reference data: set the profile from a dataset, or monitor it with PSI or Jensen–Shannon in Flywheel's convention`,
          );
        }
      }
    }
  }
}
