import type { Command } from 'commander';
import { CliError, exitCodes } from '../exit-codes.ts';
import { table } from '../output/output.ts';
import type { Run } from '../program.ts';
import {
  type Context,
  readConfigFile,
  type ServiceName,
  serviceNames,
  writeConfigFile,
} from './config-file.ts';

interface SetOptions {
  host?: string;
  ca?: string;
  cert?: string;
  key?: string;
  token?: string;
  [service: string]: string | undefined;
}

/** `flywheel context set|use|list|current`: the config file's contexts, like kubectl's. */
export function contextCommands(program: Command, run: Run): void {
  const context = program.command('context').description('contexts: which platform to talk to, and how');

  const set = context
    .command('set <name>')
    .description('create or change a context (only the options given change)')
    .option('--host <host>', 'host of every service on its default port (7101–7106)')
    .option('--ca <file>', 'PEM CA bundle that verifies the servers (turns TLS on)')
    .option('--cert <file>', 'PEM client certificate (mTLS)')
    .option('--key <file>', 'PEM key of --cert')
    .option('--token <token>', 'bearer token sent with every call');
  for (const service of serviceNames) set.option(`--${service} <host:port>`, `address of ${service}`);
  run(set, (cli, name: string, options: SetOptions) => {
    const config = readConfigFile(cli.configPath);
    const current: Context = config.contexts[name] ?? {};
    const addresses = { ...current.addresses };
    for (const service of serviceNames) {
      const value = options[camel(service)];
      if (value !== undefined) addresses[service as ServiceName] = value;
    }
    const tls = {
      ...current.tls,
      ...(options.ca ? { ca: options.ca } : {}),
      ...(options.cert ? { cert: options.cert } : {}),
      ...(options.key ? { key: options.key } : {}),
    };
    const next: Context = {
      ...current,
      ...(options.host ? { host: options.host } : {}),
      ...(Object.keys(addresses).length ? { addresses } : {}),
      ...(Object.keys(tls).length ? { tls } : {}),
      ...(options.token ? { token: options.token } : {}),
    };
    config.contexts[name] = next;
    config['current-context'] ??= name;
    writeConfigFile(cli.configPath, config);
    cli.out.result({ name, context: redacted(next) }, () => `context "${name}" saved in ${cli.configPath}`);
  });

  run(context.command('use <name>').description('make a context the current one'), (cli, name: string) => {
    const config = readConfigFile(cli.configPath);
    if (!config.contexts[name]) {
      const known = Object.keys(config.contexts);
      throw new CliError(
        `no context "${name}" in ${cli.configPath}${known.length ? ` (known: ${known.join(', ')})` : ''}`,
        exitCodes.config,
      );
    }
    config['current-context'] = name;
    writeConfigFile(cli.configPath, config);
    cli.out.result({ currentContext: name }, () => `switched to context "${name}"`);
  });

  run(context.command('list').description('list the contexts; * marks the current one'), (cli) => {
    const config = readConfigFile(cli.configPath);
    const rows = Object.entries(config.contexts).map(([name, c]) => ({
      name,
      current: name === config['current-context'],
      ...redacted(c),
    }));
    cli.out.result(rows, () =>
      table(
        ['current', 'name', 'host', 'addresses', 'tls', 'token'],
        rows.map((r) => [
          r.current ? '*' : '',
          r.name,
          r.host ?? '',
          Object.entries(r.addresses ?? {})
            .map(([s, a]) => `${s}=${a}`)
            .join(','),
          r.tls ? 'on' : 'off',
          r.token ?? '',
        ]),
      ),
    );
  });

  run(context.command('current').description('print the current context'), (cli) => {
    const config = readConfigFile(cli.configPath);
    const name = cli.env.FLYWHEEL_CONTEXT || config['current-context'];
    if (!name) throw new CliError(`no current context in ${cli.configPath}`, exitCodes.config);
    cli.out.result({ currentContext: name }, () => name);
  });
}

/** commander's key of `--feature-store`: `featureStore`. */
function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The context as shown: the token reduced to a hint, since output ends up in logs. */
function redacted(context: Context): Context {
  return context.token ? { ...context, token: `${context.token.slice(0, 6)}…` } : context;
}
