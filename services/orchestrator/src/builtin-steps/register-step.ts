import { AppError } from '@flywheel/core';
import { type OnnxTensorInfo, readOnnxSignature } from '@flywheel/ml';
import { RunSource } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import { ArtifactFormat } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import type { BuiltinStepDeps } from './builtin-step-deps.ts';
import { stepParameters } from './step-parameters.ts';
import type { BuiltinStep } from './step-types.ts';

/**
 * Built-in step `register`: registers an ONNX artifact already in the shared blob store as a new
 * version of a model (registry RegisterVersion), with its signature read from the graph, metrics,
 * parameters and lineage (`training_set_ref`, `pipeline_run_id`, `pipeline_name`, `code_version`,
 * `feature_service`, `feature_service_version`, and `trigger_event`: the event a trigger rule started
 * the run on, with its time, from which serving measures the loop's lead time).
 * Idempotent: the request id is `<run id>/<step name>`, so a retried step gets the version the first
 * attempt registered.
 *
 * | parameter         | type    | meaning |
 * |-------------------|---------|---------|
 * | `model_name`      | string  | registered model; created with the first version |
 * | `artifact_sha256` | string  | the ONNX artifact in the blob store |
 * | `training_set_id` | string  | the feature-store training set it was trained on ("ts_…") |
 * | `feature_service` | string? | the feature service that training set was built from (training-set's output), for lineage |
 * | `feature_service_version` | number? | its version (training-set's output) |
 * | `metrics`         | object? | metric name → number, e.g. evaluate's `candidate` |
 * | `parameters`      | object? | hyper-parameters, name → value (stored as strings), e.g. train's `parameters` |
 * | `team`            | string? | owning team for a new model; absent = the caller's |
 * | `description`     | string? | the version's description |
 * | `parent_version`  | string? | lineage `parent_versions`: the version this one derives from, `models:/<model>/<version>` (train's `warm_start_from` output); "" or absent = none |
 * | `code_version`    | string? | lineage `code_version`: the producing command step's own (`${steps.train.code_version}`, git commit or content digest); absent = the orchestrator's `FLYWHEEL_CODE_VERSION` (its built-in steps' code) |
 *
 * Outputs: `model_version` (number), `model_uri` (`models:/<name>/<version>`), `created` (false when
 * a retry found the earlier registration), `artifact_sha256`.
 *
 * Throws invalid_argument for bad parameters or an artifact that is not ONNX, not_found / data_loss
 * from the blob store, and the registry's errors as they come.
 */
export function createRegisterStep(
  deps: Pick<BuiltinStepDeps, 'blobs' | 'registry' | 'codeVersion'>,
): BuiltinStep {
  return async (ctx) => {
    const params = stepParameters(ctx.parameters);
    const modelName = params.string('model_name');
    const artifactSha256 = params.sha256('artifact_sha256');
    const trainingSetId = params.string('training_set_id');
    const metrics = numericMap(params.nullableObject('metrics') ?? {}, 'parameters.metrics');
    const parameters = stringMap(params.nullableObject('parameters') ?? {});
    const team = params.optionalString('team');
    const description = params.optionalString('description');
    const parentVersion = params.optionalString('parent_version') ?? '';
    const parent = /^models:\/([a-z0-9][a-z0-9._-]*)\/([1-9][0-9]*)$/.exec(parentVersion);
    if (parentVersion !== '' && !parent) {
      throw AppError.invalidArgument(
        'parameters.parent_version',
        `must be models:/<model>/<version>, got "${parentVersion}"`,
      );
    }
    const featureService = params.optionalString('feature_service');
    const featureServiceVersion = params.optionalNumber('feature_service_version', 0);
    if (
      featureService !== undefined &&
      (!Number.isInteger(featureServiceVersion) || featureServiceVersion < 1)
    ) {
      throw AppError.invalidArgument('parameters.feature_service_version', 'must be the version used (≥ 1)');
    }
    if (featureService === undefined && ctx.parameters.feature_service_version !== undefined) {
      throw AppError.invalidArgument('parameters.feature_service_version', 'needs feature_service');
    }

    const artifact = await deps.blobs.getBytes(artifactSha256, { signal: ctx.signal });
    let signature: ReturnType<typeof readOnnxSignature>;
    try {
      signature = readOnnxSignature(artifact);
    } catch (error) {
      throw AppError.invalidArgument(
        'parameters.artifact_sha256',
        `${artifactSha256} is not an ONNX model: ${AppError.from(error).message}`,
        { cause: error },
      );
    }

    const { version, created } = await deps.registry.registerVersion(
      {
        requestId: `${ctx.runId}/${ctx.stepName}`,
        modelName,
        artifactSource: { case: 'artifactSha256', value: artifactSha256 },
        format: ArtifactFormat.ONNX,
        signature: { inputs: signature.inputs.map(tensorSpec), outputs: signature.outputs.map(tensorSpec) },
        metrics,
        parameters,
        lineage: {
          trainingSetRef: trainingSetId,
          pipelineRunId: ctx.runId,
          pipelineName: ctx.pipelineName,
          // The producing step's own (`${steps.train.code_version}`), else the orchestrator's: the
          // code of its built-in steps.
          codeVersion: params.optionalString('code_version') ?? deps.codeVersion ?? '',
          ...(ctx.trigger.source === RunSource.TRIGGER && ctx.trigger.event
            ? { triggerEvent: ctx.trigger.event }
            : {}),
          ...(featureService === undefined
            ? {}
            : { featureService, featureServiceVersion: BigInt(featureServiceVersion) }),
          ...(parent
            ? { parentVersions: [{ modelName: parent[1] ?? '', modelVersion: BigInt(parent[2] ?? '0') }] }
            : {}),
        },
        ...(team === undefined ? {} : { team }),
        ...(description === undefined ? {} : { description }),
      },
      { signal: ctx.signal },
    );
    if (version === undefined) {
      throw new AppError('internal', 'the registry answered RegisterVersion without a version');
    }
    const modelVersion = Number(version.version);
    ctx.log.info(created ? 'model version registered' : 'model version already registered', {
      modelName,
      modelVersion,
    });
    return {
      model_version: modelVersion,
      model_uri: `models:/${modelName}/${modelVersion}`,
      created,
      artifact_sha256: artifactSha256,
    };
  };
}

function tensorSpec(info: OnnxTensorInfo): { name: string; datatype: string; shape: bigint[] } {
  return { name: info.name, datatype: info.datatype, shape: (info.shape ?? []).map((dim) => BigInt(dim)) };
}

function numericMap(values: Readonly<Record<string, unknown>>, field: string): Record<string, number> {
  const map: Record<string, number> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw AppError.invalidArgument(
        `${field}.${name}`,
        `must be a finite number, got ${JSON.stringify(value)}`,
      );
    }
    map[name] = value;
  }
  return map;
}

function stringMap(values: Readonly<Record<string, unknown>>): Record<string, string> {
  const map: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === null || value === undefined) continue;
    map[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return map;
}
