import { defineConfig } from 'vitest/config';

// One run covers unit tests colocated in libs, each service's behaviour tests, and the
// cross-service / cross-language tests in test/. Real servers come from FLYWHEEL_* env vars
// exported by `./flywheel test` (scripts/servers/servers.sh).
export default defineConfig({
  test: {
    include: [
      'libs/*/src/**/*.test.ts',
      'libs/*/test/**/*.test.ts',
      'cli/src/**/*.test.ts',
      'cli/test/**/*.test.ts',
      'services/*/test/**/*.test.ts',
      'test/**/*.test.ts',
      'scripts/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The JSON report feeds the plain `N passed, N failed` line `./flywheel test` prints last.
    reporters: ['default', ['json', { outputFile: '.run/vitest-report.json' }]],
  },
});
