import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { repoRoot } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FeatureStoreHarness, startFeatureStore } from './feature-store-harness.ts';

const run = promisify(execFile);

interface Outcome {
  code: string;
  response?: Record<string, unknown>;
  details?: string;
}

/** Runs test/python/grpc_reflection_calls.py (grpcio + reflection, from PyPI) against the store. */
async function python(address: string, calls: { method: string; request: object }[]): Promise<Outcome[]> {
  const { stdout } = await run(
    process.env.FLYWHEEL_PYTHON ?? 'python3',
    ['test/python/grpc_reflection_calls.py', address, FeatureStoreService.typeName, JSON.stringify(calls)],
    { cwd: repoRoot, timeout: 60_000 },
  );
  return JSON.parse(stdout) as Outcome[];
}

describe('on-demand features and feature services from a Python grpcio client', () => {
  let fs: FeatureStoreHarness;
  beforeAll(async () => {
    fs = await startFeatureStore();
  });
  afterAll(async () => {
    await fs?.stop();
  });

  it('declares, versions and reads them with proto JSON built from reflection', async () => {
    const eventTime = new Date(Date.now() - 3_600_000).toISOString();
    const [view, ingest, odfv, bad, service, online, missing, historical] = await python(fs.service.address, [
      {
        method: 'ApplyFeatureView',
        request: {
          featureView: {
            name: 'trips',
            online: true,
            entity: { name: 'rider', joinKeys: [{ name: 'rider_id', valueType: 'VALUE_TYPE_STRING' }] },
            features: [
              { name: 'distance_km', valueType: 'VALUE_TYPE_DOUBLE' },
              { name: 'duration_min', valueType: 'VALUE_TYPE_DOUBLE' },
            ],
          },
        },
      },
      {
        method: 'Ingest',
        request: {
          featureViewName: 'trips',
          rows: [
            {
              entityKey: { joinKeys: { rider_id: { stringValue: 'r1' } } },
              eventTime,
              values: { distance_km: { doubleValue: 12.5 }, duration_min: { doubleValue: 20 } },
            },
          ],
        },
      },
      {
        method: 'ApplyOnDemandFeatureView',
        request: {
          onDemandFeatureView: {
            name: 'trip_derived',
            requestSchema: [{ name: 'tip_pct', valueType: 'VALUE_TYPE_DOUBLE' }],
            features: [
              {
                name: 'speed_kmh',
                valueType: 'VALUE_TYPE_DOUBLE',
                expression: 'trips.distance_km / (trips.duration_min / 60.0)',
              },
              {
                name: 'tip',
                valueType: 'VALUE_TYPE_DOUBLE',
                expression: 'trips.distance_km * request.tip_pct / 100.0',
              },
            ],
          },
        },
      },
      {
        method: 'ApplyOnDemandFeatureView',
        request: {
          onDemandFeatureView: {
            name: 'bad',
            features: [{ name: 'x', valueType: 'VALUE_TYPE_DOUBLE', expression: 'trips.distance_km * 2' }],
          },
        },
      },
      {
        method: 'CreateFeatureService',
        request: { featureService: { name: 'eta_model', features: ['trip_derived:*', 'trips:distance_km'] } },
      },
      {
        method: 'GetOnlineFeatures',
        request: {
          featureService: { name: 'eta_model' },
          entityKeys: [{ joinKeys: { rider_id: { stringValue: 'r1' } } }],
          requestData: [{ values: { tip_pct: { doubleValue: 10 } } }],
        },
      },
      {
        method: 'GetOnlineFeatures',
        request: {
          featureService: { name: 'eta_model' },
          entityKeys: [{ joinKeys: { rider_id: { stringValue: 'r1' } } }],
        },
      },
      {
        method: 'GetHistoricalFeatures',
        request: {
          featureService: { name: 'eta_model', version: '1' },
          entityDataframe: {
            rows: {
              rows: [
                {
                  entityKey: { joinKeys: { rider_id: { stringValue: 'r1' } } },
                  eventTime: new Date().toISOString(),
                  columns: { tip_pct: { doubleValue: 10 } },
                },
              ],
            },
          },
        },
      },
    ]);
    expect([view?.code, ingest?.code, odfv?.code]).toEqual(['OK', 'OK', 'OK']);
    expect(bad).toEqual({
      code: 'INVALID_ARGUMENT',
      details:
        'on_demand_feature_view.features[0].expression: at column 19: double * int is not defined: write 2.0 or double(x)',
    });
    expect(service?.response).toMatchObject({ created: true, featureService: { version: '1' } });
    expect(online?.response).toMatchObject({
      featureNames: ['trip_derived:speed_kmh', 'trip_derived:tip', 'trips:distance_km'],
      results: [{ values: [{ doubleValue: 37.5 }, { doubleValue: 1.25 }, { doubleValue: 12.5 }] }],
    });
    expect(missing).toEqual({
      code: 'INVALID_ARGUMENT',
      details:
        'request_data[0].values.tip_pct: is required: on-demand feature view trip_derived reads request.tip_pct',
    });
    expect(historical).toBeDefined();
    const rows = (historical as unknown as { response: { rows: { values: unknown[] }[] } }).response.rows;
    expect(rows[0]!.values.slice(3)).toEqual([
      { doubleValue: 37.5 },
      { doubleValue: 1.25 },
      { doubleValue: 12.5 },
    ]);
  });
});
