// Jest's node environment, plus two fixes of costs a worker pays again for each test file it runs: every
// AsyncLocalStorage a test file ran in is disabled when the file ends, and module compiles use V8's code cache.
//
// AsyncLocalStorage: jest-circus makes an AsyncLocalStorage per test file (its test execution context) and our handlers make some
// (lambda/payments/provider.ts); none is ever disabled, and an enabled one stays in Node's list for the life of the
// worker. Node calls every enabled one on each async resource it creates (each promise), so a worker's 20th file
// ran its awaits ~5x slower than its first (200,000 awaits: 205 ms in a fresh worker, 1,115 ms after 20 trivial
// files). Disabled, the list is empty between files and Node turns its hook off.
const { AsyncLocalStorage } = require('node:async_hooks');
const { createHash } = require('node:crypto');
const vm = require('node:vm');
const { TestEnvironment } = require('jest-environment-node');

// Compiles: jest compiles every module again for each test file (vm.compileFunction in the file's context): a worker compiles
// aws-cdk-lib, the AWS SDK and zod ~20 times. From a module's second compile in this worker on, V8's code cache of it
// lets the compile skip parsing: compile time of 13 CDK test files in one worker 2.3 -> 1.4 s. Keyed by file name
// and a hash of the code, so changed code compiles afresh; V8 checks the data itself and compiles normally when it
// rejects it.
const codeCache = new Map();
if (!vm.compileFunction.usesCodeCache) {
  const compileFunction = vm.compileFunction;
  vm.compileFunction = function compileFunctionWithCodeCache(code, params, options = {}) {
    if (options.cachedData || options.produceCachedData) return compileFunction(code, params, options);
    const key = `${options.filename}:${createHash('sha1').update(code).digest('base64')}`;
    const cachedData = codeCache.get(key);
    if (cachedData === undefined) {
      // First sight: compile as jest would (making the data costs more than one compile; many modules are loaded once).
      codeCache.set(key, null);
      return compileFunction(code, params, options);
    }
    const fn = compileFunction(code, params, cachedData ? { ...options, cachedData } : { ...options, produceCachedData: true });
    if (cachedData && fn.cachedDataRejected) codeCache.delete(key);
    else if (!cachedData && fn.cachedData) codeCache.set(key, fn.cachedData);
    return fn;
  };
  vm.compileFunction.usesCodeCache = true;
}

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
