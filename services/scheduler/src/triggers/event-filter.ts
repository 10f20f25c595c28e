import { CelScalar, celEnv, isCelError, mapType, objectType, parse, plan } from '@bufbuild/cel';
import {
  create,
  createRegistry,
  type DescFile,
  type DescMessage,
  type JsonValue,
  type Registry,
} from '@bufbuild/protobuf';
import { AppError } from '@flywheel/core';
import { checkEventPath, type EventView, valueAt } from './event-view.ts';

/** What a trigger rule matches events with (see `EventFilter` in the scheduler's `.proto`). */
export interface FilterSpec {
  /** Path → expected proto-JSON string form. */
  readonly match: Readonly<Record<string, string>>;
  /** A boolean CEL expression over `event` (the payload, or an outside topic's JSON) and `ce` (the attributes); '' = true. */
  readonly expression: string;
}

/** Evaluates and checks trigger-rule filters; compiled CEL programs are kept for reuse. */
export interface EventFilters {
  /**
   * True when `view` satisfies every `match` entry (the value at the path, in its proto-JSON
   * string form, equals the expected string) and the expression. Throws `failed_precondition`
   * when the expression cannot be evaluated on this event (e.g. a missing attribute), saying why.
   */
  matches(filter: FilterSpec, view: EventView): boolean;
  /**
   * Checks a filter against the payload schema of its event type: every match path names a
   * field (or `ce.<attribute>`), and the expression parses, uses only fields the payload has and
   * is boolean (tried on an empty payload). Without a schema (an outside topic's JSON, `event`
   * is dynamic) the paths must be dotted paths and the expression must parse, name only `event`
   * and `ce`, and not give a non-boolean on an empty object. Throws `invalid_argument` naming the
   * field under `field` (`trigger_rule.filter.expression`…).
   */
  check(filter: FilterSpec, schema: DescMessage | undefined, field: string): void;
}

type Program = (bindings: { event: unknown; ce: Readonly<Record<string, string>> }) => unknown;

/** Programs kept; past this the cache starts over (rules rarely change). */
const maxCachedPrograms = 1000;

export function createEventFilters(): EventFilters {
  const registries = new WeakMap<DescMessage, Registry>();
  const programs = new Map<string, Program>();

  const registryFor = (schema: DescMessage): Registry => {
    let registry = registries.get(schema);
    if (!registry) {
      const files = new Set<DescFile>();
      const add = (file: DescFile): void => {
        if (files.has(file)) return;
        files.add(file);
        for (const dependency of file.dependencies) add(dependency);
      };
      add(schema.file);
      registry = createRegistry(...files);
      registries.set(schema, registry);
    }
    return registry;
  };

  const programFor = (schema: DescMessage | undefined, expression: string): Program => {
    const cacheKey = `${schema?.typeName ?? '(json)'}\n${expression}`;
    let program = programs.get(cacheKey);
    if (!program) {
      const ce = mapType(CelScalar.STRING, CelScalar.STRING);
      const env = schema
        ? celEnv({ registry: registryFor(schema), variables: { event: objectType(schema), ce } })
        : celEnv({ variables: { event: CelScalar.DYN, ce } });
      program = plan(env, parse(expression)) as unknown as Program;
      if (programs.size >= maxCachedPrograms) programs.clear();
      programs.set(cacheKey, program);
    }
    return program;
  };

  return {
    matches(filter, view) {
      for (const [path, expected] of Object.entries(filter.match)) {
        const actual = valueAt(view, path);
        if (actual === undefined || actual === null || stringForm(actual) !== expected) return false;
      }
      if (filter.expression === '') return true;
      const result = programFor(view.schema, filter.expression)({ event: view.message, ce: view.ce });
      if (typeof result === 'boolean') return result;
      const why = isCelError(result) ? result.message : `it gave ${typeof result}, not a boolean`;
      throw new AppError(
        'failed_precondition',
        `filter expression could not be evaluated on event ${view.event.id}: ${why}`,
      );
    },

    check(filter, schema, field) {
      for (const path of Object.keys(filter.match)) checkEventPath(schema, path, `${field}.match[${path}]`);
      if (filter.expression === '') return;
      let program: Program;
      try {
        program = programFor(schema, filter.expression);
      } catch (error) {
        throw AppError.invalidArgument(
          `${field}.expression`,
          `does not parse as CEL: ${(error as Error).message}`,
        );
      }
      const ce = { id: '', type: '', source: '', time: '', subject: '', datacontenttype: '', dataschema: '' };
      const result = program({ event: schema ? create(schema) : {}, ce });
      if (isCelError(result)) {
        // On an outside topic's JSON a field missing from the empty object says nothing.
        const unknown = schema
          ? /field not found|no such|undeclared|unknown|unresolved/i
          : /no such|undeclared|unknown|unresolved/i;
        if (unknown.test(result.message)) {
          throw AppError.invalidArgument(
            `${field}.expression`,
            `${result.message} (payload ${schema?.typeName ?? 'JSON of an outside topic'}; variables: event, ce)`,
          );
        }
        return; // e.g. a division by zero on the empty payload: fine on real events
      }
      if (typeof result !== 'boolean') {
        throw AppError.invalidArgument(
          `${field}.expression`,
          `must be a boolean expression, gives ${typeof result}`,
        );
      }
    },
  };
}

function stringForm(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
