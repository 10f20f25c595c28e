// The shared Kafka of the test command listens on SASL_SSL only (scripts/servers/servers.sh):
// a client with the right SCRAM user over TLS gets in; a wrong password is a non-retriable
// `unauthenticated` that never echoes the password; no TLS, or TLS to a CA that did not sign the
// broker's certificate, gets nothing. Checked with the Flywheel adapter (kafkajs) and with kcat.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { newEventId } from '@flywheel/events';
import { kcatArgs, kcatCommand, realServers, repoRoot, uniqueName } from '@flywheel/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventBus } from '../src/event-bus.ts';
import { createKafkaBus, type KafkaBusOptions } from '../src/kafka/kafka-bus.ts';

const run = promisify(execFile);
const servers = realServers();
const wrongPassword = 'not-the-password-0123456789';

/** kcat -L against the cluster `env` describes; resolves with its exit code and stderr. */
async function kcatList(env: Record<string, string | undefined>): Promise<{ code: number; stderr: string }> {
  try {
    await run(kcatCommand(env), [...kcatArgs(env), '-L', '-m', '3'], { timeout: 30_000 });
    return { code: 0, stderr: '' };
  } catch (error) {
    const { code, stderr } = error as { code?: unknown; stderr?: string };
    return { code: typeof code === 'number' ? code : -1, stderr: stderr ?? '' };
  }
}

const event = (type: string) => ({
  id: newEventId(),
  type,
  source: 'test',
  time: new Date().toISOString(),
  datacontenttype: 'text/plain',
  data: new TextEncoder().encode('hello'),
  key: 'k',
});

describe('Kafka over SASL_SSL with SCRAM-SHA-512 (real Kafka)', () => {
  const buses: EventBus[] = [];
  const bus = (options: Partial<KafkaBusOptions>, base: KafkaBusOptions = servers.kafka): EventBus => {
    const made = createKafkaBus({ ...base, clientId: uniqueName('secured'), ...options });
    buses.push(made);
    return made;
  };
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((each) => each.close()));
  });

  it('is configured secured: TLS CA and a SCRAM user in servers.env', () => {
    expect(servers.kafka.tls?.ca).toContain('BEGIN CERTIFICATE');
    expect(servers.kafka.sasl).toMatchObject({ mechanism: 'scram-sha-512' });
  });

  it('lets the configured user in over TLS', async () => {
    const topic = uniqueName('secured.ok');
    await bus({}).publish([event(topic)], { timeoutMs: 60_000 });
    expect((await kcatList(servers.kafkaEnv)).code).toBe(0);
  });

  it('refuses a wrong password: unauthenticated, not retried, the password never in the message', async () => {
    const sasl = { ...servers.kafka.sasl!, password: wrongPassword };
    const wrong = bus({ sasl });
    const refused = await wrong.ensureTopics([uniqueName('secured.wrong')], { timeoutMs: 60_000 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ name: 'AppError', code: 'unauthenticated', retriable: false });
    expect((refused as Error).message).toMatch(/SASL credentials/);
    expect((refused as Error).message).not.toContain(wrongPassword);
    await expect(
      wrong.publish([event(uniqueName('secured.wrong'))], { timeoutMs: 60_000 }),
    ).rejects.toMatchObject({
      code: 'unauthenticated',
    });

    const listed = await kcatList({ ...servers.kafkaEnv, FLYWHEEL_KAFKA_SASL_PASSWORD: wrongPassword });
    expect(listed.code).not.toBe(0);
    expect(listed.stderr).toMatch(/SASL authentication error/);
  });

  it('gets nothing without TLS, in the clear or with SASL', async () => {
    const clear = bus({ defaultTimeoutMs: 3000 }, { brokers: servers.kafka.brokers });
    await expect(clear.ensureTopics([uniqueName('secured.clear')])).rejects.toMatchObject({
      name: 'AppError',
    });
    const saslOnly = bus(
      { defaultTimeoutMs: 3000 },
      { brokers: servers.kafka.brokers, sasl: servers.kafka.sasl! },
    );
    await expect(saslOnly.ensureTopics([uniqueName('secured.clear')])).rejects.toMatchObject({
      name: 'AppError',
    });

    const { FLYWHEEL_KAFKA_TLS_CA: _ca, ...withoutTls } = servers.kafkaEnv;
    expect((await kcatList(withoutTls)).code).not.toBe(0);
    const { FLYWHEEL_KAFKA_SASL_MECHANISM: _m, ...plaintext } = withoutTls;
    expect((await kcatList(plaintext)).code).not.toBe(0);
  });

  it('does not trust a broker certificate from another CA: failed_precondition, not retried', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flywheel-other-ca-'));
    const { stdout } = await run(join(repoRoot, 'scripts/servers/test-ca.sh'), ['ca', 'other'], {
      env: { ...process.env, FLYWHEEL_TLS_DIR: dir },
    });
    const otherCa = stdout.trim();
    const { readFile } = await import('node:fs/promises');
    const untrusting = bus({ tls: { ca: await readFile(otherCa, 'utf8') } });
    await expect(
      untrusting.ensureTopics([uniqueName('secured.other-ca')], { timeoutMs: 60_000 }),
    ).rejects.toMatchObject({ code: 'failed_precondition', retriable: false });
    const listed = await kcatList({ ...servers.kafkaEnv, FLYWHEEL_KAFKA_TLS_CA: otherCa });
    expect(listed.code).not.toBe(0);
    expect(listed.stderr).toMatch(/certificate verify failed|SSL handshake failed/);
  });
});
