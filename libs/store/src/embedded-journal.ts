import { type FileHandle, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError, type Logger } from '@flywheel/core';

/**
 * An append-only file of JSON lines, one per atomic write. Appends are one `write` of whole lines
 * followed by `fdatasync` (unless `fsync` is off), so an acknowledged write survives a crash; a
 * crash mid-append leaves at most a torn last line, which {@link openJournal} drops.
 */
export interface Journal {
  /** Lines appended since the file was last rewritten (a compaction hint). */
  readonly lines: number;
  /** Appends the records as one write; on failure the file is cut back to where it was. */
  append(records: readonly unknown[]): Promise<void>;
  /** Atomically replaces the whole file with `records` (compaction): temp file, fsync, rename. */
  rewrite(records: Iterable<unknown>): Promise<void>;
  close(): Promise<void>;
}

export interface OpenedJournal {
  journal: Journal;
  /** The records in the file, in order. */
  records: unknown[];
}

/**
 * Opens (creating) the journal at `path` and reads its records. A torn tail (unparsable lines
 * with nothing valid after them) is cut off with a warning; an unparsable line followed by valid
 * ones is corruption, reported as `data_loss` naming the line.
 */
export async function openJournal(
  path: string,
  options: { fsync: boolean; log: Logger },
): Promise<OpenedJournal> {
  const { fsync, log } = options;
  const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw AppError.from(error);
  });
  const records: unknown[] = [];
  let goodEnd = 0;
  let badLine: number | undefined;
  if (bytes !== undefined) {
    let offset = 0;
    let lineNo = 0;
    while (offset < bytes.length) {
      lineNo += 1;
      const end = bytes.indexOf(0x0a, offset);
      const next = end === -1 ? bytes.length : end + 1;
      const line = bytes.toString('utf8', offset, end === -1 ? bytes.length : end);
      // A line without its newline was never acknowledged: the append did not finish.
      const record = end === -1 ? undefined : parseLine(line);
      if (record !== undefined) {
        if (badLine !== undefined) {
          throw new AppError(
            'data_loss',
            `journal ${path} is corrupt at line ${badLine} (valid lines follow it)`,
          );
        }
        records.push(record);
        goodEnd = next;
      } else if (line.replaceAll('\0', '').trim() !== '') {
        badLine ??= lineNo;
      }
      offset = next;
    }
  }
  const created = bytes === undefined;
  const handle = await open(path, 'a');
  let size = (await handle.stat()).size;
  if (size !== goodEnd) {
    log.warn('dropping a torn journal tail (a write that was never acknowledged)', {
      path,
      bytes: size - goodEnd,
      line: badLine,
    });
    await handle.truncate(goodEnd);
    if (fsync) await handle.datasync();
    size = goodEnd;
  }
  if (created && fsync) await syncDir(dirname(path));
  return { journal: createJournal(path, handle, size, records.length, fsync), records };
}

function parseLine(line: string): unknown {
  if (line === '') return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

function createJournal(
  path: string,
  initial: FileHandle,
  initialSize: number,
  initialLines: number,
  fsync: boolean,
): Journal {
  let handle: FileHandle | undefined = initial;
  let size = initialSize;
  let lines = initialLines;
  let broken: AppError | undefined;

  const usable = (): FileHandle => {
    if (broken) throw broken;
    if (!handle) throw new AppError('failed_precondition', `journal ${path} is closed`);
    return handle;
  };

  return {
    get lines() {
      return lines;
    },

    async append(records) {
      const fh = usable();
      const bytes = Buffer.from(records.map((record) => `${JSON.stringify(record)}\n`).join(''), 'utf8');
      try {
        await fh.write(bytes, 0, bytes.length);
        if (fsync) await fh.datasync();
      } catch (error) {
        // Cut back a partial line so the next append does not glue onto it.
        try {
          await fh.truncate(size);
        } catch (truncateError) {
          broken = new AppError(
            'unavailable',
            `journal ${path} could not be repaired after a failed write; reopen the store`,
            {
              retriable: false,
              cause: truncateError,
            },
          );
        }
        throw new AppError('unavailable', `journal ${path}: write failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
      size += bytes.length;
      lines += records.length;
    },

    async rewrite(records) {
      const fh = usable();
      const tmp = `${path}.tmp`;
      const out = await open(tmp, 'w');
      let count = 0;
      let written = 0;
      try {
        let chunk: string[] = [];
        const flush = async (): Promise<void> => {
          if (chunk.length === 0) return;
          const bytes = Buffer.from(chunk.join(''), 'utf8');
          await out.write(bytes, 0, bytes.length);
          written += bytes.length;
          chunk = [];
        };
        for (const record of records) {
          chunk.push(`${JSON.stringify(record)}\n`);
          count += 1;
          if (chunk.length >= 512) await flush();
        }
        await flush();
        await out.sync();
      } catch (error) {
        await out.close().catch(() => {});
        await rm(tmp, { force: true });
        throw AppError.from(error);
      }
      await out.close();
      await rename(tmp, path);
      if (fsync) await syncDir(dirname(path));
      // The old handle points at the replaced file: switch to the new one.
      handle = undefined;
      await fh.close().catch(() => {});
      try {
        handle = await open(path, 'a');
      } catch (error) {
        broken = new AppError(
          'unavailable',
          `journal ${path} could not be reopened after compaction; reopen the store`,
          {
            retriable: false,
            cause: error,
          },
        );
        throw broken;
      }
      size = written;
      lines = count;
    },

    async close() {
      const fh = handle;
      handle = undefined;
      await fh?.close();
    },
  };
}

/** fsyncs a directory, so a file created or renamed in it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
