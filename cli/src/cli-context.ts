import { type Command, InvalidArgumentError } from 'commander';
import { chooseContext, configPath, readConfigFile } from './context/config-file.ts';
import { type Connections, connect } from './context/connect.ts';
import { createOutput, type Output, type OutputFormat, outputFormats } from './output/output.ts';

/** What every command runs with: its output, the config file, and the chosen context's services. */
export interface Cli {
  readonly out: Output;
  readonly env: NodeJS.ProcessEnv;
  readonly configPath: string;
  /** The context's connections, opened on first use (context commands never need one). */
  services(): Connections;
  /** Per-call deadline, ms (`--timeout`). */
  readonly timeoutMs: number;
}

export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

export interface GlobalOptions {
  output: OutputFormat;
  context?: string;
  timeout: number;
}

/** Adds the options every command takes to the root program. */
export function addGlobalOptions(program: Command): Command {
  return program
    .option('-o, --output <format>', `output format: ${outputFormats.join(', ')}`, parseFormat, 'table')
    .option(
      '--context <name>',
      'context from the config file (default $FLYWHEEL_CONTEXT, then current-context)',
    )
    .option('--timeout <seconds>', 'deadline of each call, seconds', parseSeconds, 30);
}

function parseFormat(value: string): OutputFormat {
  if (!(outputFormats as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`must be one of ${outputFormats.join(', ')}`);
  }
  return value as OutputFormat;
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
}

/** The Cli of one command invocation, from its global options. */
export function cliOf(command: Command, io: CliIo, onClose: (close: () => void) => void): Cli {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const path = configPath(io.env);
  const timeoutMs = globals.timeout * 1000;
  let connections: Connections | undefined;
  return {
    out: createOutput({ format: globals.output, stdout: io.stdout, stderr: io.stderr, env: io.env }),
    env: io.env,
    configPath: path,
    timeoutMs,
    services() {
      if (!connections) {
        const { context } = chooseContext(
          readConfigFile(path),
          path,
          globals.context ?? (io.env.FLYWHEEL_CONTEXT || undefined),
        );
        connections = connect(context, timeoutMs);
        const opened = connections;
        onClose(() => opened.close());
      }
      return connections;
    },
  };
}
