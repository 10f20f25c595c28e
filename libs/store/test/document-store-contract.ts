import { AppError, type ErrorCodeName } from '@flywheel/core';
import { uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type DocumentStore, maxBatchDocuments, type OutboxEntry } from '../src/document-store.ts';

/**
 * The behaviour every {@link DocumentStore} adapter must have, as a Vitest suite. `makeStore`
 * returns a fresh, empty store (its own directory or database) for each test; the suite closes it.
 *
 * ```ts
 * describeDocumentStoreContract('embedded', () => createEmbeddedStore({ dir: tempDir() }));
 * ```
 */
export function describeDocumentStoreContract(name: string, makeStore: () => Promise<DocumentStore>): void {
  async function open(): Promise<DocumentStore> {
    const store = await makeStore();
    onTestFinished(() => store.close());
    return store;
  }

  async function rejection(promise: Promise<unknown>, code: ErrorCodeName): Promise<AppError> {
    const error = await promise.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error, `expected the call to fail with ${code}`).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe(code);
    return error as AppError;
  }

  function entry(id: string, topic = 'thing.happened', text = id): OutboxEntry {
    return {
      id,
      topic,
      key: `key-${id}`,
      value: new TextEncoder().encode(text),
      headers: { ce_id: id, 'content-type': 'application/json' },
    };
  }

  interface Thing {
    name: string;
    team?: string;
    size?: number;
    tags?: string[];
    done?: boolean;
  }

  describe(`DocumentStore contract: ${name}`, () => {
    describe('get, put, delete', () => {
      it('creates at version 1, bumps the version on each write, deletes', async () => {
        const things = (await open()).collection<Thing>(uniqueName('things'));
        expect(await things.get('a')).toBeUndefined();
        expect(await things.put('a', { name: 'first' })).toEqual({
          id: 'a',
          version: 1,
          data: { name: 'first' },
        });
        expect(await things.put('a', { name: 'second' })).toMatchObject({ version: 2 });
        expect(await things.get('a')).toEqual({ id: 'a', version: 2, data: { name: 'second' } });
        expect(await things.delete('a')).toBe(true);
        expect(await things.get('a')).toBeUndefined();
        expect(await things.delete('a')).toBe(false);
        expect(await things.put('a', { name: 'again' })).toMatchObject({ version: 1 });
      });

      it('keeps collections apart', async () => {
        const store = await open();
        const left = store.collection<Thing>(uniqueName('left'));
        const right = store.collection<Thing>(uniqueName('right'));
        await left.put('x', { name: 'left' });
        expect(await right.get('x')).toBeUndefined();
        expect(left.name).not.toBe(right.name);
      });

      it('expectedVersion 0 creates only: a second create is already_exists and changes nothing', async () => {
        const things = (await open()).collection<Thing>(uniqueName('things'));
        await things.put('a', { name: 'one' }, { expectedVersion: 0 });
        await rejection(things.put('a', { name: 'two' }, { expectedVersion: 0 }), 'already_exists');
        expect(await things.get('a')).toEqual({ id: 'a', version: 1, data: { name: 'one' } });
      });

      it('a stale expectedVersion is aborted (retriable, naming both versions); a missing doc is not_found', async () => {
        const things = (await open()).collection<Thing>(uniqueName('things'));
        await things.put('a', { name: 'one' });
        await things.put('a', { name: 'two' }, { expectedVersion: 1 });
        const stale = await rejection(things.put('a', { name: 'three' }, { expectedVersion: 1 }), 'aborted');
        expect(stale.retriable).toBe(true);
        expect(stale.message).toMatch(/version 2/);
        expect(stale.message).toMatch(/expected 1/);
        expect(await things.get('a')).toMatchObject({ version: 2, data: { name: 'two' } });
        await rejection(things.put('b', { name: 'x' }, { expectedVersion: 3 }), 'not_found');
        expect(await things.get('b')).toBeUndefined();
      });

      it('delete honours expectedVersion', async () => {
        const things = (await open()).collection<Thing>(uniqueName('things'));
        await things.put('a', { name: 'one' });
        await things.put('a', { name: 'two' });
        await rejection(things.delete('a', { expectedVersion: 1 }), 'aborted');
        await rejection(things.delete('a', { expectedVersion: 0 }), 'invalid_argument');
        expect(await things.get('a')).toMatchObject({ version: 2 });
        expect(await things.delete('a', { expectedVersion: 2 })).toBe(true);
        expect(await things.delete('missing', { expectedVersion: 1 })).toBe(false);
      });

      it('rejects bad ids, collection names, versions and non-object data with invalid_argument', async () => {
        const store = await open();
        const things = store.collection<Thing>(uniqueName('things'));
        await rejection(things.put('', { name: 'x' }), 'invalid_argument');
        await rejection(things.get(''), 'invalid_argument');
        await rejection(things.put('a', { name: 'x' }, { expectedVersion: -1 }), 'invalid_argument');
        await rejection(things.put('a', { name: 'x' }, { expectedVersion: 1.5 }), 'invalid_argument');
        await rejection(things.put('a', [1, 2] as unknown as Thing), 'invalid_argument');
        expect(() => store.collection('bad/name')).toThrow(AppError);
        expect(() => store.collection('system.users')).toThrow(AppError);
        expect(() => store.collection('ok', { indexes: ['a.b'] })).toThrow(AppError);
      });

      it('a call whose signal has already aborted fails cancelled and writes nothing', async () => {
        const things = (await open()).collection<Thing>(uniqueName('things'));
        const signal = AbortSignal.abort();
        await rejection(things.put('a', { name: 'x' }, { signal }), 'cancelled');
        await rejection(things.get('a', { signal }), 'cancelled');
        await rejection(things.find({}, { signal }), 'cancelled');
        expect(await things.get('a')).toBeUndefined();
      });

      it('a closed store refuses calls with failed_precondition', async () => {
        const store = await makeStore();
        const things = store.collection<Thing>(uniqueName('things'));
        await things.put('a', { name: 'x' });
        await store.close();
        await rejection(things.get('a'), 'failed_precondition');
        await rejection(things.put('a', { name: 'y' }), 'failed_precondition');
        await store.close();
      });
    });

    describe('expiry (expiresAt)', () => {
      const past = (): Date => new Date(Date.now() - 1000);
      const later = (): Date => new Date(Date.now() + 3_600_000);

      it('a document past its expiresAt is gone for get, find and delete; one before it is there', async () => {
        const things = (await open()).collection<Thing>(uniqueName('things'), { indexes: ['team'] });
        await things.put('old', { name: 'old', team: 'red' }, { expiresAt: past() });
        await things.put('new', { name: 'new', team: 'red' }, { expiresAt: later() });
        await things.put('kept', { name: 'kept', team: 'red' });
        expect(await things.get('old')).toBeUndefined();
        expect(await things.get('new')).toMatchObject({ version: 1, data: { name: 'new' } });
        expect((await things.find({ team: 'red' })).map((d) => d.id)).toEqual(['kept', 'new']);
        expect((await things.find({})).map((d) => d.id)).toEqual(['kept', 'new']);
        expect(await things.delete('old')).toBe(false);
      });

      it('an expired document counts as absent for versioned writes: a create starts again at version 1', async () => {
        const things = (await open()).collection<Thing>(uniqueName('things'));
        await things.put('a', { name: 'one' });
        await things.put('a', { name: 'two' }, { expectedVersion: 1, expiresAt: past() });
        await rejection(things.put('a', { name: 'x' }, { expectedVersion: 2 }), 'not_found');
        expect(await things.put('a', { name: 'again' }, { expectedVersion: 0 })).toMatchObject({
          version: 1,
        });
        expect(await things.get('a')).toEqual({ id: 'a', version: 1, data: { name: 'again' } });
        await things.put('b', { name: 'b' }, { expiresAt: past() });
        expect(await things.put('b', { name: 'b2' })).toMatchObject({ version: 1 });
      });

      it('expires a document once its time passes; a later write without expiresAt keeps it', async () => {
        const things = (await open()).collection<Thing>(uniqueName('things'));
        // Far enough ahead that the three writes land before it even on a loaded box (TLS handshakes).
        const soon = new Date(Date.now() + 3000);
        const gone = await things.put('gone', { name: 'gone' }, { expiresAt: soon });
        expect(gone.version).toBe(1);
        await things.put('kept', { name: 'kept' }, { expiresAt: soon });
        await things.put('kept', { name: 'kept' }, { expectedVersion: 1 });
        await waitFor(async () => (await things.get('gone')) === undefined, {
          what: 'the document to expire',
          timeoutMs: 20_000,
        });
        expect(await things.get('kept')).toMatchObject({ version: 2 });
      });

      it('refuses an expiresAt that is not a valid Date, and one on a write that carries outbox entries', async () => {
        const things = (await open()).collection<Thing>(uniqueName('things'));
        await rejection(
          things.put('a', { name: 'x' }, { expiresAt: new Date(Number.NaN) }),
          'invalid_argument',
        );
        await rejection(
          things.put('a', { name: 'x' }, { expiresAt: Date.now() as unknown as Date }),
          'invalid_argument',
        );
        await rejection(
          things.put('a', { name: 'x' }, { expiresAt: later(), outbox: [entry('e1')] }),
          'invalid_argument',
        );
        expect(await things.get('a')).toBeUndefined();
      });
    });

    describe('batches (getMany, putMany)', () => {
      it('reads many aligned with the ids, absent and deleted ones undefined', async () => {
        const things = (await open()).collection<Thing>(uniqueName('things'));
        await things.put('a', { name: 'one' });
        await things.put('b', { name: 'two' });
        await things.put('c', { name: 'three' });
        await things.delete('c');
        expect(await things.getMany(['b', 'missing', 'a', 'c'])).toEqual([
          { id: 'b', version: 1, data: { name: 'two' } },
          undefined,
          { id: 'a', version: 1, data: { name: 'one' } },
          undefined,
        ]);
        expect(await things.getMany([])).toEqual([]);
      });

      it('writes many: each write checks its own version, the others land regardless', async () => {
        const things = (await open()).collection<Thing>(uniqueName('things'));
        await things.put('kept', { name: 'v1' });
        await things.put('stale', { name: 'v1' });
        await things.put('stale', { name: 'v2' });
        await things.put('taken', { name: 'v1' });
        const outcomes = await things.putMany([
          { id: 'new', data: { name: 'created' }, expectedVersion: 0 },
          { id: 'kept', data: { name: 'v2' }, expectedVersion: 1 },
          { id: 'stale', data: { name: 'lost' }, expectedVersion: 1 },
          { id: 'taken', data: { name: 'lost' }, expectedVersion: 0 },
          { id: 'gone', data: { name: 'lost' }, expectedVersion: 3 },
        ]);
        expect(outcomes.slice(0, 2)).toEqual([
          { id: 'new', version: 1, data: { name: 'created' } },
          { id: 'kept', version: 2, data: { name: 'v2' } },
        ]);
        expect(outcomes.slice(2).map((o) => (o instanceof AppError ? o.code : o))).toEqual([
          'aborted',
          'already_exists',
          'not_found',
        ]);
        expect(await things.getMany(['new', 'kept', 'stale', 'taken', 'gone'])).toEqual([
          { id: 'new', version: 1, data: { name: 'created' } },
          { id: 'kept', version: 2, data: { name: 'v2' } },
          { id: 'stale', version: 2, data: { name: 'v2' } },
          { id: 'taken', version: 1, data: { name: 'v1' } },
          undefined,
        ]);
        // A create over a deleted document is a create, as with put.
        await things.delete('kept');
        expect(await things.putMany([{ id: 'kept', data: { name: 'again' }, expectedVersion: 0 }])).toEqual([
          { id: 'kept', version: 1, data: { name: 'again' } },
        ]);
      });

      it('refuses a bad batch whole, naming the write, and writes none of it', async () => {
        const things = (await open()).collection<Thing>(uniqueName('things'));
        const twice = await rejection(
          things.putMany([
            { id: 'a', data: { name: 'one' }, expectedVersion: 0 },
            { id: 'a', data: { name: 'two' }, expectedVersion: 0 },
          ]),
          'invalid_argument',
        );
        expect(twice.field).toBe('writes[1].id');
        const badData = await rejection(
          things.putMany([
            { id: 'b', data: { name: 'one' }, expectedVersion: 0 },
            { id: 'c', data: { name: 'two', size: Number.NaN }, expectedVersion: 0 },
          ]),
          'invalid_argument',
        );
        expect(badData.field).toBe('writes[1].data.size');
        expect(await things.getMany(['a', 'b', 'c'])).toEqual([undefined, undefined, undefined]);
        const tooMany = Array.from({ length: maxBatchDocuments + 1 }, (_, i) => `id-${i}`);
        expect((await rejection(things.getMany(tooMany), 'invalid_argument')).field).toBe('ids');
      });
    });

    describe('concurrent writers', () => {
      it('exactly one of N racing updates at the same version wins; the rest are aborted', async () => {
        const things = (await open()).collection<Thing>(uniqueName('things'));
        await things.put('a', { name: 'start' });
        const racers = Array.from({ length: 10 }, (_, i) =>
          things.put('a', { name: `racer-${i}` }, { expectedVersion: 1 }),
        );
        const results = await Promise.allSettled(racers);
        const winners = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        const losers = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
        expect(winners).toHaveLength(1);
        expect(losers.every((e) => e instanceof AppError && e.code === 'aborted')).toBe(true);
        expect(await things.get('a')).toEqual({ id: 'a', version: 2, data: winners[0]!.data });
      });

      it('exactly one of N racing creates wins; the rest are already_exists', async () => {
        const things = (await open()).collection<Thing>(uniqueName('things'));
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => things.put('a', { name: `c-${i}` }, { expectedVersion: 0 })),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected') expect((r.reason as AppError).code).toBe('already_exists');
        }
      });

      it('racing unconditional writes each get their own version', async () => {
        const things = (await open()).collection<Thing>(uniqueName('things'));
        const docs = await Promise.all(
          Array.from({ length: 10 }, (_, i) => things.put('a', { name: `w-${i}` })),
        );
        expect(docs.map((d) => d.version).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect(await things.get('a')).toMatchObject({ version: 10 });
      });
    });

    describe('find', () => {
      async function seeded() {
        const things = (await open()).collection<Thing>(uniqueName('things'), {
          indexes: ['team', 'size', 'tags', 'done'],
        });
        await things.put('d', { name: 'd', team: 'red', size: 3, tags: ['x'], done: true });
        await things.put('b', { name: 'b', team: 'red', size: 1, tags: ['x', 'y'] });
        await things.put('a', { name: 'a', team: 'blue', size: 2 });
        await things.put('c', { name: 'c', team: 'red', size: 1, done: false });
        await things.put('e', { name: 'e', team: 'red' });
        return things;
      }
      const ids = (docs: { id: string }[]): string[] => docs.map((d) => d.id);

      it('matches equality on indexed fields, sorted by id by default', async () => {
        const things = await seeded();
        expect(ids(await things.find({ team: 'red' }))).toEqual(['b', 'c', 'd', 'e']);
        expect(ids(await things.find({ team: 'red', size: 1 }))).toEqual(['b', 'c']);
        expect(ids(await things.find({ done: true }))).toEqual(['d']);
        expect(ids(await things.find({ done: false }))).toEqual(['c']);
        expect(ids(await things.find({ team: 'green' }))).toEqual([]);
        expect(ids(await things.find({}))).toEqual(['a', 'b', 'c', 'd', 'e']);
      });

      it('matches membership with in: any of the values, an array field by any element; an empty in nothing', async () => {
        const things = await seeded();
        expect(ids(await things.find({ team: { in: ['blue', 'green'] } }))).toEqual(['a']);
        expect(ids(await things.find({ team: { in: ['red', 'blue'] }, size: 1 }))).toEqual(['b', 'c']);
        expect(ids(await things.find({ tags: { in: ['y', 'z'] } }))).toEqual(['b']);
        expect(ids(await things.find({ team: { in: [] } }))).toEqual([]);
        expect(
          ids(await things.find({ team: { in: ['red', 'blue'] } }, { limit: 2, after: { id: 'b' } })),
        ).toEqual(['c', 'd']);
        await expect(things.find({ team: { in: 'red' } as never })).rejects.toMatchObject({
          code: 'invalid_argument',
          field: 'filter.team.in',
        });
        await expect(things.find({ team: { in: ['red'], gt: 'a' } as never })).rejects.toMatchObject({
          code: 'invalid_argument',
        });
      });

      it('matches numbers and strings by type: 1 is not "1"', async () => {
        const things = await seeded();
        expect(ids(await things.find({ size: '1' }))).toEqual([]);
      });

      it('matches an array field by any element', async () => {
        const things = await seeded();
        expect(ids(await things.find({ tags: 'x' }))).toEqual(['b', 'd']);
        expect(ids(await things.find({ tags: 'y' }))).toEqual(['b']);
      });

      it('sorts by an indexed field then id, missing values first, and limits', async () => {
        const things = await seeded();
        expect(ids(await things.find({}, { sortBy: 'size' }))).toEqual(['e', 'b', 'c', 'a', 'd']);
        expect(ids(await things.find({}, { sortBy: 'size', descending: true }))).toEqual([
          'd',
          'a',
          'c',
          'b',
          'e',
        ]);
        expect(ids(await things.find({ team: 'red' }, { sortBy: 'size', limit: 2 }))).toEqual(['e', 'b']);
        expect(ids(await things.find({}, { descending: true, limit: 3 }))).toEqual(['e', 'd', 'c']);
      });

      it('orders numbers, then strings by code point, then booleans', async () => {
        const things = (await open()).collection<{ k: unknown }>(uniqueName('mixed'), { indexes: ['k'] });
        await things.put('1', { k: 'b' });
        await things.put('2', { k: 10 });
        await things.put('3', { k: true });
        await things.put('4', { k: 'B' });
        await things.put('5', { k: -1.5 });
        await things.put('6', { k: 'é' });
        await things.put('7', { k: null });
        expect(ids(await things.find({}, { sortBy: 'k' }))).toEqual(['7', '5', '2', '4', '1', '6', '3']);
      });

      it('reflects updates and deletes', async () => {
        const things = await seeded();
        await things.put('a', { name: 'a', team: 'red', size: 9 });
        await things.delete('b');
        expect(ids(await things.find({ team: 'red' }))).toEqual(['a', 'c', 'd', 'e']);
        expect(ids(await things.find({ team: 'blue' }))).toEqual([]);
      });

      it('rejects non-indexed fields, bad values and bad limits with invalid_argument', async () => {
        const things = await seeded();
        const error = await rejection(things.find({ name: 'a' }), 'invalid_argument');
        expect(error.field).toBe('filter.name');
        await rejection(things.find({}, { sortBy: 'name' }), 'invalid_argument');
        await rejection(things.find({ size: Number.NaN }), 'invalid_argument');
        await rejection(things.find({}, { limit: 0 }), 'invalid_argument');
      });
    });

    describe('find: ranges and keyset paging', () => {
      const ids = (docs: { id: string }[]): string[] => docs.map((d) => d.id);
      interface Event {
        size?: number | string;
        at?: string;
        ms?: number;
        tags?: number[];
      }
      async function events() {
        const things = (await open()).collection<Event>(uniqueName('events'), {
          indexes: ['size', 'at', 'ms', 'tags'],
        });
        const base = Date.parse('2026-03-01T00:00:00.000Z');
        // Sizes with ties (b/c and e/f/g share one), times a second apart.
        const sizes: Record<string, number> = { a: 5, b: 2, c: 2, d: 9, e: 7, f: 7, g: 7, h: 1 };
        for (const [i, [id, size]] of Object.entries(sizes).entries()) {
          const ms = base + i * 1000;
          await things.put(id, { size, at: new Date(ms).toISOString(), ms });
        }
        return things;
      }

      /** Every page of `limit` through `after`, until an empty or short one. */
      async function pages(
        things: Awaited<ReturnType<typeof events>>,
        filter: Parameters<typeof things.find>[0],
        options: { sortBy?: string; descending?: boolean; limit: number },
      ): Promise<string[][]> {
        const result: string[][] = [];
        let after: { value?: string | number | boolean | null; id: string } | undefined;
        for (let i = 0; i < 50; i++) {
          const page = await things.find(filter, { ...options, ...(after ? { after } : {}) });
          result.push(ids(page));
          const last = page.at(-1);
          if (page.length < options.limit || !last) return result;
          const value = options.sortBy ? (last.data as Record<string, unknown>)[options.sortBy] : undefined;
          after = options.sortBy
            ? { value: (value ?? null) as string | number | boolean | null, id: last.id }
            : { id: last.id };
        }
        throw new Error('paging did not end');
      }

      it('ranges on numbers: each bound, combined, and only numbers compare with a number', async () => {
        const things = await events();
        expect(ids(await things.find({ size: { gt: 5 } }))).toEqual(['d', 'e', 'f', 'g']);
        expect(ids(await things.find({ size: { gte: 5 } }))).toEqual(['a', 'd', 'e', 'f', 'g']);
        expect(ids(await things.find({ size: { lt: 2 } }))).toEqual(['h']);
        expect(ids(await things.find({ size: { lte: 2 } }))).toEqual(['b', 'c', 'h']);
        expect(ids(await things.find({ size: { gt: 1, lt: 7 } }, { sortBy: 'size' }))).toEqual([
          'b',
          'c',
          'a',
        ]);
        expect(ids(await things.find({ size: { gt: 9 } }))).toEqual([]);
        await things.put('s', { size: '7' });
        expect(ids(await things.find({ size: { gte: 7 } }))).toEqual(['d', 'e', 'f', 'g']);
        expect(ids(await things.find({ size: { gte: '' } }))).toEqual(['s']);
      });

      it('ranges on strings (by code point) and on timestamps, as ISO strings and as epoch numbers', async () => {
        const things = await events();
        const from = '2026-03-01T00:00:02.000Z';
        const until = '2026-03-01T00:00:05.000Z';
        expect(ids(await things.find({ at: { gte: from, lt: until } }))).toEqual(['c', 'd', 'e']);
        expect(
          ids(await things.find({ ms: { gte: Date.parse(from), lt: Date.parse(until) } }, { sortBy: 'ms' })),
        ).toEqual(['c', 'd', 'e']);
        expect(ids(await things.find({ at: { gt: '2026-03-01T00:00:06.000Z' } }))).toEqual(['h']);
        expect(ids(await things.find({}, { idRange: { gte: 'c', lt: 'f' } }))).toEqual(['c', 'd', 'e']);
        expect(ids(await things.find({ size: 7 }, { idRange: { gt: 'e' } }))).toEqual(['f', 'g']);
      });

      it('a range bound on an array field matches when one of its elements meets it', async () => {
        const things = await events();
        await things.put('t', { tags: [1, 10] });
        await things.put('u', { tags: [4] });
        expect(ids(await things.find({ tags: { gt: 8 } }))).toEqual(['t']);
        expect(ids(await things.find({ tags: { lt: 5 } }))).toEqual(['t', 'u']);
      });

      it('pages by (field, id) with ties broken by id, ascending and descending', async () => {
        const things = await events();
        const asc = ['h', 'b', 'c', 'a', 'e', 'f', 'g', 'd'];
        expect(ids(await things.find({}, { sortBy: 'size' }))).toEqual(asc);
        for (const limit of [1, 2, 3, 8]) {
          expect((await pages(things, {}, { sortBy: 'size', limit })).flat()).toEqual(asc);
          expect((await pages(things, {}, { sortBy: 'size', descending: true, limit })).flat()).toEqual(
            [...asc].reverse(),
          );
        }
        expect(await pages(things, {}, { sortBy: 'size', limit: 3 })).toEqual([
          ['h', 'b', 'c'],
          ['a', 'e', 'f'],
          ['g', 'd'],
        ]);
        // Inside a tie: after (7, 'e') come f and g.
        expect(
          ids(await things.find({}, { sortBy: 'size', after: { value: 7, id: 'e' }, limit: 2 })),
        ).toEqual(['f', 'g']);
        expect(
          ids(await things.find({}, { sortBy: 'size', descending: true, after: { value: 7, id: 'f' } })),
        ).toEqual(['e', 'a', 'c', 'b', 'h']);
        // By id, with filters and ranges.
        expect(await pages(things, { size: { gte: 5 } }, { limit: 2 })).toEqual([
          ['a', 'd'],
          ['e', 'f'],
          ['g'],
        ]);
        expect(await pages(things, { size: 7 }, { descending: true, limit: 2 })).toEqual([['g', 'f'], ['e']]);
      });

      it('pages across types in their sort order: missing and null, numbers, strings, booleans', async () => {
        const things = (await open()).collection<{ k?: unknown }>(uniqueName('mixed'), { indexes: ['k'] });
        await things.put('1', { k: 'b' });
        await things.put('2', { k: 10 });
        await things.put('3', { k: true });
        await things.put('4', { k: 'B' });
        await things.put('5', { k: -1.5 });
        await things.put('6', { k: 'é' });
        await things.put('7', { k: null });
        await things.put('8', {});
        const order = ['7', '8', '5', '2', '4', '1', '6', '3'];
        const collect = async (descending: boolean): Promise<string[]> => {
          const seen: string[] = [];
          let after: { value: string | number | boolean | null; id: string } | undefined;
          for (let i = 0; i < 20; i++) {
            const [doc] = await things.find(
              {},
              { sortBy: 'k', descending, limit: 1, ...(after ? { after } : {}) },
            );
            if (!doc) return seen;
            seen.push(doc.id);
            after = { value: (doc.data.k ?? null) as string | number | boolean | null, id: doc.id };
          }
          throw new Error('paging did not end');
        };
        expect(await collect(false)).toEqual(order);
        expect(await collect(true)).toEqual([...order].reverse());
      });

      it('an empty collection, a filter matching nothing and a cursor past the end give empty pages', async () => {
        const things = await events();
        const empty = (await open()).collection<Event>(uniqueName('empty'), { indexes: ['size'] });
        expect(await empty.find({}, { sortBy: 'size', after: { value: 1, id: 'a' } })).toEqual([]);
        expect(await things.find({ size: { gt: 100 } }, { sortBy: 'size' })).toEqual([]);
        expect(await things.find({}, { sortBy: 'size', after: { value: 9, id: 'd' } })).toEqual([]);
        expect(await things.find({}, { sortBy: 'size', after: { value: 1000, id: '' } })).toEqual([]);
        expect(
          await things.find({}, { sortBy: 'size', descending: true, after: { value: 1, id: 'h' } }),
        ).toEqual([]);
        expect(await things.find({}, { after: { id: 'zzz' } })).toEqual([]);
        expect(await things.find({}, { descending: true, after: { id: '' } })).toEqual([]);
      });

      it('refuses bad range operators, bounds and cursors with invalid_argument naming the field', async () => {
        const things = await events();
        const bad = async (promise: Promise<unknown>, field: string): Promise<void> => {
          expect((await rejection(promise, 'invalid_argument')).field).toBe(field);
        };
        await bad(things.find({ size: { between: 1 } as never }), 'filter.size');
        await bad(things.find({ size: { $gt: 1 } as never }), 'filter.size');
        await bad(things.find({ size: {} }), 'filter.size');
        await bad(things.find({ size: { gt: Number.NaN } }), 'filter.size');
        await bad(things.find({ size: { gt: [1] } as never }), 'filter.size');
        await bad(things.find({ size: [1, 2] as never }), 'filter.size');
        await bad(things.find({ name: { gt: 'a' } }), 'filter.name');
        await bad(things.find({}, { sortBy: 'size', after: { id: 'a' } }), 'after.value');
        await bad(things.find({}, { after: { value: 1, id: 'a' } }), 'after.value');
        await bad(things.find({}, { after: { id: 1 } as never }), 'after.id');
        await bad(things.find({}, { idRange: { gt: 1 } }), 'idRange');
        await bad(things.find({}, { idRange: { from: 'a' } as never }), 'idRange');
      });
    });

    describe('values', () => {
      it('round-trips nested objects, arrays, numbers, booleans, null and unicode', async () => {
        const things = (await open()).collection<Record<string, unknown>>(uniqueName('values'));
        const data = {
          nested: { deeper: { list: [1, 'two', { three: 3 }, [4, [5]], null, true] } },
          empty: {},
          emptyList: [],
          int: 42,
          negative: -7,
          float: 0.1 + 0.2,
          big: Number.MAX_SAFE_INTEGER,
          tiny: 5e-324,
          yes: true,
          no: false,
          nothing: null,
          text: 'héllo wörld — 日本語 — 🚀🧪 — e\u0301 — a\u0000b',
          'dotted.key': 'kept',
          'ключ 🔑': 'unicode key',
        };
        // An own "__proto__" key (as JSON.parse makes) is data like any other.
        const input = { ...data } as Record<string, unknown>;
        Object.defineProperty(input, '__proto__', {
          value: 'just data',
          enumerable: true,
          writable: true,
          configurable: true,
        });
        await things.put('v', input);
        const read = await things.get('v');
        expect(read?.data).toEqual(input);
        expect(Object.getPrototypeOf(read?.data)).toBe(Object.prototype);
        expect(Object.keys(read!.data)).toContain('__proto__');
      });

      it('drops undefined properties, as JSON does', async () => {
        const things = (await open()).collection<Record<string, unknown>>(uniqueName('values'));
        await things.put('u', { a: 1, b: undefined });
        expect((await things.get('u'))?.data).toEqual({ a: 1 });
        expect(Object.keys((await things.get('u'))!.data)).toEqual(['a']);
      });

      it('rejects Uint8Array, bigint, Date, NaN, undefined in arrays and $-keys with invalid_argument naming the path', async () => {
        const things = (await open()).collection<Record<string, unknown>>(uniqueName('values'));
        const cases: [Record<string, unknown>, string][] = [
          [{ blob: new Uint8Array([1, 2]) }, 'data.blob'],
          [{ deep: { n: 10n } }, 'data.deep.n'],
          [{ when: new Date() }, 'data.when'],
          [{ list: [1, Number.NaN] }, 'data.list[1]'],
          [{ list: [undefined] }, 'data.list[0]'],
          [{ inf: Number.POSITIVE_INFINITY }, 'data.inf'],
          [{ m: new Map() }, 'data.m'],
          [{ q: { $where: 'x' } }, 'data.q.$where'],
          [{ s: 'lone \ud800 surrogate' }, 'data.s'],
        ];
        for (const [data, field] of cases) {
          const error = await rejection(things.put('bad', data), 'invalid_argument');
          expect(error.field).toBe(field);
        }
        expect(await things.get('bad')).toBeUndefined();
      });

      it('rejects documents nested deeper than 100 levels or larger than 16 MiB with invalid_argument', async () => {
        const things = (await open()).collection<Record<string, unknown>>(uniqueName('values'));
        const deep: Record<string, unknown> = {};
        let cursor = deep;
        for (let i = 0; i < 150; i++) {
          const next: Record<string, unknown> = {};
          cursor.x = next;
          cursor = next;
        }
        await rejection(things.put('deep', deep), 'invalid_argument');
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        await rejection(things.put('cyclic', cyclic), 'invalid_argument');
        await rejection(things.put('big', { s: 'x'.repeat(17 * 1024 * 1024) }), 'invalid_argument');
        expect(await things.find({})).toEqual([]);
      });

      it('stores a copy: mutating the input or a result does not change the stored document', async () => {
        const things = (await open()).collection<{ list: number[] }>(uniqueName('values'));
        const input = { list: [1, 2] };
        const written = await things.put('c', input);
        input.list.push(3);
        written.data.list.push(4);
        const read = await things.get('c');
        read!.data.list.push(5);
        expect((await things.get('c'))?.data).toEqual({ list: [1, 2] });
      });
    });

    describe('outbox', () => {
      async function pendingOf(store: DocumentStore, collection: string) {
        return (await store.pendingOutbox({ limit: 1000 })).filter((p) => p.collection === collection);
      }

      it('a write with outbox entries makes them pending with the bytes, key, topic and headers', async () => {
        const store = await open();
        const things = store.collection<Thing>(uniqueName('things'));
        await things.put('a', { name: 'x' }, { outbox: [entry('e1', 'thing.created', 'payload €')] });
        const pending = await store.pendingOutbox();
        expect(pending).toHaveLength(1);
        expect(pending[0]).toMatchObject({ collection: things.name, docId: 'a' });
        expect(pending[0]!.entry).toMatchObject({
          id: 'e1',
          topic: 'thing.created',
          key: 'key-e1',
          headers: { ce_id: 'e1', 'content-type': 'application/json' },
        });
        expect(pending[0]!.entry.value).toBeInstanceOf(Uint8Array);
        expect(new TextDecoder().decode(pending[0]!.entry.value)).toBe('payload €');
      });

      it('a write that fails its version check leaves no outbox entry', async () => {
        const store = await open();
        const things = store.collection<Thing>(uniqueName('things'));
        await things.put('a', { name: 'x' }, { expectedVersion: 0 });
        await rejection(
          things.put('a', { name: 'y' }, { expectedVersion: 0, outbox: [entry('dup-create')] }),
          'already_exists',
        );
        await rejection(
          things.put('a', { name: 'y' }, { expectedVersion: 7, outbox: [entry('stale')] }),
          'aborted',
        );
        await rejection(
          things.put('b', { name: 'y' }, { expectedVersion: 7, outbox: [entry('missing')] }),
          'not_found',
        );
        await rejection(
          things.delete('a', { expectedVersion: 7, outbox: [entry('stale-delete')] }),
          'aborted',
        );
        await rejection(
          things.put(
            'a',
            { name: 'y' },
            { outbox: [{ ...entry('bad'), value: 'x' as unknown as Uint8Array }] },
          ),
          'invalid_argument',
        );
        await rejection(
          things.put('a', { name: 'y' }, { outbox: [entry('twice'), entry('twice')] }),
          'invalid_argument',
        );
        await rejection(
          things.put('a', { name: 'y' }, { signal: AbortSignal.abort(), outbox: [entry('cancelled')] }),
          'cancelled',
        );
        expect(await store.pendingOutbox()).toEqual([]);
        expect(await things.get('a')).toMatchObject({ version: 1, data: { name: 'x' } });
      });

      it('markRelayed removes the entries and leaves data and version intact', async () => {
        const store = await open();
        const things = store.collection<Thing>(uniqueName('things'), { indexes: ['team'] });
        await things.put('a', { name: 'x', team: 'red' }, { outbox: [entry('e1'), entry('e2')] });
        await things.put('a', { name: 'y', team: 'red' }, { expectedVersion: 1, outbox: [entry('e3')] });
        expect((await store.pendingOutbox()).map((p) => p.entry.id)).toEqual(['e1', 'e2', 'e3']);
        await store.markRelayed([
          { collection: things.name, docId: 'a', entryId: 'e1' },
          { collection: things.name, docId: 'a', entryId: 'e3' },
        ]);
        expect((await store.pendingOutbox()).map((p) => p.entry.id)).toEqual(['e2']);
        await store.markRelayed([{ collection: things.name, docId: 'a', entryId: 'e2' }]);
        expect(await store.pendingOutbox()).toEqual([]);
        expect(await things.get('a')).toEqual({ id: 'a', version: 2, data: { name: 'y', team: 'red' } });
        expect((await things.find({ team: 'red' })).map((d) => d.id)).toEqual(['a']);
        await things.put('a', { name: 'z' }, { expectedVersion: 2 });
      });

      it('markRelayed ignores entries, documents and collections that are gone', async () => {
        const store = await open();
        const things = store.collection<Thing>(uniqueName('things'));
        await things.put('a', { name: 'x' }, { outbox: [entry('e1')] });
        await store.markRelayed([
          { collection: things.name, docId: 'a', entryId: 'nope' },
          { collection: things.name, docId: 'missing', entryId: 'e1' },
          { collection: uniqueName('never'), docId: 'a', entryId: 'e1' },
        ]);
        expect((await store.pendingOutbox()).map((p) => p.entry.id)).toEqual(['e1']);
        await store.markRelayed([]);
      });

      it('lists pending entries oldest first across collections and documents, up to limit', async () => {
        const store = await open();
        const left = store.collection<Thing>(uniqueName('left'));
        const right = store.collection<Thing>(uniqueName('right'));
        await left.put('a', { name: 'x' }, { outbox: [entry('1'), entry('2')] });
        await right.put('b', { name: 'x' }, { outbox: [entry('3')] });
        await left.put('c', { name: 'x' }, { outbox: [entry('4')] });
        await right.put('b', { name: 'y' }, { outbox: [entry('5')] });
        const all = await store.pendingOutbox();
        expect(all.map((p) => p.entry.id)).toEqual(['1', '2', '3', '4', '5']);
        expect(all.map((p) => `${p.collection === left.name ? 'L' : 'R'}/${p.docId}`)).toEqual([
          'L/a',
          'L/a',
          'R/b',
          'L/c',
          'R/b',
        ]);
        expect((await store.pendingOutbox({ limit: 2 })).map((p) => p.entry.id)).toEqual(['1', '2']);
        expect(await pendingOf(store, left.name)).toHaveLength(3);
      });

      it('a delete keeps pending entries (its own and older ones) until relayed, invisibly', async () => {
        const store = await open();
        const things = store.collection<Thing>(uniqueName('things'), { indexes: ['team'] });
        await things.put('a', { name: 'x', team: 'red' }, { outbox: [entry('created')] });
        expect(await things.delete('a', { expectedVersion: 1, outbox: [entry('deleted')] })).toBe(true);
        expect(await things.get('a')).toBeUndefined();
        expect(await things.find({ team: 'red' })).toEqual([]);
        expect(await things.delete('a')).toBe(false);
        expect((await store.pendingOutbox()).map((p) => p.entry.id)).toEqual(['created', 'deleted']);
        await store.markRelayed([
          { collection: things.name, docId: 'a', entryId: 'created' },
          { collection: things.name, docId: 'a', entryId: 'deleted' },
        ]);
        expect(await store.pendingOutbox()).toEqual([]);
        expect(await things.get('a')).toBeUndefined();
        expect(await things.put('a', { name: 'new' }, { expectedVersion: 0 })).toMatchObject({ version: 1 });
      });

      it('a plain delete of a document with pending entries keeps them', async () => {
        const store = await open();
        const things = store.collection<Thing>(uniqueName('things'));
        await things.put('a', { name: 'x' }, { outbox: [entry('e1')] });
        expect(await things.delete('a')).toBe(true);
        expect(await things.get('a')).toBeUndefined();
        expect((await store.pendingOutbox()).map((p) => p.entry.id)).toEqual(['e1']);
      });

      it('re-creating a deleted document with pending entries starts at version 1 and keeps them', async () => {
        const store = await open();
        const things = store.collection<Thing>(uniqueName('things'));
        await things.put('a', { name: 'x' }, { outbox: [entry('e1')] });
        await things.delete('a', { outbox: [entry('e2')] });
        expect(
          await things.put('a', { name: 'again' }, { expectedVersion: 0, outbox: [entry('e3')] }),
        ).toMatchObject({
          version: 1,
        });
        await things.delete('a');
        expect(await things.put('a', { name: 'third' })).toMatchObject({ version: 1 });
        expect(await things.get('a')).toEqual({ id: 'a', version: 1, data: { name: 'third' } });
        expect((await store.pendingOutbox()).map((p) => p.entry.id)).toEqual(['e1', 'e2', 'e3']);
      });

      it('onOutboxWrite tells listeners about writes that added entries, until unsubscribed', async () => {
        const store = await open();
        const things = store.collection<Thing>(uniqueName('things'));
        let calls = 0;
        const unsubscribe = store.onOutboxWrite(() => {
          calls += 1;
        });
        await things.put('a', { name: 'x' });
        expect(calls).toBe(0);
        await things.put('a', { name: 'y' }, { outbox: [entry('e1')] });
        expect(calls).toBe(1);
        unsubscribe();
        await things.put('a', { name: 'z' }, { outbox: [entry('e2')] });
        expect(calls).toBe(1);
      });
    });
  });
}
