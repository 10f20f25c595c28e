import { join } from 'node:path';
import { ConfigReader } from '@flywheel/core';
import { describe, expect, it } from 'vitest';
import { readInfraConfig } from './infra.ts';

describe('readInfraConfig', () => {
  it('defaults to the embedded adapters, the store in a directory of the service', () => {
    const reader = new ConfigReader({});
    expect(readInfraConfig(reader, 'registry')).toEqual({
      bus: { kind: 'memory', retryBudgetMs: 15 * 60_000 },
      store: { kind: 'embedded', dir: join('.flywheel', 'data', 'registry'), fsync: true, timeoutMs: 5000 },
      blobs: { kind: 'fs', dir: expect.any(String) },
    });
    expect(() => reader.done()).not.toThrow();
  });

  it('reads the distributed adapters, one Mongo database per service', () => {
    const reader = new ConfigReader({
      FLYWHEEL_BUS: 'kafka',
      FLYWHEEL_KAFKA_BROKERS: 'k1:9092,k2:9092',
      FLYWHEEL_STORE: 'mongo',
      FLYWHEEL_MONGO_URL: 'mongodb://m:27017',
      FLYWHEEL_BLOBS: 's3',
      FLYWHEEL_S3_ENDPOINT: 'http://s3:9000',
      FLYWHEEL_S3_ACCESS_KEY: 'a',
      FLYWHEEL_S3_SECRET_KEY: 's',
    });
    const config = readInfraConfig(reader, 'monitoring');
    expect(config.bus).toEqual({
      kind: 'kafka',
      brokers: ['k1:9092', 'k2:9092'],
      numPartitions: 3,
      retryBudgetMs: 15 * 60_000,
      sessionTimeoutMs: 10_000,
      security: {},
    });
    expect(config.store).toMatchObject({
      kind: 'mongo',
      url: 'mongodb://m:27017',
      database: 'flywheel-monitoring',
    });
    expect(config.blobs).toMatchObject({ kind: 's3', endpoint: 'http://s3:9000' });
    expect(() => reader.done()).not.toThrow();
  });

  it('collects the problems of all three ports on the one reader', () => {
    const reader = new ConfigReader({ FLYWHEEL_BUS: 'kafka', FLYWHEEL_STORE: 'mongo', FLYWHEEL_BLOBS: 's3' });
    readInfraConfig(reader, 'registry');
    let message = '';
    try {
      reader.done();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('FLYWHEEL_KAFKA_BROKERS is required');
    expect(message).toContain('FLYWHEEL_MONGO_URL is required');
    expect(message).toContain('FLYWHEEL_S3_ENDPOINT is required');
  });
});
