// Issue 11: a big historical answer, read by a Python grpcio client. The unary GetHistoricalFeatures
// refuses it (RESOURCE_EXHAUSTED naming StreamHistoricalFeatures); StreamHistoricalFeatures sends
// the same rows in messages each under the (here lowered) gRPC message limit.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { type SpawnedService, spawnService } from '@flywheel/runtime/testing';
import { repoRoot } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const limit = 64 * 1024;
const notes = 2000;

interface Outcome {
  unary: { code: string; details?: string; rows?: number };
  stream: {
    columns: string[];
    messages: number;
    largest: number;
    rows: number;
    first: Record<string, unknown>[];
    last: Record<string, unknown>[];
  };
}

describe('a Python grpcio client reading a big historical answer', () => {
  let fs: SpawnedService;
  beforeAll(async () => {
    fs = await spawnService('feature-store', { FLYWHEEL_MAX_MESSAGE_BYTES: String(limit) });
    const client = createRpcClient(FeatureStoreService, { address: fs.address });
    const view = (name: string, feature: string, valueType: ValueType) => ({
      featureView: {
        name,
        entity: { name: 'note', joinKeys: [{ name: 'note_id', valueType: ValueType.STRING }] },
        features: [{ name: feature, valueType }],
        online: true,
      },
    });
    await client.applyFeatureView(view('notes', 'body', ValueType.STRING));
    await client.applyFeatureView(view('ticks', 'n', ValueType.INT64));
    const at = timestampFromMs(Date.parse('2024-05-01T00:00:00Z'));
    const key = (i: number) => ({
      joinKeys: {
        note_id: { kind: { case: 'stringValue' as const, value: `n${String(i).padStart(4, '0')}` } },
      },
    });
    // In requests under the limit: 2000 notes of 100 bytes, then a tick per note.
    for (let start = 0; start < notes; start += 200) {
      const ids = Array.from({ length: 200 }, (_, i) => start + i);
      await client.ingest({
        featureViewName: 'notes',
        rows: ids.map((i) => ({
          entityKey: key(i),
          eventTime: at,
          values: { body: { kind: { case: 'stringValue', value: `${i}:`.padEnd(100, 'x') } } },
        })),
      });
      await client.ingest({
        featureViewName: 'ticks',
        rows: ids.map((i) => ({
          entityKey: key(i),
          eventTime: at,
          values: { n: { kind: { case: 'int64Value', value: BigInt(i) } } },
        })),
      });
    }
    client.close();
  }, 120_000);
  afterAll(async () => {
    await fs?.stop();
  });

  it('gets RESOURCE_EXHAUSTED naming the stream from the unary call, and every row from the stream', async () => {
    const python = process.env.FLYWHEEL_PYTHON ?? 'python3';
    const request = {
      features: ['notes:body'],
      entityDataframe: { viewHistory: { featureViewName: 'ticks' } },
    };
    const { stdout } = await run(
      python,
      ['test/python/stream_historical_features.py', fs.address, JSON.stringify(request)],
      { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 },
    );
    const outcome = JSON.parse(stdout) as Outcome;
    expect(outcome.unary.code).toBe('RESOURCE_EXHAUSTED');
    expect(outcome.unary.details).toMatch(
      new RegExp(`^entity_dataframe: .*over the ${limit}-byte message limit.*StreamHistoricalFeatures`),
    );
    const { stream } = outcome;
    expect(stream.columns).toEqual(['note_id', 'event_time', 'ticks:n', 'notes:body']);
    expect(stream.rows).toBe(notes);
    expect(stream.messages).toBeGreaterThan(3);
    expect(stream.largest).toBeLessThanOrEqual(limit);
    // Rows in the frame's order (time, then entity): n0000 first, n1999 last, each with its note.
    expect(stream.first).toEqual([
      { stringValue: 'n0000' },
      { timestampValue: '2024-05-01T00:00:00Z' },
      { int64Value: '0' },
      { stringValue: '0:'.padEnd(100, 'x') },
    ]);
    expect(stream.last?.[0]).toEqual({ stringValue: 'n1999' });
    expect(stream.last?.[3]).toEqual({ stringValue: '1999:'.padEnd(100, 'x') });
  });
});
