import { durationMs, timestampFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';
import {
  AlertSeverity,
  AlertState,
  type MonitoringService,
} from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { type ImplOf, listedTeams } from '@flywheel/rpc';
import type { createGetDriftReport } from '../drift/get-drift-report.ts';
import type { createListAlerts } from '../drift/list-alerts.ts';
import type { createListDriftResults } from '../drift/list-drift-results.ts';
import type { createCreateMonitor } from '../monitors/create-monitor.ts';
import type { createDeleteMonitor } from '../monitors/delete-monitor.ts';
import type { createGetMonitor } from '../monitors/get-monitor.ts';
import type { createListMonitors } from '../monitors/list-monitors.ts';
import { monitorToMessage } from '../monitors/monitor-messages.ts';
import type { createGetPerformanceMetrics } from '../performance/get-performance-metrics.ts';
import { profileToMessage } from '../profiles/profile-messages.ts';
import type { createSetReferenceProfile } from '../profiles/set-reference-profile.ts';
import { alertStateName, severityName } from '../records/enum-names.ts';
import type { MonitoringCollections } from '../records/monitoring-collections.ts';
import { profileDocId } from '../records/profile-records.ts';
import { alertToMessage, driftResultToMessage } from './drift-result-messages.ts';

/** The use cases the API calls. */
export interface MonitoringUseCases {
  collections: MonitoringCollections;
  createMonitor: ReturnType<typeof createCreateMonitor>;
  getMonitor: ReturnType<typeof createGetMonitor>;
  listMonitors: ReturnType<typeof createListMonitors>;
  deleteMonitor: ReturnType<typeof createDeleteMonitor>;
  setReferenceProfile: ReturnType<typeof createSetReferenceProfile>;
  getDriftReport: ReturnType<typeof createGetDriftReport>;
  listDriftResults: ReturnType<typeof createListDriftResults>;
  listAlerts: ReturnType<typeof createListAlerts>;
  getPerformanceMetrics: ReturnType<typeof createGetPerformanceMetrics>;
}

/** gRPC handlers of MonitoringService: request → use case → response, converting int64 and times at the edge. */
export function createMonitoringApi(useCases: MonitoringUseCases): ImplOf<typeof MonitoringService> {
  return {
    async createMonitor(request, ctx) {
      if (!request.monitor) throw AppError.invalidArgument('monitor', 'is required');
      return { monitor: monitorToMessage(await useCases.createMonitor(request.monitor, ctx.signal)) };
    },

    async getMonitor(request, ctx) {
      return { monitor: monitorToMessage(await useCases.getMonitor(request.monitorName, ctx.signal)) };
    },

    async listMonitors(request, ctx) {
      const { monitors, nextPageToken } = await useCases.listMonitors(
        {
          modelName: request.modelName,
          // Only teams the caller may view (the policy checked a named one).
          team: listedTeams(ctx.principal, request.team),
          pageSize: request.pageSize,
          pageToken: request.pageToken,
        },
        ctx.signal,
      );
      return { monitors: monitors.map(monitorToMessage), nextPageToken };
    },

    async deleteMonitor(request, ctx) {
      await useCases.deleteMonitor(request.monitorName, ctx.signal);
      return {};
    },

    async setReferenceProfile(request, ctx) {
      return { profile: profileToMessage(await useCases.setReferenceProfile(request, ctx.signal)) };
    },

    async getReferenceProfile(request, ctx) {
      const version = Number(request.modelVersion);
      const doc = await useCases.collections.profiles.get(profileDocId(request.modelName, version), {
        signal: ctx.signal,
      });
      if (!doc) {
        throw new AppError(
          'not_found',
          `model "${request.modelName}" version ${version} has no reference profile`,
          {
            field: 'model_version',
          },
        );
      }
      return { profile: profileToMessage(doc.data) };
    },

    async getDriftReport(request, ctx) {
      const report = await useCases.getDriftReport(
        {
          modelName: request.modelName,
          modelVersion: Number(request.modelVersion),
          monitorName: request.monitorName,
        },
        ctx.signal,
      );
      return {
        modelName: report.modelName,
        modelVersion: BigInt(report.modelVersion),
        results: report.results.map(({ evaluation, result }) => driftResultToMessage(evaluation, result)),
        driftedShare: report.driftedShare,
        untested: report.untested.map((u) => ({
          monitorName: u.monitorName,
          feature: u.feature,
          segment: u.segment,
          reason: u.reason,
        })),
      };
    },

    async listDriftResults(request, ctx) {
      const { results, nextPageToken } = await useCases.listDriftResults(
        {
          modelName: request.modelName,
          modelVersion: Number(request.modelVersion),
          feature: request.feature,
          startTime: request.startTime ? timestampMs(request.startTime) : undefined,
          endTime: request.endTime ? timestampMs(request.endTime) : undefined,
          driftedOnly: request.driftedOnly,
          segment: request.segment,
          pageSize: request.pageSize,
          pageToken: request.pageToken,
        },
        ctx.signal,
      );
      return {
        results: results.map(({ evaluation, result }) => driftResultToMessage(evaluation, result)),
        nextPageToken,
      };
    },

    async getPerformanceMetrics(request, ctx) {
      const buckets = await useCases.getPerformanceMetrics(
        {
          modelName: request.modelName,
          modelVersion: Number(request.modelVersion),
          startTime: request.startTime ? timestampMs(request.startTime) : undefined,
          endTime: request.endTime ? timestampMs(request.endTime) : undefined,
          bucketMs: request.bucket ? durationMs(request.bucket) : undefined,
          segment: request.segment,
        },
        ctx.signal,
      );
      return {
        metrics: buckets.map((bucket) => ({
          modelName: request.modelName,
          modelVersion: BigInt(bucket.modelVersion),
          startTime: timestampFromMs(bucket.startTime),
          endTime: timestampFromMs(bucket.endTime),
          predictionCount: BigInt(bucket.predictionCount),
          labelledCount: BigInt(bucket.labelledCount),
          metrics: bucket.metrics,
          segment: bucket.segment,
        })),
      };
    },

    async listAlerts(request, ctx) {
      const { alerts, nextPageToken } = await useCases.listAlerts(
        {
          modelName: request.modelName,
          // Only teams the caller may view (the policy checked a named one).
          team: listedTeams(ctx.principal, request.team),
          state: request.state === AlertState.UNSPECIFIED ? undefined : alertStateName(request.state),
          minSeverity:
            request.minSeverity === AlertSeverity.UNSPECIFIED ? undefined : severityName(request.minSeverity),
          pageSize: request.pageSize,
          pageToken: request.pageToken,
        },
        ctx.signal,
      );
      return { alerts: alerts.map(alertToMessage), nextPageToken };
    },
  };
}
