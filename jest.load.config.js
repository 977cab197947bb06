/**
 * `npm run test:load`: the load tests (`*.load.ts`, full size), kept out of `npm test` so the main suite stays fast
 * while covering each behaviour once; CI runs both (.ci/run). One at a time, with no synthesis beside them: a load
 * test measures the handler, not the machine's other work.
 */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  testMatch: ['**/*.load.ts'],
  globalSetup: undefined,
  globalTeardown: undefined,
  maxWorkers: 1,
  testTimeout: 120000,
};
