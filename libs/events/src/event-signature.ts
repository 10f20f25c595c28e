import { createHash, createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { AppError } from '@flywheel/core';
import { compactVerify, createLocalJWKSet, errors, type JSONWebKeySet } from 'jose';
import type { CloudEvent } from './cloud-event.ts';

/**
 * The extension attribute holding the producer's signature: a compact JWS with detached payload
 * (RFC 7515 appendix F, `<header>..<signature>`). The payload is rebuilt from the event itself, so
 * changing any signed attribute, extension or a byte of `data` breaks the signature.
 */
export const signatureAttribute = 'producersig';

const algorithms = ['EdDSA', 'ES256'] as const;
const b64url = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64url');

/** What the signature covers, canonical: attributes, every other extension, the data's SHA-256. */
function signedPayload(event: CloudEvent): string {
  const extensions = Object.entries(event.extensions ?? {})
    .filter(([name]) => name !== signatureAttribute)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify({
    id: event.id,
    type: event.type,
    source: event.source,
    time: event.time,
    subject: event.subject ?? null,
    key: event.key,
    datacontenttype: event.datacontenttype,
    dataschema: event.dataschema ?? null,
    data: createHash('sha256').update(event.data).digest('base64url'),
    extensions,
  });
}

/** Signs events of one producer (`source`) with its private key; the JWS `kid` is the source. */
export interface EventSigner {
  readonly source: string;
  sign(event: CloudEvent): CloudEvent;
}

/**
 * A signer for `source` from a private JWK (Ed25519 → `EdDSA`, P-256 → `ES256`). Signing is
 * synchronous (node:crypto), so events made inside a store transaction are signed like any other.
 */
export function createEventSigner(source: string, privateJwk: Record<string, unknown>): EventSigner {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: privateJwk as never, format: 'jwk' });
  } catch (error) {
    throw new AppError(
      'invalid_argument',
      `event signing key is not a private JWK: ${(error as Error).message}`,
    );
  }
  const details = key.asymmetricKeyType;
  const alg = details === 'ed25519' ? 'EdDSA' : details === 'ec' ? 'ES256' : undefined;
  if (!alg)
    throw new AppError('invalid_argument', `event signing key must be Ed25519 or P-256, got ${details}`);
  const header = b64url(JSON.stringify({ alg, kid: source }));
  return {
    source,
    sign(event) {
      const input = `${header}.${b64url(signedPayload(event))}`;
      const signature = sign(alg === 'EdDSA' ? null : 'sha256', Buffer.from(input), {
        key,
        ...(alg === 'ES256' ? { dsaEncoding: 'ieee-p1363' as const } : {}),
      });
      const extensions = { ...event.extensions, [signatureAttribute]: `${header}..${b64url(signature)}` };
      return { ...event, extensions };
    },
  };
}

/** Verifies producer signatures against the producers' public keys (a JWKS, `kid` = source). */
export type EventVerifier = (event: CloudEvent) => Promise<void>;

/**
 * Resolves when `event` carries a valid signature by the key its `source` names; rejects
 * `permission_denied` (not retriable: a forged or unsigned event is not a transient failure)
 * saying why — never echoing the signature.
 */
export function createEventVerifier(jwks: JSONWebKeySet): EventVerifier {
  const keys = createLocalJWKSet(jwks);
  return async (event) => {
    const jws = event.extensions?.[signatureAttribute];
    const refuse = (why: string): never => {
      throw new AppError('permission_denied', `event ${event.id} from "${event.source}": ${why}`);
    };
    if (!jws) return refuse(`no ${signatureAttribute} signature`);
    const [header, detached, signature, extra] = jws.split('.');
    if (header === undefined || detached !== '' || signature === undefined || extra !== undefined)
      return refuse(`${signatureAttribute} is not a detached compact JWS`);
    let kid: unknown;
    try {
      kid = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')).kid;
    } catch {
      return refuse(`${signatureAttribute} header is not JSON`);
    }
    if (kid !== event.source) return refuse(`signed for "${String(kid)}", not for its source`);
    try {
      await compactVerify(`${header}.${b64url(signedPayload(event))}.${signature}`, keys, {
        algorithms: [...algorithms],
      });
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) return refuse('no public key for its source');
      if (error instanceof errors.JOSEError) return refuse(`signature does not verify (${error.code})`);
      throw error;
    }
  };
}

const signers = new Map<string, EventSigner>();

/**
 * Makes {@link newEvent} sign every event of `signer.source` from now on (the service host calls
 * it once at start-up when a signing key is configured). Returns a function that uninstalls it.
 */
export function installEventSigner(signer: EventSigner): () => void {
  signers.set(signer.source, signer);
  return () => {
    if (signers.get(signer.source) === signer) signers.delete(signer.source);
  };
}

/** `event` signed when a signer for its source is installed, else unchanged. */
export function signedIfConfigured(event: CloudEvent): CloudEvent {
  return signers.get(event.source)?.sign(event) ?? event;
}
