import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './repo-root.ts';
import { waitFor } from './wait-for.ts';

const run = promisify(execFile);
const serversScript = join(repoRoot, 'scripts/servers/servers.sh');

/** A server `scripts/servers/servers.sh` can run. */
export type PrivateServerName = 'kafka' | 'nats' | 'mongo';

/**
 * A server of the test's own: its own run dir (ports, data, log) under the system temp dir, so a
 * test may stop or `kill -9` it without disturbing the shared servers other tests use.
 */
export interface PrivateServer {
  readonly name: PrivateServerName;
  readonly runDir: string;
  /**
   * The `FLYWHEEL_*` variables of its `servers.env` (`FLYWHEEL_KAFKA_BROKERS`, `FLYWHEEL_NATS_URL`,
   * `FLYWHEEL_MONGO_URL`, …); the ports stay the same across restarts.
   */
  readonly env: Readonly<Record<string, string>>;
  /** Starts it again (same ports, same data dir); no-op when it runs. Resolves once it answers. */
  start(): Promise<void>;
  /** Stops it gracefully (SIGTERM, SIGKILL after the script's stop timeout). */
  stop(): Promise<void>;
  /** SIGKILLs it and resolves once the process is gone: no shutdown hook, no flush. */
  kill(): Promise<void>;
  /** The pid of the process now running. */
  pid(): Promise<number>;
  /** SIGKILLs it (its data is discarded) and deletes its run dir. Safe to call twice. */
  clean(): Promise<void>;
}

export interface PrivateServerOptions {
  /** Extra environment for `servers.sh` (e.g. `FLYWHEEL_MONGO_BACKEND: 'h2'`), on every start. */
  env?: Readonly<Record<string, string>>;
  /** Per script call, ms. Default 180 s (a cold Kafka start on a loaded box takes a while). */
  timeoutMs?: number;
}

/**
 * Starts a private `name` with `scripts/servers/servers.sh` (so with the very configuration the
 * shared one runs on) in a fresh temp run dir. Call `clean()` in `afterAll`.
 */
export async function startPrivateServer(
  name: PrivateServerName,
  options: PrivateServerOptions = {},
): Promise<PrivateServer> {
  const runDir = await mkdtemp(join(tmpdir(), `flywheel-private-${name}-`));
  const servers = async (...args: string[]) => {
    await run(serversScript, args, {
      env: { ...process.env, ...options.env, FLYWHEEL_RUN_DIR: runDir },
      timeout: options.timeoutMs ?? 180_000,
    });
  };
  const pid = async () => Number((await readFile(join(runDir, name, 'pid'), 'utf8')).trim());
  let cleaned = false;
  try {
    await servers('start', name);
  } catch (error) {
    await servers('clean', name).catch(() => undefined);
    await rm(runDir, { recursive: true, force: true });
    throw error;
  }
  const env = parseEnv(await readFile(join(runDir, 'servers.env'), 'utf8'));
  return {
    name,
    runDir,
    env,
    start: () => servers('start', name),
    stop: () => servers('stop', name),
    pid,
    async kill() {
      const victim = await pid();
      process.kill(victim, 'SIGKILL');
      await waitFor(() => !alive(victim), { timeoutMs: 30_000, what: `${name} (pid ${victim}) to die` });
    },
    async clean() {
      if (cleaned) return;
      cleaned = true;
      // Its data is discarded: no graceful shutdown to wait for.
      const victim = await pid().catch(() => undefined);
      if (victim !== undefined && alive(victim)) {
        process.kill(victim, 'SIGKILL');
        await waitFor(() => !alive(victim), { timeoutMs: 30_000 }).catch(() => undefined);
      }
      await servers('clean', name).catch(() => undefined);
      await rm(runDir, { recursive: true, force: true });
    },
  };
}

/** `export NAME=value` lines of a servers.env. */
function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  // Values are bare words, or single-quoted when they hold shell characters (the Mongo URL's `&`).
  for (const match of text.matchAll(/^export (\w+)=(?:'([^']*)'|(\S*))$/gm))
    env[match[1]!] = match[2] ?? match[3]!;
  return env;
}

/** Whether `pid` is a live process (a zombie is not: it has exited). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // kill(pid, 0) succeeds on a zombie; /proc says whether it exited.
  return readProcState(pid) !== 'Z';
}

function readProcState(pid: number): string | undefined {
  try {
    // The state is the field after the parenthesised command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /\) (\w)/.exec(stat)?.[1];
  } catch {
    return undefined;
  }
}
