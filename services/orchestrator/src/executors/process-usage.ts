import { readFile } from 'node:fs/promises';

/** What a job used, as its executor measured it. */
export interface MeasuredUsage {
  /** User + system CPU time of the command and every process it waited for. */
  cpuSeconds: number;
  /** Peak resident memory, bytes. */
  peakMemoryBytes: number;
}

/**
 * CPU seconds from the output of the POSIX shell builtin `times` (two lines: the shell's user and
 * system time, then its waited-for children's, as `0m1.230000s 0m0.010000s`): the sum of all four.
 * Undefined when the text holds none.
 */
export function cpuSecondsOfTimes(text: string): number | undefined {
  const amounts = [...text.matchAll(/(\d+)m(\d+(?:\.\d+)?)s/g)].map(
    ([, minutes = '0', seconds = '0']) => Number(minutes) * 60 + Number(seconds),
  );
  return amounts.length === 0 ? undefined : amounts.reduce((sum, s) => sum + s, 0);
}

/** Samples the peak resident memory of a process tree while it runs. */
export interface MemorySampler {
  /** Stops sampling; resolves to the peak seen, bytes (0 when nothing could be read). */
  stop(): Promise<number>;
}

/**
 * Every `everyMs`, reads `/proc/<pid>/status` of `root` and its descendants (through
 * `/proc/<pid>/task/<pid>/children`) and keeps the larger of the biggest process's high-water mark
 * (`VmHWM`) and the tree's summed resident memory (`VmRSS`). Growth in the last interval before a
 * process exits is missed by the sum, not by its own high-water mark.
 */
export function sampleTreeMemory(root: number, everyMs = 100): MemorySampler {
  let peak = 0;
  let sampling: Promise<void> = Promise.resolve();
  const sample = async (): Promise<void> => {
    let rss = 0;
    for (const pid of await treeOf(root)) {
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
      const hwm = kibibytes(status, 'VmHWM');
      rss += kibibytes(status, 'VmRSS');
      peak = Math.max(peak, hwm * 1024);
    }
    peak = Math.max(peak, rss * 1024);
  };
  const timer = setInterval(() => {
    sampling = sampling.then(sample).catch(() => {});
  }, everyMs);
  timer.unref();
  sampling = sample().catch(() => {});
  return {
    stop: async () => {
      clearInterval(timer);
      await sampling;
      return peak;
    },
  };
}

async function treeOf(root: number): Promise<number[]> {
  const found: number[] = [];
  const pending = [root];
  while (pending.length > 0 && found.length < 4096) {
    const pid = pending.pop() as number;
    found.push(pid);
    const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
    for (const child of children.split(' ')) if (child.trim() !== '') pending.push(Number(child));
  }
  return found;
}

function kibibytes(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : 0;
}

/**
 * The start time of process `pid` (field 22 of `/proc/<pid>/stat`, clock ticks since boot);
 * undefined when it is gone, a zombie, or `/proc` is not there.
 */
export async function processStartTicks(pid: number): Promise<string | undefined> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is parenthesised and may hold spaces: split after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return fields[19];
}
