// Shared set-up of the orchestrator's behaviour tests: the real service in-process, a real gRPC
// client, and small pipeline builders. Built-in steps given here are the engine's product seam
// (`builtinSteps` of wireOrchestrator), not fakes of a peer.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject, MessageInitShape } from '@bufbuild/protobuf';
import type { Duration } from '@bufbuild/protobuf/wkt';
import { createMemoryBus, type EventBus, type MemoryBus } from '@flywheel/bus';
import type { Env } from '@flywheel/core';
import { type CloudEvent, eventKindFor } from '@flywheel/events';
import type {
  ForEachSchema,
  PipelineSpecSchema,
  ResourcesSchema,
  RetryPolicySchema,
  StepSchema,
} from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import {
  OrchestratorService,
  type Run,
  RunState,
} from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { createRpcClient, type RpcClient } from '@flywheel/rpc';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import { waitFor } from '@flywheel/testing';
import {
  type BuiltinSteps,
  type JobExecutor,
  loadOrchestratorConfig,
  wireOrchestrator,
} from '../src/index.ts';

export type OrchestratorClient = RpcClient<(typeof OrchestratorService)['method']>;

export interface TestOrchestrator {
  service: InProcessService;
  client: OrchestratorClient;
  bus: MemoryBus;
  stop(): Promise<void>;
}

export interface StartOptions {
  builtins?: BuiltinSteps;
  /** Executors besides (or, one named `local`, instead of) the local process executor. */
  executors?: readonly JobExecutor[];
  defaultExecutor?: string;
  dataDir?: string;
  bus?: MemoryBus;
  env?: Env;
}

/** The orchestrator in this process on embedded adapters, with an in-process bus the test can read. */
export async function startOrchestrator(options: StartOptions = {}): Promise<TestOrchestrator> {
  const bus = options.bus ?? createMemoryBus();
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'flywheel-orchestrator-test-'));
  const service = await startInProcess('orchestrator', {
    load: loadOrchestratorConfig,
    wire: (host, config) =>
      wireOrchestrator(host, config, {
        builtinSteps: options.builtins ?? {},
        ...(options.executors ? { executors: options.executors } : {}),
        ...(options.defaultExecutor ? { defaultExecutor: options.defaultExecutor } : {}),
      }),
    shared: { bus: bus as EventBus },
    dataDir,
    env: {
      FLYWHEEL_ORCHESTRATOR_WORK_DIR: join(dataDir, 'jobs'),
      FLYWHEEL_ORCHESTRATOR_KILL_GRACE: '2s',
      // The test run's servers.env names the real Ray and Kubernetes: only tests that ask for them get the executors.
      FLYWHEEL_RAY_ADDRESS: '',
      FLYWHEEL_KUBERNETES_NAMESPACE: '',
      ...options.env,
    },
  });
  const client = createRpcClient(OrchestratorService, { address: service.address });
  return {
    service,
    client,
    bus,
    stop: async () => {
      client.close();
      await service.stop();
    },
  };
}

type StepInit = MessageInitShape<typeof StepSchema>;

/** What a test may add to a step besides its name and kind. */
export interface StepExtra {
  dependsOn?: string[];
  parameters?: JsonObject;
  retry?: MessageInitShape<typeof RetryPolicySchema>;
  timeout?: Duration;
  condition?: string;
  resources?: MessageInitShape<typeof ResourcesSchema>;
  forEach?: MessageInitShape<typeof ForEachSchema>;
}

/** What a test may add to a SubmitRun request besides the pipeline. */
export interface SubmitExtra {
  parameters?: JsonObject;
  requestId?: string;
  team?: string;
  labels?: Record<string, string>;
  queue?: string;
  experiment?: string;
  tags?: string[];
}

/** A built-in step. */
export function builtinStep(name: string, builtin: string, extra: StepExtra = {}): StepInit {
  return { name, kind: { case: 'builtin', value: { name: builtin } }, ...extra };
}

/** A command step running `node -e <script>` (this Node binary: no shell, no PATH lookup). */
export function nodeStep(name: string, script: string, extra: StepExtra = {}): StepInit {
  return { name, kind: { case: 'command', value: { command: [process.execPath, '-e', script] } }, ...extra };
}

/** Submits an inline pipeline named `name` and resolves to the created run. */
export async function submit(
  client: OrchestratorClient,
  spec: MessageInitShape<typeof PipelineSpecSchema>,
  extra: SubmitExtra = {},
  name = 'test-pipeline',
): Promise<Run> {
  const { run } = await client.submitRun({
    pipeline: { case: 'inlinePipeline', value: { name, spec } },
    ...extra,
  });
  if (!run) throw new Error('SubmitRun returned no run');
  return run;
}

const finalStates = new Set([RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED]);

/** Polls GetRun until the run is final. */
export async function waitForFinal(
  client: OrchestratorClient,
  runId: string,
  timeoutMs = 30_000,
): Promise<Run> {
  return waitFor(
    async () => {
      const { run } = await client.getRun({ runId });
      return run && finalStates.has(run.state) ? run : undefined;
    },
    { timeoutMs, what: `run ${runId} to end` },
  );
}

/** The run's step by name; throws when absent. */
export function stepOf(run: Run, name: string) {
  const step = run.steps.find((s) => s.name === name);
  if (!step) throw new Error(`run ${run.id} has no step ${name}`);
  return step;
}

/** Collects every pipeline.* and job.* event on `bus`, decoded lazily by the caller. */
export function recordPipelineEvents(bus: EventBus): { events: CloudEvent[]; close(): Promise<void> } {
  const events: CloudEvent[] = [];
  const topics = [
    'pipeline.run-started',
    'pipeline.run-succeeded',
    'pipeline.run-failed',
    'job.started',
    'job.succeeded',
    'job.failed',
    'run.queued',
    'run.admitted',
  ].filter((topic) => eventKindFor(topic));
  const subscription = bus.subscribe({
    topics,
    group: `recorder-${crypto.randomUUID()}`,
    fromBeginning: true,
  });
  const consuming = (async () => {
    for await (const delivery of subscription) {
      events.push(delivery.event);
      await delivery.ack();
    }
  })();
  return {
    events,
    close: async () => {
      await subscription.close();
      await consuming;
    },
  };
}
