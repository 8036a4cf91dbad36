// ESM throughout: @kubernetes/client-node 1.x is ESM-only, so jest runs with --experimental-vm-modules.
const esm = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
};

export default {
  // Integration tests talk to a real apiserver and AlertManager: seconds, not milliseconds.
  testTimeout: 120000,
  projects: [
    { ...esm, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...esm,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/bed/jestGlobalSetup.ts',
      globalTeardown: '<rootDir>/test/bed/jestGlobalTeardown.ts',
    },
  ],
};
