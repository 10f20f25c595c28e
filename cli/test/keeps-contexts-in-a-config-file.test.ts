import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runFlywheel } from './run-flywheel.ts';

describe('flywheel context', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-cli-config-'));
  const env = { FLYWHEEL_CONFIG: join(dir, 'config.yaml'), FLYWHEEL_CONTEXT: '' };

  it('saves contexts like kubectl, switches between them and lists them', async () => {
    const set = await runFlywheel(
      [
        'context',
        'set',
        'staging',
        '--host',
        'flywheel.staging',
        '--token',
        'fw_secret_token',
        '--ca',
        '/etc/ca.pem',
      ],
      env,
    );
    expect(set).toMatchObject({ code: 0, stdout: `context "staging" saved in ${env.FLYWHEEL_CONFIG}\n` });
    await runFlywheel(
      ['context', 'set', 'local', '--registry', '127.0.0.1:7603', '--serving', '127.0.0.1:7605'],
      env,
    );
    expect((await runFlywheel(['context', 'use', 'local'], env)).code).toBe(0);

    const file = parse(readFileSync(env.FLYWHEEL_CONFIG, 'utf8'));
    expect(file).toEqual({
      contexts: {
        staging: { host: 'flywheel.staging', tls: { ca: '/etc/ca.pem' }, token: 'fw_secret_token' },
        local: { addresses: { registry: '127.0.0.1:7603', serving: '127.0.0.1:7605' } },
      },
      'current-context': 'local',
    });
    // It holds a token: readable by its owner only.
    expect(statSync(env.FLYWHEEL_CONFIG).mode & 0o077).toBe(0);

    const list = await runFlywheel(['context', 'list'], env);
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^CURRENT\s+NAME\s+HOST\s+ADDRESSES\s+TLS\s+TOKEN$/);
    expect(lines[1]).toMatch(/^\s+staging\s+flywheel\.staging\s+on\s+fw_sec…$/);
    expect(lines[2]).toMatch(/^\*\s+local\s+registry=127\.0\.0\.1:7603,serving=127\.0\.0\.1:7605\s+off$/);
    // Colour only on a terminal: a pipe gets no escape codes.
    expect(list.stdout).not.toContain('\u001b[');

    const json = await runFlywheel(['context', 'list', '-o', 'json'], env);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ name: 'staging', current: false, token: 'fw_sec…' }),
      expect.objectContaining({ name: 'local', current: true }),
    ]);
  });

  it('exits 4 naming the context when it is unknown, and 2 on a bad command line', async () => {
    const unknown = await runFlywheel(['context', 'use', 'prod'], env);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('no context "prod"');
    const models = await runFlywheel(['models', 'list', '--context', 'prod'], env);
    expect(models.code).toBe(4);
    expect(models.stderr).toContain('no context "prod"');
    const bad = await runFlywheel(['models', 'list', '-o', 'xml'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('must be one of table, json, yaml');
  });
});
