// Jest's node environment, plus: every AsyncLocalStorage a test file ran in is disabled when the file ends.
//
// Why: jest-circus makes an AsyncLocalStorage per test file (its test execution context) and our handlers make some
// (lambda/payments/provider.ts); none is ever disabled, and an enabled one stays in Node's list for the life of the
// worker. Node calls every enabled one on each async resource it creates (each promise), so a worker's 20th file
// ran its awaits ~5x slower than its first (200,000 awaits: 205 ms in a fresh worker, 1,115 ms after 20 trivial
// files). Disabled, the list is empty between files and Node turns its hook off.
const { AsyncLocalStorage } = require('node:async_hooks');
const { TestEnvironment } = require('jest-environment-node');

class NodeEnvironment extends TestEnvironment {
  stores = new Set();

  async setup() {
    await super.setup();
    const stores = this.stores;
    const { run, enterWith } = AsyncLocalStorage.prototype;
    this.restoreStorage = () => Object.assign(AsyncLocalStorage.prototype, { run, enterWith });
    AsyncLocalStorage.prototype.run = function (...args) {
      stores.add(this);
      return run.apply(this, args);
    };
    AsyncLocalStorage.prototype.enterWith = function (...args) {
      stores.add(this);
      return enterWith.apply(this, args);
    };
  }

  async teardown() {
    this.restoreStorage?.();
    for (const store of this.stores) store.disable();
    this.stores.clear();
    await super.teardown();
  }
}

module.exports = NodeEnvironment;
