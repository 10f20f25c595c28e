import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigReader } from '@flywheel/core';
import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { createEventAdmission, readEventSecurityConfig } from './event-admission.ts';

function problemsOf(env: Record<string, string>, securityOn = false): string {
  const reader = new ConfigReader(env);
  readEventSecurityConfig(reader, securityOn);
  try {
    reader.done();
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('readEventSecurityConfig', () => {
  it('restricts nothing with security off and nothing set; the owners allow-list with security on', () => {
    expect(readEventSecurityConfig(new ConfigReader({}), false)).toEqual({});
    expect(createEventAdmission({})).toBeUndefined();
    const on = readEventSecurityConfig(new ConfigReader({}), true);
    expect(on.producers?.get('model.version-registered')).toEqual(['flywheel/registry']);
    expect(readEventSecurityConfig(new ConfigReader({ FLYWHEEL_EVENT_PRODUCERS: 'off' }), true)).toEqual({});
  });

  it('names the variable of every bad setting and never echoes key material', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-event-config-'));
    const pair = await generateKeyPair('EdDSA', { extractable: true });
    const privateJwk = await exportJWK(pair.privateKey);
    writeFileSync(join(dir, 'private-in-jwks.json'), JSON.stringify({ keys: [privateJwk] }));
    writeFileSync(join(dir, 'public.json'), JSON.stringify(await exportJWK(pair.publicKey)));
    writeFileSync(join(dir, 'broken.json'), `{"d": "${privateJwk.d}", oops`);
    expect(problemsOf({ FLYWHEEL_EVENT_PRODUCERS: 'everyone' })).toMatch(
      /FLYWHEEL_EVENT_PRODUCERS.*JSON object/,
    );
    expect(problemsOf({ FLYWHEEL_EVENT_PRODUCERS: '{"model.alias-changed": "flywheel/registry"}' })).toMatch(
      /"model.alias-changed" must list producer sources/,
    );
    const keys = problemsOf({ FLYWHEEL_EVENT_KEYS_FILE: join(dir, 'private-in-jwks.json') }, true);
    expect(keys).toMatch(/FLYWHEEL_EVENT_KEYS_FILE.*holds a private key/);
    expect(problemsOf({ FLYWHEEL_EVENT_KEYS_FILE: join(dir, 'public.json') }, false)).toMatch(
      /must be a JWKS[\s\S]*needs a producer allow-list/,
    );
    const signing = problemsOf({ FLYWHEEL_EVENT_SIGNING_KEY_FILE: join(dir, 'public.json') });
    expect(signing).toMatch(/FLYWHEEL_EVENT_SIGNING_KEY_FILE.*not a private JWK/);
    const broken = problemsOf({ FLYWHEEL_EVENT_SIGNING_KEY_FILE: join(dir, 'broken.json') });
    expect(broken).toMatch(/FLYWHEEL_EVENT_SIGNING_KEY_FILE.*as JSON \(not JSON\)/);
    for (const message of [keys, signing, broken]) expect(message).not.toContain(String(privateJwk.d));
  });
});
