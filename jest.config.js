/** Jest with @swc/jest: TypeScript 7 has no compiler API, so ts-jest cannot run; type-checking is `tsc --noEmit`. */
module.exports = {
  // Jest's node environment, with the AsyncLocalStorage instances of each file disabled when it ends (see the file).
  testEnvironment: '<rootDir>/test/support/node-environment.js',
  roots: ['<rootDir>/test', '<rootDir>/lambda'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] },
  snapshotSerializers: ['<rootDir>/test/support/asset-hash-serializer.js'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testSequencer: '<rootDir>/test/support/test-sequencer.js',
  setupFiles: ['<rootDir>/test/support/aws-env.js'],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  // Most suites wait on local servers rather than compute: three workers on two cores measured 59 s against 71 s
  // with jest's default of one worker per core minus one.
  maxWorkers: 3,
  testTimeout: 30000,
};
