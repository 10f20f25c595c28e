import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { isAppError } from '@flywheel/core';
import type { Value } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import type { OrchestratorService, Run } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import type {
  AliasChange,
  ModelVersion,
  RegistryService,
} from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import {
  type GetServedRequestRequest,
  RouteRole,
  type ServedRequest,
  type ServingService,
} from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import type { RpcClient } from '@flywheel/rpc';

/** The public APIs a report reads: serving, the registry and the orchestrator. */
export interface ServedRequestClients {
  serving: Pick<RpcClient<(typeof ServingService)['method']>, 'getServedRequest'>;
  registry: Pick<RpcClient<(typeof RegistryService)['method']>, 'getVersion' | 'getAliasHistory'>;
  orchestrator: Pick<RpcClient<(typeof OrchestratorService)['method']>, 'getRun'>;
}

/** One promotion gate as the promote step evaluated it (`flywheel.events.v1.GateResult`'s shape). */
export interface Gate {
  metric: string;
  candidateValue: number | null;
  championValue: number | null;
  threshold: number | null;
  comparison: string;
  passed: boolean;
}

/** One move of an alias onto the served version, with the gates that allowed it when a pipeline moved it. */
export interface Promotion {
  alias: string;
  /** 0 when the alias was new. */
  previousVersion: number;
  reason: string;
  time: Date | undefined;
  /** The principal that moved it. */
  by: string;
  /** The run and promote step that decided, when one did (matched by alias and version). */
  runId: string;
  stepName: string;
  gates: Gate[];
}

/** The run that trained and registered the version, from its lineage. */
export interface TrainedBy {
  runId: string;
  pipelineName: string;
  /** The run's trace; empty when it had none. */
  traceId: string;
  trainingSetRef: string;
  featureService: string;
  featureServiceVersion: number;
  codeVersion: string;
}

/** What served one request: serving's record, the version it names, how that version got there. */
export interface ServedRequestReport {
  request: ServedRequest;
  /** The registry's version; undefined when the registry no longer has it. */
  version: ModelVersion | undefined;
  trainedBy: TrainedBy | undefined;
  /** Moves of an alias onto this version, newest first. */
  promotions: Promotion[];
}

/** Most alias changes read per model: promotions older than these are not shown. */
const historyPage = 500;

/**
 * What served the requests `key` names (a request id, or every request of a trace), newest first:
 * serving's GetServedRequest, then per version the registry's GetVersion and GetAliasHistory and the
 * orchestrator's GetRun of the run in its lineage, whose promote steps hold the gates. Only public
 * RPCs, with the caller's credentials: what the caller may not see is refused as the services refuse
 * it. Throws serving's errors as they come (NOT_FOUND for an unknown id, INVALID_ARGUMENT for a bad
 * one); a run that no longer exists leaves `trainedBy` undefined and the gates empty.
 */
export async function servedRequestReports(
  clients: ServedRequestClients,
  key: GetServedRequestRequest['key'],
  options: { signal?: AbortSignal } = {},
): Promise<ServedRequestReport[]> {
  const call = options.signal ? { signal: options.signal } : {};
  const { requests } = await clients.serving.getServedRequest({ key }, call);
  const byVersion = new Map<string, Promise<Omit<ServedRequestReport, 'request'>>>();
  const versionReport = async (modelName: string, modelVersion: bigint) => {
    const version = await orUndefined(clients.registry.getVersion({ modelName, modelVersion }, call));
    const lineage = version?.version?.lineage;
    const run = lineage?.pipelineRunId
      ? (await orUndefined(clients.orchestrator.getRun({ runId: lineage.pipelineRunId }, call)))?.run
      : undefined;
    const history = await orUndefined(
      clients.registry.getAliasHistory({ modelName, pageSize: historyPage }, call),
    );
    const changes = (history?.changes ?? []).filter((change) => change.modelVersion === modelVersion);
    return {
      version: version?.version,
      trainedBy:
        run && lineage
          ? {
              runId: run.id,
              pipelineName: run.pipelineName,
              traceId: run.traceId,
              trainingSetRef: lineage.trainingSetRef,
              featureService: lineage.featureService,
              featureServiceVersion: Number(lineage.featureServiceVersion),
              codeVersion: lineage.codeVersion,
            }
          : undefined,
      promotions: changes.map((change) => promotionOf(change, run, Number(modelVersion))),
    };
  };
  return Promise.all(
    requests.map(async (request) => {
      const id = `${request.modelName}\u0000${request.modelVersion}`;
      let report = byVersion.get(id);
      if (!report) {
        report = versionReport(request.modelName, request.modelVersion);
        byVersion.set(id, report);
      }
      return { request, ...(await report) };
    }),
  );
}

/** The route as people say it: "canary", "stable", "variant", "bandit arm", "pinned". */
export function routeName(role: RouteRole): string {
  switch (role) {
    case RouteRole.STABLE:
      return 'stable';
    case RouteRole.CANARY:
      return 'canary';
    case RouteRole.VARIANT:
      return 'A/B variant';
    case RouteRole.ARM:
      return 'bandit arm';
    case RouteRole.SHADOW:
      return 'shadow';
    default:
      return 'pinned (the request named its version)';
  }
}

function promotionOf(change: AliasChange, run: Run | undefined, version: number): Promotion {
  // The promote step of the version's own run that moved this alias onto it.
  const step = run?.steps.find((s) => {
    const out = s.outputs;
    return (
      out !== undefined &&
      Array.isArray(out.gates) &&
      out.promoted === true &&
      out.model_version === version &&
      (out.alias ?? 'champion') === change.alias
    );
  });
  return {
    alias: change.alias,
    previousVersion: Number(change.previousVersion),
    reason: change.reason,
    time: change.changeTime ? timestampDate(change.changeTime) : undefined,
    by: change.principal?.subject ?? '',
    runId: step && run ? run.id : '',
    stepName: step?.name ?? '',
    gates: step ? gatesOf(step.outputs!.gates as JsonValue[]) : [],
  };
}

function gatesOf(values: readonly JsonValue[]): Gate[] {
  return values.flatMap((value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
    const gate = value as JsonObject;
    const num = (v: JsonValue | undefined) => (typeof v === 'number' ? v : null);
    return [
      {
        metric: String(gate.metric ?? ''),
        candidateValue: num(gate.candidate_value),
        championValue: num(gate.champion_value),
        threshold: num(gate.threshold),
        comparison: String(gate.comparison ?? ''),
        passed: gate.passed === true,
      },
    ];
  });
}

/** A read's answer, or undefined when what it reads is gone (NOT_FOUND). */
async function orUndefined<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (isAppError(error, 'not_found')) return undefined;
    throw error;
  }
}

/** A logged value as people read it: numbers to 6 significant digits, lists in brackets. */
export function valueText(value: Value | undefined): string {
  const kind = value?.kind;
  if (!kind || kind.case === undefined) return '';
  const one = (v: unknown): string =>
    typeof v === 'number'
      ? String(Number(v.toPrecision(6)))
      : v instanceof Uint8Array
        ? `${v.length} bytes`
        : String(v);
  switch (kind.case) {
    case 'timestampValue':
      return timestampDate(kind.value).toISOString();
    case 'stringListValue':
    case 'int64ListValue':
    case 'floatListValue':
    case 'doubleListValue':
    case 'boolListValue':
      return `[${(kind.value.values as readonly unknown[]).map(one).join(', ')}]`;
    default:
      return one(kind.value);
  }
}
