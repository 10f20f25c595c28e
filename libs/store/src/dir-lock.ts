import { readFileSync } from 'node:fs';
import { open, readFile, realpath, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AppError, type Logger } from '@flywheel/core';

/** A held lock on a directory; `release()` is idempotent. */
export interface DirLock {
  release(): Promise<void>;
}

// Directories locked by this process. The lock file names the owning pid, and a restarted
// container may get the same pid as its previous life, so "the pid in the file is mine" is only a
// live lock when this process really took it. This set mirrors process-wide OS state (like an
// open file table), which is why it is module-level.
const lockedByThisProcess = new Set<string>();

/**
 * Takes `dir/LOCK` (pid and host inside) so that two processes never open one store directory.
 * A lock left by a process that is gone (crash, SIGKILL) is taken over. Throws
 * `failed_precondition` naming the holder when a live process has it.
 */
export async function lockDir(dir: string, log: Logger): Promise<DirLock> {
  const real = await realpath(dir);
  const path = join(real, 'LOCK');
  const me = { pid: process.pid, host: hostname() };
  if (lockedByThisProcess.has(real)) {
    throw new AppError(
      'failed_precondition',
      `store directory ${real} is already open in this process (pid ${me.pid})`,
    );
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(`${me.pid}\n${me.host}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      lockedByThisProcess.add(real);
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          lockedByThisProcess.delete(real);
          await unlink(path).catch(() => {});
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw AppError.from(error);
    }
    const [pidText = '', host = ''] = (await readFile(path, 'utf8').catch(() => '')).split('\n');
    const pid = Number(pidText);
    if (Number.isInteger(pid) && pid > 0 && host !== '' && host !== me.host) {
      throw new AppError(
        'failed_precondition',
        `store directory ${real} is locked by pid ${pid} on host ${host}; if that process is gone, delete ${path}`,
      );
    }
    if (Number.isInteger(pid) && pid > 0 && pid !== me.pid && isAlive(pid)) {
      throw new AppError('failed_precondition', `store directory ${real} is in use by pid ${pid} (${path})`);
    }
    log.warn('taking over a stale store lock', { path, stalePid: pidText });
    await unlink(path).catch(() => {});
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process that its parent has not reaped yet is a zombie: it holds nothing.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}
