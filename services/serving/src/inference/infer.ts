import { randomUUID } from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { AppError } from '@flywheel/core';
import type {
  ModelInferRequest,
  ModelInferResponseSchema,
} from '@flywheel/proto/inference/grpc_service_pb.js';
import { activeTraceId } from '@flywheel/telemetry';
import type { ServedModels } from '../deployments/served-models.ts';
import type { ModelStatisticsBook } from '../observability/model-statistics.ts';
import type { PredictionLog } from '../observability/prediction-log.ts';
import type { PredictionSample } from '../observability/prediction-rows.ts';
import type { ServedRequests } from '../observability/served-requests.ts';
import type { Scheduled } from '../runtime/model-runner.ts';
import type { RequestRouting } from '../traffic/request-routing.ts';
import type { EnrichInputs } from './feature-enrichment.ts';
import { decodeInferInputs } from './infer-inputs.ts';
import { encodeOutputs, requestedOutputs } from './infer-outputs.ts';
import { schedulingOf } from './scheduling-parameters.ts';

/**
 * Runs one Open Inference Protocol request on the live version of the deployment it names. The
 * version is held for the whole request, so a swap never pulls it away mid-request. Successful
 * requests are offered to the prediction log (sampled, buffered, never waited for).
 *
 * @throws AppError not_found for an unknown deployment or a model_version other than the live one;
 *   unavailable when no version is loaded; resource_exhausted when the version runs its limit of
 *   requests; invalid_argument naming the input or output at fault (see decodeInferInputs).
 */
export type Infer = (
  request: ModelInferRequest,
  options: { signal: AbortSignal },
) => Promise<MessageInitShape<typeof ModelInferResponseSchema>>;

export interface InferDeps {
  served: ServedModels;
  statistics: ModelStatisticsBook;
  predictionLog: PredictionLog;
  /** Every answered request, by request id and trace id: what GetServedRequest reads. */
  servedRequests?: ServedRequests;
  /** Traffic strategies (canary, A/B, shadow, bandit): picks the version and learns from answers. */
  routing?: RequestRouting;
  /** Completes missing inputs from the feature store, for deployments with feature enrichment. */
  enrich?: EnrichInputs;
  now?: () => number;
}

export function createInfer(deps: InferDeps): Infer {
  const { served, statistics, predictionLog } = deps;
  const now = deps.now ?? Date.now;
  return async (request, { signal }) => {
    const started = process.hrtime.bigint();
    if (request.modelName === '') throw AppError.invalidArgument('model_name', 'is required');
    const lease = deps.routing
      ? deps.routing.acquire(request)
      : served.acquire(request.modelName, request.modelVersion);
    const model = lease.model;
    let computeNs = 0n;
    try {
      const signature = model.runner.signature;
      const enrichment = deps.enrich ? served.get(request.modelName)?.settings.featureEnrichment : undefined;
      const enriched =
        enrichment && deps.enrich
          ? await deps.enrich(request, signature, enrichment, { signal })
          : { request, served: undefined };
      const given = enriched.request;
      const decoded = decodeInferInputs(given, signature, {
        allowNonFinite: served.get(request.modelName)?.settings.allowNonFinite ?? false,
      });
      const outputNames = requestedOutputs(request, signature);
      const computeStarted = process.hrtime.bigint();
      let scheduled: Scheduled | undefined;
      const outputs = await model.runner.run(decoded.inputs, outputNames, {
        signal,
        ...schedulingOf(request.parameters),
        onScheduled: (value) => {
          scheduled = value;
        },
      });
      // Queue time (dynamic batching) is counted apart from compute, as Triton reports them.
      computeNs = process.hrtime.bigint() - computeStarted - (scheduled?.queueNs ?? 0n);
      const id = request.id || randomUUID();
      const response = {
        modelName: request.modelName,
        modelVersion: String(model.version),
        id,
        ...encodeOutputs(outputNames, outputs, decoded.raw),
      };
      const latencyNs = process.hrtime.bigint() - started;
      const timeMs = now();
      statistics.record({
        deployment: request.modelName,
        version: model.version,
        ok: true,
        durationNs: latencyNs,
        computeNs,
        rows: decoded.rows,
        timeMs,
        ...(scheduled
          ? { queueNs: scheduled.queueNs, batchRows: scheduled.batchRows, firstOfBatch: scheduled.first }
          : {}),
      });
      deps.routing?.answered({
        request,
        id,
        version: model.version,
        latencyNs,
        inputs: decoded.inputs,
        outputNames,
        outputs,
      });
      const settings = served.get(request.modelName)?.settings;
      if (settings) {
        const sample: PredictionSample = {
          deploymentName: request.modelName,
          modelName: settings.modelName,
          team: settings.team,
          modelVersion: model.version,
          requestId: id,
          timeMs,
          latencyNs,
          inputs: decoded.inputs,
          outputs,
          rows: decoded.rows,
          ...(enriched.served ? { served: enriched.served } : {}),
        };
        if (deps.servedRequests) {
          const route = deps.routing?.routeOf(request.modelName, model.version) ?? {
            role: 'stable' as const,
            stableVersion: model.version,
            mirroredTo: [],
          };
          deps.servedRequests.record({
            sample,
            traceId: activeTraceId() ?? '',
            route: request.modelVersion === '' ? route.role : 'pinned',
            mirroredTo: route.mirroredTo,
            stableVersion: route.stableVersion,
          });
        }
        predictionLog.offer(sample, {
          sampleRate: settings.sampleRate,
          batchSize: settings.logBatchSize,
          batchDelayMs: settings.logBatchDelayMs,
          includeTensors: settings.logTensors,
        });
      }
      return response;
    } catch (error) {
      deps.routing?.failed(request.modelName, model.version, process.hrtime.bigint() - started);
      statistics.record({
        deployment: request.modelName,
        version: model.version,
        ok: false,
        durationNs: process.hrtime.bigint() - started,
        computeNs,
        rows: 0,
        timeMs: now(),
      });
      throw error;
    } finally {
      lease.release();
    }
  };
}
