import { AppError } from './app-error.ts';

/** Environment variables, as `process.env` gives them. Libraries never read process.env themselves. */
export type Env = Readonly<Record<string, string | undefined>>;

const durationUnitsMs: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `250ms`, `5s`, `1.5m`, `2h` or a bare number of milliseconds; undefined when malformed. */
export function parseDurationMs(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (durationUnitsMs[match[2] ?? 'ms'] ?? 1));
}

/**
 * Reads typed settings from an environment and collects every problem, so that `done()` reports
 * all of them at once in one `invalid_argument` AppError naming each variable.
 */
export class ConfigReader {
  readonly #env: Env;
  readonly #problems: string[] = [];

  constructor(env: Env) {
    this.#env = env;
  }

  #raw(name: string): string | undefined {
    const value = this.#env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  /** A string, or `fallback` when unset. */
  string(name: string, fallback: string): string {
    return this.#raw(name) ?? fallback;
  }

  /** A string or undefined when unset. */
  optional(name: string): string | undefined {
    return this.#raw(name);
  }

  /** An integer within [min, max]. */
  int(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problem(name, `must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  /** A duration (`250ms`, `5s`, `2m`, `1h`, bare ms) in milliseconds. */
  durationMs(name: string, fallback: string): number {
    const raw = this.#raw(name) ?? fallback;
    const value = parseDurationMs(raw);
    if (value === undefined) {
      this.problem(name, `must be a duration like 250ms, 5s, 2m or 1h, got "${raw}"`);
      return parseDurationMs(fallback) ?? 0;
    }
    return value;
  }

  /** `true/false/1/0/yes/no`. */
  bool(name: string, fallback: boolean): boolean {
    const raw = this.#raw(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(raw)) return true;
    if (['false', '0', 'no', 'off'].includes(raw)) return false;
    this.problem(name, `must be true or false, got "${raw}"`);
    return fallback;
  }

  /** One of a closed set of values. */
  oneOf<const T extends string>(name: string, values: readonly T[], fallback: T): T {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    if ((values as readonly string[]).includes(raw)) return raw as T;
    this.problem(name, `must be one of ${values.join(', ')}, got "${raw}"`);
    return fallback;
  }

  /** A URL with one of the given protocols (`kafka:`, `mongodb:`…), or undefined when unset. */
  url(name: string, protocols: readonly string[]): URL | undefined {
    const raw = this.#raw(name);
    if (raw === undefined) return undefined;
    try {
      const url = new URL(raw);
      if (protocols.includes(url.protocol)) return url;
      this.problem(name, `must be a ${protocols.join(' or ')} URL, got "${raw}"`);
    } catch {
      this.problem(name, `is not a URL: "${raw}"`);
    }
    return undefined;
  }

  /** Records a problem, e.g. a contradiction between two settings. */
  problem(name: string, message: string): void {
    this.#problems.push(`${name} ${message}`);
  }

  /** Throws one AppError listing every problem found, if any. */
  done(): void {
    if (this.#problems.length === 0) return;
    throw new AppError('invalid_argument', `invalid configuration:\n  - ${this.#problems.join('\n  - ')}`, {
      field: 'env',
    });
  }
}
