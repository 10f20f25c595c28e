import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonObject } from '@bufbuild/protobuf';
import { AppError, type LogFields, type Logger } from '@flywheel/core';
import type { BuiltinStep, StepContext } from '../builtin-steps/step-types.ts';
import type { JobLogSink } from '../executors/job-logs.ts';

/** One attempt of a built-in step. */
export interface BuiltinJob {
  readonly step: BuiltinStep;
  readonly context: Omit<StepContext, 'workDir' | 'log'>;
  readonly jobDir: string;
  readonly logs: JobLogSink;
  /** The service's logger; the step's lines go there too. */
  readonly log: Logger;
}

/**
 * Runs a built-in step in this process with a scratch directory (removed afterwards) and a logger
 * whose lines become the job's log (debug/info on stdout, warn/error on stderr). Resolves to its
 * outputs; rejects with what the step threw (or the abort's AppError if it ignored the abort).
 */
export async function runBuiltinStep(job: BuiltinJob): Promise<JsonObject> {
  const workDir = join(job.jobDir, 'scratch');
  await mkdir(workDir, { recursive: true });
  try {
    const outputs = await job.step({
      ...job.context,
      workDir,
      log: jobLogger(job.logs, job.log.child({ runId: job.context.runId, step: job.context.stepName })),
    });
    job.context.signal.throwIfAborted();
    return checkOutputs(outputs);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

function checkOutputs(outputs: unknown): JsonObject {
  if (outputs === null || typeof outputs !== 'object' || Array.isArray(outputs)) {
    throw new AppError('internal', 'the built-in step resolved to something other than an object of outputs');
  }
  try {
    return JSON.parse(JSON.stringify(outputs)) as JsonObject;
  } catch (error) {
    throw new AppError('internal', `the built-in step's outputs are not JSON: ${(error as Error).message}`);
  }
}

function jobLogger(sink: JobLogSink, service: Logger, bound: LogFields = {}): Logger {
  const line = (message: string, fields: LogFields | undefined): string => {
    const all = { ...bound, ...fields };
    return Object.keys(all).length === 0 ? message : `${message} ${safeJson(all)}`;
  };
  return {
    debug: (message, fields) => {
      sink.write('stdout', line(message, fields));
      service.debug(message, fields);
    },
    info: (message, fields) => {
      sink.write('stdout', line(message, fields));
      service.info(message, fields);
    },
    warn: (message, fields) => {
      sink.write('stderr', line(message, fields));
      service.warn(message, fields);
    },
    error: (message, fields) => {
      sink.write('stderr', line(message, fields));
      service.error(message, fields);
    },
    child: (fields) => jobLogger(sink, service.child(fields), { ...bound, ...fields }),
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v instanceof Error ? { name: v.name, message: v.message } : v,
    );
  } catch {
    return '[unserialisable fields]';
  }
}
