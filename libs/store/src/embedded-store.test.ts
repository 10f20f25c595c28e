import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '@flywheel/core';
import { waitFor } from '@flywheel/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { describeDocumentStoreContract } from '../test/document-store-contract.ts';
import { createEmbeddedStore } from './embedded-store.ts';

const root = await mkdtemp(join(tmpdir(), 'flywheel-embedded-store-'));
afterAll(() => rm(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(root, `store-${++dirs}`);

describeDocumentStoreContract('embedded', () => createEmbeddedStore({ dir: freshDir() }));

const entry = (id: string) => ({
  id,
  topic: 'thing.happened',
  key: id,
  value: new Uint8Array([0, 1, 2, 255]),
  headers: { ce_id: id },
});

describe('embedded store on disk', () => {
  it('sees every document, version and pending entry again after a restart', async () => {
    const dir = freshDir();
    const first = await createEmbeddedStore({ dir });
    const things = first.collection<{ n: number; team: string }>('things', { indexes: ['team'] });
    await things.put('a', { n: 1, team: 'red' }, { outbox: [entry('e1')] });
    await things.put('a', { n: 2, team: 'red' }, { expectedVersion: 1, outbox: [entry('e2')] });
    await things.put('b', { n: 3, team: 'blue' });
    await things.put('c', { n: 4, team: 'red' });
    await things.delete('c');
    await first.markRelayed([{ collection: 'things', docId: 'a', entryId: 'e1' }]);
    await first.close();

    const second = await createEmbeddedStore({ dir });
    const again = second.collection<{ n: number; team: string }>('things', { indexes: ['team'] });
    expect(await again.get('a')).toEqual({ id: 'a', version: 2, data: { n: 2, team: 'red' } });
    expect(await again.get('c')).toBeUndefined();
    expect((await again.find({ team: 'red' })).map((d) => d.id)).toEqual(['a']);
    const pending = await second.pendingOutbox();
    expect(pending.map((p) => p.entry)).toEqual([entry('e2')]);
    // Writes after a restart order after the ones before it.
    await again.put('b', { n: 5, team: 'blue' }, { outbox: [entry('e3')] });
    expect((await second.pendingOutbox()).map((p) => p.entry.id)).toEqual(['e2', 'e3']);
    await second.close();
  });

  it('finds pending entries of collections the new process has not opened', async () => {
    const dir = freshDir();
    const first = await createEmbeddedStore({ dir });
    await first.collection('orders').put('o1', { total: 1 }, { outbox: [entry('order-placed')] });
    await first.close();
    const second = await createEmbeddedStore({ dir });
    expect(await second.pendingOutbox()).toMatchObject([
      { collection: 'orders', docId: 'o1', entry: { id: 'order-placed' } },
    ]);
    await second.close();
  });

  it('ignores a torn last line (a write cut short by a crash) and keeps appending cleanly', async () => {
    const dir = freshDir();
    const first = await createEmbeddedStore({ dir });
    await first.collection('things').put('a', { n: 1 });
    await first.collection('things').put('a', { n: 2 });
    await first.close();
    const journal = join(dir, 'things.jsonl');
    await appendFile(journal, '{"op":"put","id":"a","v":3,"data":{"n":');

    const second = await createEmbeddedStore({ dir });
    expect(await second.collection('things').get('a')).toEqual({ id: 'a', version: 2, data: { n: 2 } });
    await second.collection('things').put('a', { n: 3 });
    await second.close();

    const third = await createEmbeddedStore({ dir });
    expect(await third.collection('things').get('a')).toEqual({ id: 'a', version: 3, data: { n: 3 } });
    await third.close();
    const lines = (await readFile(journal, 'utf8')).split('\n');
    expect(lines.filter((l) => l !== '').every((l) => JSON.parse(l) !== undefined)).toBe(true);
  });

  it('reports corruption before the last line as data_loss instead of guessing', async () => {
    const dir = freshDir();
    const first = await createEmbeddedStore({ dir });
    await first.collection('things').put('a', { n: 1 });
    await first.collection('things').put('a', { n: 2 });
    await first.close();
    const journal = join(dir, 'things.jsonl');
    const [one = '', two = ''] = (await readFile(journal, 'utf8')).split('\n');
    await writeFile(journal, `${one}\n{garbage\n${two}\n`);
    const error = await createEmbeddedStore({ dir }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'data_loss' });
    expect((error as AppError).message).toMatch(/line 2/);
    // The failed open released its lock.
    await writeFile(journal, `${one}\n${two}\n`);
    const again = await createEmbeddedStore({ dir });
    expect(await again.collection('things').get('a')).toMatchObject({ version: 2 });
    await again.close();
  });

  it('keeps a second opener out of the directory while the first has it', async () => {
    const dir = freshDir();
    const first = await createEmbeddedStore({ dir });
    const error = await createEmbeddedStore({ dir }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'failed_precondition' });
    await first.close();
    const second = await createEmbeddedStore({ dir });
    await second.close();
  });

  it('takes over the lock a dead process left behind', async () => {
    const dir = freshDir();
    const first = await createEmbeddedStore({ dir });
    await first.close();
    // pid 2^22 + 1 is above Linux's pid_max limit, so no live process has it.
    await writeFile(join(dir, 'LOCK'), `${2 ** 22 + 1}\n${(await import('node:os')).hostname()}\n`);
    const second = await createEmbeddedStore({ dir });
    await second.close();
  });

  it('compacts the journal as it grows, and replays the compacted one', async () => {
    const dir = freshDir();
    const store = await createEmbeddedStore({ dir, compactAfterLines: 50, fsync: false });
    const things = store.collection<{ n: number }>('things');
    for (let i = 0; i < 120; i++)
      await things.put(`doc-${i % 5}`, { n: i }, i === 7 ? { outbox: [entry('kept')] } : {});
    await store.close();
    const lines = (await readFile(join(dir, 'things.jsonl'), 'utf8')).split('\n').filter((l) => l !== '');
    expect(lines.length).toBeLessThan(60);
    const reopened = await createEmbeddedStore({ dir });
    expect(await reopened.collection('things').get('doc-4')).toEqual({
      id: 'doc-4',
      version: 24,
      data: { n: 119 },
    });
    expect((await reopened.pendingOutbox()).map((p) => p.entry.id)).toEqual(['kept']);
    await reopened.close();
  });

  it('commits concurrent writes in groups, each durable before it resolves', async () => {
    const dir = freshDir();
    const store = await createEmbeddedStore({ dir });
    const things = store.collection<{ n: number }>('things');
    await Promise.all(Array.from({ length: 200 }, (_, i) => things.put(`d${i}`, { n: i })));
    await store.close();
    const reopened = await createEmbeddedStore({ dir });
    expect(await reopened.collection('things').get('d199')).toMatchObject({ data: { n: 199 } });
    await reopened.close();
  });

  it('sweeps expired documents out of the journal; the expiry survives a restart', async () => {
    const dir = freshDir();
    const store = await createEmbeddedStore({ dir, fsync: false, sweepIntervalMs: 50 });
    const things = store.collection<{ n: number }>('things');
    await things.put('expired', { n: 1 }, { expiresAt: new Date(Date.now() - 1000) });
    await things.put('later', { n: 2 }, { expiresAt: new Date(Date.now() + 3_600_000) });
    await things.put('kept', { n: 3 });
    const journal = join(dir, 'things.jsonl');
    await waitFor(async () => (await readFile(journal, 'utf8')).includes('{"op":"remove","id":"expired"}'), {
      what: 'the sweep to remove the expired document',
    });
    await store.close();
    const lines = (await readFile(journal, 'utf8')).trim().split('\n');
    expect(lines.filter((line) => line.includes('"op":"remove"'))).toHaveLength(1);
    const reopened = await createEmbeddedStore({ dir, fsync: false });
    const again = reopened.collection<{ n: number }>('things');
    expect(await again.get('expired')).toBeUndefined();
    expect(await again.get('later')).toMatchObject({ data: { n: 2 } });
    expect(await again.get('kept')).toMatchObject({ data: { n: 3 } });
    await reopened.close();

    // An expiry in the journal is honoured after a restart, before any sweep.
    const third = await createEmbeddedStore({ dir, fsync: false });
    await third.collection('things').put('brief', { n: 4 }, { expiresAt: new Date(Date.now() + 200) });
    await third.close();
    const fourth = await createEmbeddedStore({ dir, fsync: false, sweepIntervalMs: 3_600_000 });
    await waitFor(async () => (await fourth.collection('things').get('brief')) === undefined, {
      what: 'the reopened store to honour the journalled expiry',
    });
    await fourth.close();
  });
});
