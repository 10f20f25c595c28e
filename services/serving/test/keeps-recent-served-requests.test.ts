import { RouteRole } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { describe, expect, it } from 'vitest';
import { createServedRequests, type ServedRequestEntry } from '../src/observability/served-requests.ts';

function entry(requestId: string, rows: number, traceId = ''): ServedRequestEntry {
  const column = new Float32Array(Array.from({ length: rows }, (_, i) => i + 0.5));
  return {
    sample: {
      deploymentName: 'd',
      modelName: 'm',
      team: 't',
      modelVersion: 2,
      requestId,
      timeMs: 1_700_000_000_000,
      latencyNs: 1_500_000n,
      inputs: new Map([['x', { datatype: 'FP32', shape: [rows, 1], data: column }]]),
      outputs: new Map([['y', { datatype: 'FP32', shape: [rows, 1], data: column }]]),
      rows,
    },
    traceId,
    route: 'canary',
    mirroredTo: [],
    stableVersion: 1,
  };
}

describe('served requests', () => {
  it('forgets the oldest requests once more rows than its capacity are held, from both indexes', () => {
    const served = createServedRequests({ capacityRows: 5 });
    served.record(entry('a', 2, 'trace-1'));
    served.record(entry('b', 2, 'trace-1'));
    served.record(entry('c', 2, 'trace-2'));
    expect(served.byRequestId('a')).toEqual([]);
    expect(served.byTraceId('trace-1').map((r) => r.requestId)).toEqual(['b']);
    expect(() => served.find({ case: 'requestId', value: 'a' })).toThrow(/request "a" was not served/);
    const [c] = served.find({ case: 'requestId', value: 'c' });
    expect(c).toMatchObject({
      modelVersion: 2n,
      route: RouteRole.CANARY,
      stableVersion: 1n,
      traceId: 'trace-2',
    });
    expect(c?.rows.map((row) => row.inputs.x?.kind.value)).toEqual([0.5, 1.5]);
    expect(c?.latency).toMatchObject({ seconds: 0n, nanos: 1_500_000 });
  });

  it('keeps a request larger than its capacity until the next one, and answers a reused id newest first', () => {
    const served = createServedRequests({ capacityRows: 3 });
    served.record(entry('big', 10));
    expect(served.byRequestId('big')).toHaveLength(1);
    served.record(entry('same', 1));
    served.record({ ...entry('same', 1), stableVersion: 7 });
    expect(served.byRequestId('big')).toEqual([]);
    expect(served.byRequestId('same').map((r) => r.stableVersion)).toEqual([7n, 1n]);
  });

  it('refuses an empty key naming the field', () => {
    const served = createServedRequests({ capacityRows: 3 });
    expect(() => served.find({ case: undefined })).toThrow(/^request_id: is required/);
    expect(() => served.find({ case: 'traceId', value: '' })).toThrow(/^trace_id: is required/);
  });
});
