import Table from 'cli-table3';
import pc from 'picocolors';
import { stringify } from 'yaml';
import yoctoSpinner from 'yocto-spinner';

export const outputFormats = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof outputFormats)[number];

type Colors = ReturnType<typeof pc.createColors>;

/** Where and how a command prints: stdout for results, stderr for notes and progress. */
export interface Output {
  readonly format: OutputFormat;
  /** Colour functions: real ones on a terminal (and without NO_COLOR), identity otherwise. */
  readonly color: Colors;
  /** Prints a result: `data` as JSON or YAML, or what `human` renders for `-o table`. */
  result(data: unknown, human: () => string): void;
  /** A line for people on stderr (never mixed into the result). */
  note(line: string): void;
  /** Shows `text` with a spinner on a terminal (a plain line otherwise) until the returned stop is called. */
  progress(text: string): { update(text: string): void; stop(): void };
}

export interface OutputOptions {
  format: OutputFormat;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

export function createOutput(options: OutputOptions): Output {
  const { stdout, stderr, env } = options;
  const colorful = Boolean(stdout.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
  const color = pc.createColors(colorful);
  const stderrTty = Boolean(stderr.isTTY) && !env.NO_COLOR;
  return {
    format: options.format,
    color,
    result(data, human) {
      if (options.format === 'json') stdout.write(`${JSON.stringify(data, null, 2)}\n`);
      else if (options.format === 'yaml') stdout.write(stringify(data));
      else {
        const text = human();
        if (text) stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      }
    },
    note(line) {
      stderr.write(`${line}\n`);
    },
    progress(text) {
      if (!stderrTty) {
        stderr.write(`${text}\n`);
        return { update: () => {}, stop: () => {} };
      }
      const spinner = yoctoSpinner({ text, stream: stderr }).start();
      return {
        update: (next) => {
          spinner.text = next;
        },
        stop: () => {
          spinner.stop();
        },
      };
    },
  };
}

/**
 * A kubectl-like table: upper-case headers (unless `upperCaseHead` is false, for headers that are
 * values such as run ids), columns separated by spaces, no borders.
 */
export function table(
  head: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
  upperCaseHead = true,
): string {
  const t = new Table({
    head: head.map((h) => (upperCaseHead ? h.toUpperCase() : h)),
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const row of rows) t.push(row.map((cell) => String(cell)));
  return t
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** `key: value` lines, keys aligned, for `get` commands. */
export function fields(entries: ReadonlyArray<[string, string | number | undefined]>): string {
  const shown = entries.filter(([, v]) => v !== undefined && v !== '');
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}`).join('\n');
}
