import { AppError } from '@flywheel/core';
import { Command, CommanderError } from 'commander';
import { addGlobalOptions, type Cli, type CliIo, cliOf } from './cli-context.ts';
import { deploymentCommands } from './commands/deployments.ts';
import { eventCommands } from './commands/events.ts';
import { featureCommands } from './commands/features.ts';
import { inferCommand } from './commands/infer.ts';
import { modelCommands } from './commands/models.ts';
import { monitoringCommands } from './commands/monitoring.ts';
import { pipelineCommands } from './commands/runs.ts';
import { scheduleCommands } from './commands/schedules.ts';
import { servedCommand } from './commands/served.ts';
import { contextCommands } from './context/context-commands.ts';
import { CliError, exitCodeOf, exitCodes, exitCodeTable } from './exit-codes.ts';

/** A command body: gets the invocation's Cli, then commander's arguments and options. */
// biome-ignore lint/suspicious/noExplicitAny: commander hands each action its own argument tuple.
export type CommandBody = (cli: Cli, ...args: any[]) => Promise<void> | void;
export type Run = (command: Command, body: CommandBody) => Command;

/**
 * Runs the `flywheel` command line `argv` (without node and the script) and resolves its exit
 * code (see exit-codes.ts); it never calls process.exit, so tests and the bin share it.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const closers: Array<() => void> = [];
  let exitCode: number = exitCodes.ok;
  const run: Run = (command, body) =>
    command.action(async (...args: unknown[]) => {
      const invoked = args.at(-1) as Command;
      const cli = cliOf(invoked, io, (close) => closers.push(close));
      await body(cli, ...args.slice(0, -1));
    });
  const program = createProgram(io, run);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    exitCode = report(error, io);
  } finally {
    for (const close of closers) close();
  }
  return exitCode;
}

function createProgram(io: CliIo, run: Run): Command {
  const program = addGlobalOptions(new Command('flywheel'))
    .description('Flywheel from a terminal: models, deployments, inference, pipelines, runs and drift')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .addHelpText(
      'after',
      `\nExit codes:\n${exitCodeTable()
        .map(([code, meaning]) => `  ${String(code).padStart(2)}  ${meaning}`)
        .join('\n')}\n`,
    );
  contextCommands(program, run);
  modelCommands(program, run);
  deploymentCommands(program, run);
  inferCommand(program, run);
  servedCommand(program, run);
  pipelineCommands(program, run);
  monitoringCommands(program, run);
  scheduleCommands(program, run);
  featureCommands(program, run);
  eventCommands(program, run);
  return program;
}

/** Prints why a command failed, naming the status and the field, and returns its exit code. */
function report(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // Help and version "errors" are normal exits; commander already printed usage problems.
    return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
  }
  if (error instanceof AppError) {
    const field =
      error.field && !error.message.startsWith(`${error.field}:`) ? ` (field ${error.field})` : '';
    io.stderr.write(`error: ${error.code.toUpperCase()}: ${error.message}${field}\n`);
  } else if (error instanceof CliError) {
    io.stderr.write(`error: ${error.message}\n`);
  } else {
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  return exitCodeOf(error);
}
