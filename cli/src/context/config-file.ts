import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { CliError, exitCodes } from '../exit-codes.ts';

/** The six services a context addresses, by the names their `FLYWHEEL_<SERVICE>_GRPC_ADDRESS` use. */
export const serviceNames = [
  'scheduler',
  'orchestrator',
  'registry',
  'feature-store',
  'serving',
  'monitoring',
] as const;
export type ServiceName = (typeof serviceNames)[number];

/** One platform to talk to, like a kubectl context. */
export interface Context {
  /** Host of every service on its default port (7101–7106); per-service `addresses` win. */
  host?: string;
  /** `host:port` per service. */
  addresses?: Partial<Record<ServiceName, string>>;
  /** TLS: `ca` verifies the servers (system roots without one); `cert` + `key` are the client's certificate (mTLS). */
  tls?: { ca?: string; cert?: string; key?: string };
  /** Bearer token sent as `authorization` (a JWT or a `./flywheel token create` token). */
  token?: string;
}

export interface ConfigFile {
  'current-context'?: string;
  contexts: Record<string, Context>;
}

/** Where the config lives: `$FLYWHEEL_CONFIG`, else `$XDG_CONFIG_HOME/flywheel/config.yaml`, else `~/.config/flywheel/config.yaml`. */
export function configPath(env: NodeJS.ProcessEnv): string {
  if (env.FLYWHEEL_CONFIG) return env.FLYWHEEL_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'flywheel', 'config.yaml');
}

/** Reads the config file; a missing file is an empty config. Throws CliError(config) when malformed. */
export function readConfigFile(path: string): ConfigFile {
  if (!existsSync(path)) return { contexts: {} };
  let parsed: unknown;
  try {
    parsed = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(`config ${path} is not YAML: ${(error as Error).message}`, exitCodes.config);
  }
  if (parsed === null || parsed === undefined) return { contexts: {} };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliError(`config ${path} must be a mapping with "contexts"`, exitCodes.config);
  }
  const file = parsed as Partial<ConfigFile>;
  const contexts = file.contexts ?? {};
  if (typeof contexts !== 'object' || Array.isArray(contexts)) {
    throw new CliError(`config ${path}: "contexts" must be a mapping of name → context`, exitCodes.config);
  }
  for (const [name, context] of Object.entries(contexts)) checkContext(path, name, context);
  return { ...(file['current-context'] ? { 'current-context': file['current-context'] } : {}), contexts };
}

function checkContext(path: string, name: string, context: unknown): void {
  const bad = (what: string) => new CliError(`config ${path}: context "${name}": ${what}`, exitCodes.config);
  if (typeof context !== 'object' || context === null) throw bad('must be a mapping');
  const c = context as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!['host', 'addresses', 'tls', 'token'].includes(key)) throw bad(`unknown key "${key}"`);
  }
  for (const service of Object.keys((c.addresses as object | undefined) ?? {})) {
    if (!(serviceNames as readonly string[]).includes(service)) {
      throw bad(`addresses.${service}: not a service (${serviceNames.join(', ')})`);
    }
  }
}

/** Writes the config atomically (temp file + rename), creating its directory; mode 0600: it may hold a token. */
export function writeConfigFile(path: string, config: ConfigFile): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, stringify(config), { mode: 0o600 });
  renameSync(temp, path);
}

/** The context to use: `--context`, else `$FLYWHEEL_CONTEXT`, else the file's current-context. */
export function chooseContext(
  config: ConfigFile,
  path: string,
  wanted: string | undefined,
): { name: string; context: Context } {
  const name = wanted ?? config['current-context'];
  if (!name) {
    throw new CliError(
      `no context chosen: run \`flywheel context set <name> --host <host>\` then \`flywheel context use <name>\` (config ${path})`,
      exitCodes.config,
    );
  }
  const context = config.contexts[name];
  if (!context) {
    const known = Object.keys(config.contexts);
    throw new CliError(
      `no context "${name}" in ${path}${known.length ? ` (known: ${known.join(', ')})` : ''}`,
      exitCodes.config,
    );
  }
  return { name, context };
}
