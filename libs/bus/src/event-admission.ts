import { readFileSync } from 'node:fs';
import { AppError, type ConfigReader } from '@flywheel/core';
import {
  type CloudEvent,
  createEventSigner,
  createEventVerifier,
  defaultEventProducers,
  type EventSigner,
  type EventVerifier,
} from '@flywheel/events';

/**
 * Whether a consumer may handle an event: resolves, or rejects `permission_denied` (not
 * retriable) with the reason, and the event is dead-lettered unhandled.
 */
export type EventAdmission = (event: CloudEvent) => Promise<void>;

/** Who may publish what, and how producers prove who they are (`FLYWHEEL_EVENT_*`). */
export interface EventSecurityConfig {
  /** Topic → allowed producers (`source`); topics not in it are open. Undefined: no allow-list. */
  producers?: ReadonlyMap<string, readonly string[]>;
  /** Producers' public keys: with it, an event on an allow-listed topic must be signed by its source's key. */
  verifier?: EventVerifier;
  /** This process's private key, to sign what it publishes (one signer per source, see signerFor). */
  signingKey?: Record<string, unknown>;
}

/**
 * Reads `FLYWHEEL_EVENT_PRODUCERS` (`default` — each event type's owning service, `off`, or JSON
 * `{"<type>": ["<source>", …]}` over the defaults; default `default` when `securityOn`, else
 * `off`), `FLYWHEEL_EVENT_KEYS_FILE` (JWKS of producers' public keys, `kid` = source) and
 * `FLYWHEEL_EVENT_SIGNING_KEY_FILE` (this service's private JWK). Problems name the variable and
 * never echo a key.
 */
export function readEventSecurityConfig(reader: ConfigReader, securityOn: boolean): EventSecurityConfig {
  const config: { -readonly [K in keyof EventSecurityConfig]: EventSecurityConfig[K] } = {};
  const producers = reader.string('FLYWHEEL_EVENT_PRODUCERS', securityOn ? 'default' : 'off').trim();
  if (producers !== 'off') config.producers = parseProducers(reader, producers);
  const keysFile = reader.optional('FLYWHEEL_EVENT_KEYS_FILE');
  if (keysFile !== undefined) {
    const jwks = readJson(reader, 'FLYWHEEL_EVENT_KEYS_FILE', keysFile);
    if (jwks !== undefined && !Array.isArray((jwks as { keys?: unknown }).keys)) {
      reader.problem('FLYWHEEL_EVENT_KEYS_FILE', 'must be a JWKS: {"keys": [...]}');
    } else if (jwks !== undefined) {
      const keys = (jwks as { keys: Record<string, unknown>[] }).keys;
      if (keys.some((key) => 'd' in key))
        reader.problem('FLYWHEEL_EVENT_KEYS_FILE', 'holds a private key; list public keys only');
      else config.verifier = createEventVerifier(jwks as { keys: never[] });
    }
    if (!config.producers)
      reader.problem(
        'FLYWHEEL_EVENT_KEYS_FILE',
        'needs a producer allow-list: FLYWHEEL_EVENT_PRODUCERS is off',
      );
  }
  const signingFile = reader.optional('FLYWHEEL_EVENT_SIGNING_KEY_FILE');
  if (signingFile !== undefined) {
    const jwk = readJson(reader, 'FLYWHEEL_EVENT_SIGNING_KEY_FILE', signingFile);
    if (jwk !== undefined) {
      try {
        createEventSigner('check', jwk as Record<string, unknown>);
        config.signingKey = jwk as Record<string, unknown>;
      } catch (error) {
        reader.problem('FLYWHEEL_EVENT_SIGNING_KEY_FILE', AppError.from(error).message);
      }
    }
  }
  return config;
}

/** The signer of `source` with the configured key, or undefined when none is configured. */
export function signerFor(config: EventSecurityConfig, source: string): EventSigner | undefined {
  return config.signingKey ? createEventSigner(source, config.signingKey) : undefined;
}

/**
 * The admission check of a consumer, or undefined when nothing is restricted. An event on an
 * allow-listed topic passes only when its `source` is listed and — with producer keys — it is
 * signed by that source's key (so `source` is proven, not self-declared).
 */
export function createEventAdmission(config: EventSecurityConfig): EventAdmission | undefined {
  const { producers, verifier } = config;
  if (!producers) return undefined;
  return async (event) => {
    const allowed = producers.get(event.type);
    if (allowed === undefined) return;
    if (!allowed.includes(event.source)) {
      throw new AppError(
        'permission_denied',
        `producer "${event.source}" may not publish ${event.type} (allowed: ${allowed.join(', ')})`,
      );
    }
    await verifier?.(event);
  };
}

function parseProducers(reader: ConfigReader, value: string): Map<string, readonly string[]> {
  const producers = defaultEventProducers();
  if (value === 'default') return producers;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    reader.problem(
      'FLYWHEEL_EVENT_PRODUCERS',
      'must be default, off or a JSON object {"<type>": ["<source>", …]}',
    );
    return producers;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    reader.problem('FLYWHEEL_EVENT_PRODUCERS', 'must be a JSON object {"<type>": ["<source>", …]}');
    return producers;
  }
  for (const [type, sources] of Object.entries(parsed)) {
    if (!Array.isArray(sources) || !sources.every((s) => typeof s === 'string' && s !== '')) {
      reader.problem('FLYWHEEL_EVENT_PRODUCERS', `"${type}" must list producer sources as non-empty strings`);
      continue;
    }
    producers.set(type, sources);
  }
  return producers;
}

function readJson(reader: ConfigReader, name: string, path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? 'not JSON';
    reader.problem(name, `cannot read ${path} as JSON (${why})`);
    return undefined;
  }
}
