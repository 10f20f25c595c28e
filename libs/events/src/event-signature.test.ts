import { runActingAs } from '@flywheel/core';
import { ModelVersionRegisteredSchema } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { defaultEventProducers } from './event-producers.ts';
import {
  createEventSigner,
  createEventVerifier,
  installEventSigner,
  signatureAttribute,
} from './event-signature.ts';
import { eventTypes, newEvent } from './event-types.ts';
import { principalOfEvent, serviceActingOn } from './principal-extensions.ts';
import { fromWireMessage, toWireMessage } from './wire-binding.ts';

const registered = { modelName: 'churn', modelVersion: 3n, team: 'growth' };

async function keyPair(alg: 'EdDSA' | 'ES256', kid: string) {
  const pair = await generateKeyPair(alg, { extractable: true });
  return {
    privateJwk: (await exportJWK(pair.privateKey)) as Record<string, unknown>,
    jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid }] },
  };
}

describe('the acting principal on events', () => {
  it('newEvent adds the acting scope as extension attributes, which request code cannot override', () => {
    const event = runActingAs({ subject: 'user:alice', teams: ['growth', 'risk'] }, () =>
      newEvent(ModelVersionRegisteredSchema, registered, {
        source: 'flywheel/registry',
        extensions: { authid: 'user:mallory', region: 'eu' },
      }),
    );
    expect(event.extensions).toEqual({
      authid: 'user:alice',
      authtype: 'user',
      authteams: 'growth,risk',
      region: 'eu',
    });
    // Through the wire binding (Kafka headers, NATS headers, outbox entries) and back.
    expect(principalOfEvent(fromWireMessage(toWireMessage(event)))).toEqual({
      subject: 'user:alice',
      teams: ['growth', 'risk'],
    });
  });

  it('outside any acting scope an event carries no principal; a service acting on it names the originator', () => {
    const bare = newEvent(ModelVersionRegisteredSchema, registered, { source: 'flywheel/registry' });
    expect(bare.extensions).toBeUndefined();
    const hop = runActingAs({ subject: 'service:scheduler', teams: [], onBehalfOf: 'user:alice' }, () =>
      newEvent(ModelVersionRegisteredSchema, registered, { source: 'flywheel/scheduler' }),
    );
    expect(hop.extensions).toMatchObject({
      authid: 'service:scheduler',
      authtype: 'system',
      onbehalfof: 'user:alice',
    });
    // The next hop keeps the originator, not the intermediate service.
    expect(serviceActingOn('service:orchestrator', hop)).toEqual({
      subject: 'service:orchestrator',
      teams: [],
      onBehalfOf: 'user:alice',
    });
    expect(serviceActingOn('service:monitoring', bare)).toEqual({ subject: 'service:monitoring', teams: [] });
  });
});

describe('producer signatures', () => {
  it.each(['EdDSA', 'ES256'] as const)(
    'an installed %s signer signs newEvent; the verifier accepts it after the wire, and refuses any change',
    async (alg) => {
      const { privateJwk, jwks } = await keyPair(alg, 'flywheel/registry');
      const uninstall = installEventSigner(createEventSigner('flywheel/registry', privateJwk));
      const event = newEvent(ModelVersionRegisteredSchema, registered, { source: 'flywheel/registry' });
      const other = newEvent(ModelVersionRegisteredSchema, registered, { source: 'flywheel/serving' });
      uninstall();
      expect(event.extensions?.[signatureAttribute]).toMatch(/^[\w-]+\.\.[\w-]+$/);
      expect(other.extensions?.[signatureAttribute]).toBeUndefined();
      const verify = createEventVerifier(jwks);
      await verify(fromWireMessage(toWireMessage(event)));
      const changed = [
        { ...event, data: new Uint8Array([...event.data, 0]) },
        { ...event, id: 'another-id' },
        { ...event, extensions: { ...event.extensions, authid: 'user:mallory' } },
        { ...event, subject: 'fraud' },
      ];
      for (const forged of changed) {
        await expect(verify(forged)).rejects.toMatchObject({ code: 'permission_denied', retriable: false });
        await expect(verify(forged)).rejects.toThrow(/signature does not verify/);
      }
      // A valid signature of flywheel/registry does not make the event another producer's.
      await expect(verify({ ...event, source: 'flywheel/serving' })).rejects.toThrow(
        /signed for "flywheel\/registry", not for its source/,
      );
      await expect(verify(other)).rejects.toThrow(/no producersig signature/);
    },
  );

  it('refuses a signature no configured key made, without echoing it', async () => {
    const { privateJwk } = await keyPair('EdDSA', 'flywheel/registry');
    const { jwks } = await keyPair('EdDSA', 'flywheel/registry');
    const event = createEventSigner('flywheel/registry', privateJwk).sign(
      newEvent(ModelVersionRegisteredSchema, registered, { source: 'flywheel/registry' }),
    );
    const refusal = createEventVerifier(jwks)(event);
    await expect(refusal).rejects.toThrow(/signature does not verify/);
    await refusal.catch((error: Error) =>
      expect(error.message).not.toContain(event.extensions![signatureAttribute]!.split('.')[2]),
    );
    const unknown = await keyPair('EdDSA', 'flywheel/someone');
    await expect(createEventVerifier(unknown.jwks)(event)).rejects.toThrow(/no public key for its source/);
  });

  it('refuses a key that is not a private Ed25519 or P-256 JWK, naming neither key material', async () => {
    const { jwks } = await keyPair('EdDSA', 'x');
    expect(() => createEventSigner('flywheel/registry', jwks.keys[0]!)).toThrow(/not a private JWK/);
  });
});

describe('default producer allow-list', () => {
  it('decides every event type: owned by its service, or open (data pipelines, labelling)', () => {
    const allowList = defaultEventProducers();
    expect(allowList.get('model.version-registered')).toEqual(['flywheel/registry']);
    expect(allowList.get('pipeline.run-requested')).toEqual(['flywheel/scheduler']);
    expect(allowList.has('dataset.arrived')).toBe(false);
    expect(allowList.size).toBe(eventTypes().length - 2);
  });
});
