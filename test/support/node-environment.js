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
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const vm = require('node:vm');
const { TestEnvironment } = require('jest-environment-node');

// Compiles: jest compiles every module again for each test file (vm.compileFunction in the file's context), and
// each of the 3 workers of each run compiles aws-cdk-lib, the AWS SDK and zod afresh. V8's code cache of a module
// lets a compile skip parsing (aws-ec2's vpc.js: 1.7 -> 0.2 ms; a worker's first CDK test file: 487 -> 41 ms of compiles); it is kept in memory for the worker and on disk
// (CODE_CACHE_DIR) for the other workers and later runs, keyed by Node's version, the file name and a hash of the
// code, so changed code compiles afresh. V8 checks the data itself and compiles normally when it rejects it.
const CODE_CACHE_DIR = join(__dirname, '..', '..', '.build', 'jest-code-cache'); // emptied when large (global-setup.ts)
const codeCache = new Map();

function cachedDataOf(file) {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

function keep(file, data) {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, data);
    renameSync(partial, file); // whole or not at all for a worker reading it at the same time
  } catch {
    // A cache that cannot be written only costs the next compile its parse.
  }
}

if (!vm.compileFunction.usesCodeCache) {
  const compileFunction = vm.compileFunction;
  vm.compileFunction = function compileFunctionWithCodeCache(code, params, options = {}) {
    if (options.cachedData || options.produceCachedData) return compileFunction(code, params, options);
    const key = createHash('sha1').update(`${process.version}\0${options.filename}\0`).update(code).digest('hex');
    const file = join(CODE_CACHE_DIR, key.slice(0, 2), key);
    const cachedData = codeCache.get(key) ?? cachedDataOf(file);
    if (cachedData) {
      const fn = compileFunction(code, params, { ...options, cachedData });
      if (!fn.cachedDataRejected) {
        codeCache.set(key, cachedData);
        return fn;
      }
      codeCache.delete(key);
    }
    const fn = compileFunction(code, params, { ...options, produceCachedData: true });
    if (fn.cachedData) {
      codeCache.set(key, fn.cachedData);
      keep(file, fn.cachedData);
    }
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
