import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '@flywheel/core';
import { afterAll, expect, it } from 'vitest';
import { createEmbeddedStore } from '../src/embedded-store.ts';
import { runWriterUntil } from './spawn-writer.ts';

const root = await mkdtemp(join(tmpdir(), 'flywheel-lock-'));
afterAll(() => rm(root, { recursive: true, force: true }));

it('a second process cannot open an embedded store directory while a live process has it open', async () => {
  const dir = join(root, 'store');
  await runWriterUntil(
    { kind: 'embedded', dir, fsync: true, timeoutMs: 5000 },
    'before-relay',
    'written',
    async (pid) => {
      const error = await createEmbeddedStore({ dir }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'failed_precondition' });
      expect((error as AppError).message).toContain(`pid ${pid}`);
    },
  );
  // Once that process is gone (killed, not closed), its lock is taken over.
  const store = await createEmbeddedStore({ dir });
  expect(await store.collection('models').get('churn')).toMatchObject({ version: 1 });
  await store.close();
});
