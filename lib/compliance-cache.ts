/**
 * Results of the compliance gate's template checks (cfn-guard, CDK's WASM template validation), kept by content in
 * .build/validation-cache: a check whose inputs are byte-identical to an earlier run's (the template's text, the
 * rule files' text, the tool's version and options) answers what that run answered instead of running again. Both
 * tools are deterministic functions of those inputs, so nothing is skipped: a changed template, rule or tool version
 * is a new key and runs. Measured on this app (2-core host): cfn-guard ~14 s and the WASM validation ~7 s of CPU per
 * all-environment synth, for inputs that mostly do not change between two synths.
 *
 * Only results of checks that completed are kept (a crash or a timeout is run again). CONNECT_VALIDATION_CACHE=off
 * turns the cache off (reads and writes), e.g. to measure what a fresh clone pays.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { markUsed, pruneUnusedOnce } from './build-cache';

export const VALIDATION_CACHE_DIR = resolve(__dirname, '..', '.build', 'validation-cache');

export function validationCacheEnabled(): boolean {
  return process.env.CONNECT_VALIDATION_CACHE !== 'off';
}

/** sha256 of the parts, each length-prefixed so that no two lists of parts give the same text. */
export function contentKey(parts: ReadonlyArray<string | Buffer>): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(`${Buffer.byteLength(part)}:`);
    hash.update(part);
  }
  return hash.digest('hex');
}

/** The value stored under `kind`/`key`, or undefined (none, unreadable, or the cache is off). */
export function readCached<T>(kind: string, key: string): T | undefined {
  if (!validationCacheEnabled()) return undefined;
  const file = join(VALIDATION_CACHE_DIR, kind, `${key}.json`);
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as T;
    markUsed(file); // kept while synths use it (lib/build-cache.ts)
    return value;
  } catch {
    return undefined;
  }
}

/** Whether any value of `kind` is stored (none: a fresh clone, or the cache is off). */
export function hasCached(kind: string): boolean {
  if (!validationCacheEnabled()) return false;
  try {
    return readdirSync(join(VALIDATION_CACHE_DIR, kind)).some((file) => file.endsWith('.json'));
  } catch {
    return false;
  }
}

/** Stores a value (written whole, then renamed: a reader never sees half an entry). */
export function writeCached(kind: string, key: string, value: unknown): void {
  if (!validationCacheEnabled()) return;
  const dir = join(VALIDATION_CACHE_DIR, kind);
  try {
    mkdirSync(dir, { recursive: true });
    pruneUnusedOnce(dir);
    const temp = join(dir, `.${key}.${process.pid}.tmp`);
    writeFileSync(temp, JSON.stringify(value));
    renameSync(temp, join(dir, `${key}.json`));
  } catch {
    // A cache that cannot be written costs the next synth time, not this one its result.
  }
}
