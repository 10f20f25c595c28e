import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from './authenticator.ts';
import { runTokenCommand } from './run-token-command.ts';

describe('flywheel token', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flywheel-token-'));
    file = join(dir, 'tokens.json');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const run = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runTokenCommand(
      args,
      { FLYWHEEL_AUTH_API_TOKENS_FILE: file },
      {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
      },
    );
    return { code, out, err };
  };

  it('creates a token shown once and stored hashed, lists it, revokes it', async () => {
    const created = await run('create', '--subject', 'sa:trainer', '--role', 'growth:editor');
    expect(created.code).toBe(0);
    const token = created.out[0]!;
    expect(await readFile(file, 'utf8')).not.toContain(token.slice(16));
    const authenticator = createAuthenticator({ enabled: true, apiTokensFile: file });
    await expect(authenticator.authenticate(`Bearer ${token}`)).resolves.toMatchObject({
      subject: 'sa:trainer',
      roles: { growth: 'editor' },
    });
    const id = token.split('_')[1]!;
    expect((await run('list')).out[0]).toMatch(
      new RegExp(`^${id}\\tsa:trainer\\tgrowth:editor\\t.*\\tactive$`),
    );
    expect((await run('revoke', id)).code).toBe(0);
    expect((await run('list')).out[0]).not.toMatch(/active$/);
  });

  it("creates a service's token: it verifies to service:<name> with the service's standing", async () => {
    const created = await run('create', '--service', 'orchestrator');
    expect(created.code).toBe(0);
    expect(created.err[0]).toMatch(/^created [a-z0-9]{12} for service:orchestrator;/);
    const authenticator = createAuthenticator({ enabled: true, apiTokensFile: file });
    await expect(authenticator.authenticate(`Bearer ${created.out[0]}`)).resolves.toMatchObject({
      subject: 'service:orchestrator',
      service: 'orchestrator',
      teams: [],
    });
    expect((await run('create', '--service', 'Not A Name')).err[0]).toMatch(/service name/);
    expect((await run('create', '--service', 'x', '--subject', 'y')).code).toBe(1);
  });

  it('refuses a malformed grant and writes nothing', async () => {
    const before = await readFile(file, 'utf8');
    const refused = await run('create', '--subject', 'sa:x', '--role', 'growth:owner');
    expect(refused.code).toBe(1);
    expect(refused.err[0]).toMatch(/role grant "growth:owner"/);
    expect(await readFile(file, 'utf8')).toBe(before);
  });
});
