import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kafkaEnvOf } from './kafka-settings.ts';

const run = promisify(execFile);

/** The `FLYWHEEL_KAFKA_*` (and `FLYWHEEL_KCAT`) variables of a cluster: `realServers().kafkaEnv`, or a private server's `env`. */
export type KcatEnv = Readonly<Record<string, string | undefined>>;

/** The kcat to run: `FLYWHEEL_KCAT` (servers.sh's kcat on a librdkafka whose SCRAM Kafka 4 accepts), else `kcat` on PATH. */
export function kcatCommand(env: KcatEnv): string {
  return env.FLYWHEEL_KCAT ?? 'kcat';
}

let propertiesDir: string | undefined;
const propertiesFiles = new Map<string, string>();

/**
 * kcat's connection arguments for the cluster `env` describes: `-b brokers`, plus `-F file` with
 * the librdkafka security settings (`security.protocol=SASL_SSL`, `sasl.mechanisms`, the SASL user,
 * `ssl.ca.location`) when TLS or SASL is configured. The settings go in a file of mode 0600, never
 * on the command line, where `ps` would show the password.
 */
export function kcatArgs(env: KcatEnv): string[] {
  const kafka = kafkaEnvOf(env);
  const brokers = kafka.FLYWHEEL_KAFKA_BROKERS;
  if (!brokers) throw new Error('FLYWHEEL_KAFKA_BROKERS is not set: kcat has no broker to talk to');
  const tls = kafka.FLYWHEEL_KAFKA_TLS_CA !== undefined || kafka.FLYWHEEL_KAFKA_TLS === 'true';
  const mechanism = kafka.FLYWHEEL_KAFKA_SASL_MECHANISM;
  if (!tls && mechanism === undefined) return ['-b', brokers];
  const lines = [
    `security.protocol=${mechanism === undefined ? 'SSL' : tls ? 'SASL_SSL' : 'SASL_PLAINTEXT'}`,
  ];
  if (kafka.FLYWHEEL_KAFKA_TLS_CA !== undefined) lines.push(`ssl.ca.location=${kafka.FLYWHEEL_KAFKA_TLS_CA}`);
  if (mechanism !== undefined) {
    lines.push(`sasl.mechanisms=${mechanism.toUpperCase()}`);
    lines.push(`sasl.username=${kafka.FLYWHEEL_KAFKA_SASL_USERNAME ?? ''}`);
    lines.push(`sasl.password=${kafka.FLYWHEEL_KAFKA_SASL_PASSWORD ?? ''}`);
  }
  const text = `${lines.join('\n')}\n`;
  const key = createHash('sha256').update(text).digest('hex').slice(0, 16);
  let file = propertiesFiles.get(key);
  if (file === undefined) {
    propertiesDir ??= mkdtempSync(join(tmpdir(), 'flywheel-kcat-'));
    file = join(propertiesDir, `${key}.properties`);
    writeFileSync(file, text, { mode: 0o600 });
    propertiesFiles.set(key, file);
  }
  return ['-b', brokers, '-F', file];
}

function runWithStdin(env: KcatEnv, args: string[], input: string): Promise<void> {
  const child = execFile(kcatCommand(env), [...kcatArgs(env), ...args]);
  const done = new Promise<void>((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${stderr}`)),
    );
  });
  child.stdin?.end(input);
  return done;
}

/**
 * Produces one message with kcat (librdkafka's CLI: a producer that is not Flywheel) to the
 * cluster `env` describes, value from stdin. Rejects with kcat's stderr when it exits non-zero.
 */
export async function kcatProduce(
  env: KcatEnv,
  topic: string,
  key: string,
  value: string,
  headers: Record<string, string>,
): Promise<void> {
  const args = ['-P', '-t', topic, '-k', key, '-D', '\u0001'];
  for (const [name, v] of Object.entries(headers)) args.push('-H', `${name}=${v}`);
  await runWithStdin(env, args, value);
}

/**
 * Produces one CloudEvent already in its Kafka binary-mode form (`toWireMessage` of
 * `@flywheel/events`: `ce_*` headers, data as the value) with kcat, as a system outside Flywheel
 * would. The value must be text (kcat reads it from stdin), e.g. a JSON payload.
 */
export async function kcatProduceWire(
  env: KcatEnv,
  topic: string,
  key: string,
  wire: { readonly value: Uint8Array; readonly headers: Readonly<Record<string, string>> },
): Promise<void> {
  await kcatProduce(env, topic, key, new TextDecoder().decode(wire.value), { ...wire.headers });
}

/**
 * Produces each file as one record, its bytes as they are (binary values, e.g. serialized protobuf
 * messages, which kcat's stdin delimiters would split), all with `key`.
 */
export async function kcatProduceFiles(
  env: KcatEnv,
  topic: string,
  key: string,
  files: readonly string[],
): Promise<void> {
  await run(kcatCommand(env), [...kcatArgs(env), '-P', '-t', topic, '-k', key, ...files], {
    timeout: 60_000,
  });
}

/**
 * Produces many records in one kcat run: each `key<TAB>value` line is a record (values must not
 * hold a newline or tab).
 */
export async function kcatProduceMany(
  env: KcatEnv,
  topic: string,
  records: readonly { readonly key: string; readonly value: string }[],
): Promise<void> {
  await runWithStdin(
    env,
    ['-P', '-t', topic, '-K', '\t', '-D', '\n'],
    records.map(({ key, value }) => `${key}\t${value}\n`).join(''),
  );
}

/** One record as kcat's `-J` prints it. */
export interface KcatRecord {
  readonly key: string;
  readonly payload: string;
  /** Alternating header names and values. */
  readonly headers: string[];
  readonly partition: number;
  readonly offset: number;
}

/** Reads a topic from the beginning with kcat (JSON envelopes), stopping at its end. */
export async function kcatConsumeAll(env: KcatEnv, topic: string): Promise<KcatRecord[]> {
  const { stdout } = await run(
    kcatCommand(env),
    [...kcatArgs(env), '-C', '-t', topic, '-o', 'beginning', '-e', '-J', '-q'],
    { timeout: 20_000 },
  );
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as KcatRecord);
}

/** The cluster's topic names as kcat lists them (`kcat -L -J`). */
export async function kcatTopics(env: KcatEnv): Promise<string[]> {
  const { stdout } = await run(kcatCommand(env), [...kcatArgs(env), '-L', '-J', '-m', '10'], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: 30_000,
  });
  return (JSON.parse(stdout) as { topics: { topic: string }[] }).topics.map((t) => t.topic);
}

/** The headers of a kcat record as an object. */
export function kcatHeaders(record: KcatRecord): Record<string, string> {
  return Object.fromEntries(
    Array.from({ length: record.headers.length / 2 }, (_, i) => [
      record.headers[2 * i]!,
      record.headers[2 * i + 1]!,
    ]),
  );
}
