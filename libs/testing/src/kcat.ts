import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Produces one message with kcat (librdkafka's CLI, found on PATH: a producer that is not
 * Flywheel), value from stdin. Rejects with kcat's stderr when it exits non-zero.
 */
export async function kcatProduce(
  brokers: string,
  topic: string,
  key: string,
  value: string,
  headers: Record<string, string>,
): Promise<void> {
  const args = ['-P', '-b', brokers, '-t', topic, '-k', key, '-D', '\u0001'];
  for (const [name, v] of Object.entries(headers)) args.push('-H', `${name}=${v}`);
  const child = execFile('kcat', args);
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
  child.stdin?.end(value);
  await done;
}

/**
 * Produces many records in one kcat run: each `key<TAB>value` line is a record (values must not
 * hold a newline or tab).
 */
export async function kcatProduceMany(
  brokers: string,
  topic: string,
  records: readonly { readonly key: string; readonly value: string }[],
): Promise<void> {
  const child = execFile('kcat', ['-P', '-b', brokers, '-t', topic, '-K', '\t', '-D', '\n']);
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
  child.stdin?.end(records.map(({ key, value }) => `${key}\t${value}\n`).join(''));
  await done;
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
export async function kcatConsumeAll(brokers: string, topic: string): Promise<KcatRecord[]> {
  const { stdout } = await run(
    'kcat',
    ['-C', '-b', brokers, '-t', topic, '-o', 'beginning', '-e', '-J', '-q'],
    { timeout: 20_000 },
  );
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as KcatRecord);
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
