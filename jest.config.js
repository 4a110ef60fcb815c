// jest runs TypeScript as ESM (the Kubernetes client is ESM-only): ts-jest with
// useESM, under `node --experimental-vm-modules` (see package.json scripts).
/** @type {import('ts-jest').TsJestTransformerOptions} */
const tsJest = { useESM: true, tsconfig: 'tsconfig.test.json' };

/** @type {import('jest').Config['projects'][number]} */
const common = {
  testEnvironment: 'node',
  // Only these are scanned: .cache holds etcd's data, whose .snap files jest would take for its own.
  roots: ['<rootDir>/src', '<rootDir>/test'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', tsJest] },
  moduleFileExtensions: ['ts', 'js', 'json'],
};

/** @type {import('jest').Config} */
export default {
  // Integration test files share one control plane and each runs its own operator:
  // two operators on one cluster would fight, so files run one at a time.
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/integration/global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/integration/setup.ts'],
    },
  ],
};
