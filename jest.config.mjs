/**
 * Two tiers, chosen by where a test file lives (CONTRIBUTING.md, "Running things"):
 *
 * - `unit`: every `test/unit/**` file. Pure logic, and the use cases against the in-memory
 *   adapters: no DynamoDB Local, no Java, no server. `npm run test:unit` runs this tier alone.
 * - `full`: every other `test/**` file. Its global setup starts one DynamoDB Local for the
 *   run (a project's global setup runs only when one of its files does).
 *
 * `npm test` runs both; `npm test -- --coverage` adds the coverage gate (`.ci/run` runs it so).
 */
const shared = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts', '.mts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^(\\.{1,2}/(?:.*/)?)(api-gateway|sqs|jwt-verifier|credential-chain)\\.mjs$': '$1$2.mts',
  },
  transform: {
    '^.+\\.m?ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' } }],
  },
};

/** @type {import('jest').Config} */
export default {
  projects: [
    { ...shared, displayName: 'unit', roots: ['<rootDir>/test/unit'] },
    {
      ...shared,
      displayName: 'full',
      roots: ['<rootDir>/test'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/unit/'],
      globalSetup: '<rootDir>/test/support/global-setup.mts',
      globalTeardown: '<rootDir>/test/support/global-teardown.mts',
    },
  ],
  testSequencer: '<rootDir>/test/support/sequencer.mjs',
  testTimeout: 120000,
  maxWorkers: 3,
  coverageProvider: 'v8',
  collectCoverageFrom: ['shared/**/*.ts', 'shared/**/*.mts', 'functions/**/*.ts', 'infra/**/*.ts'],
  coverageReporters: ['text-summary'],
  coverageThreshold: { global: { lines: 95, branches: 88 } },
};
