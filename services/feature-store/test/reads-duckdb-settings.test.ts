import { describe, expect, it } from 'vitest';
import { loadFeatureStoreConfig } from '../src/index.ts';

describe('the DuckDB offline store settings', () => {
  it('default to one thread per core and a 512MB memory limit', () => {
    const config = loadFeatureStoreConfig({});
    expect(config.duckdbThreads).toBe(0);
    expect(config.duckdbMemoryLimit).toBe('512MB');
  });

  it('are read from FLYWHEEL_FEATURE_STORE_DUCKDB_THREADS and _MEMORY_LIMIT', () => {
    const config = loadFeatureStoreConfig({
      FLYWHEEL_FEATURE_STORE_DUCKDB_THREADS: '2',
      FLYWHEEL_FEATURE_STORE_DUCKDB_MEMORY_LIMIT: '2GiB',
    });
    expect(config.duckdbThreads).toBe(2);
    expect(config.duckdbMemoryLimit).toBe('2GiB');
  });

  it('refuse a memory limit that is not a size, naming the variable', () => {
    expect(() => loadFeatureStoreConfig({ FLYWHEEL_FEATURE_STORE_DUCKDB_MEMORY_LIMIT: 'lots' })).toThrow(
      /FLYWHEEL_FEATURE_STORE_DUCKDB_MEMORY_LIMIT/,
    );
  });
});
