/**
 * Housekeeping shared by the caches under .build/ (Lambda bundles, template check results): each use refreshes an
 * entry's time, and the first write of a process removes the entries of its folder nobody used for two weeks, so a
 * working copy that synthesizes every day keeps what it uses and the folders stop growing with every changed input.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

/** An entry not used for this long is removed. */
export const UNUSED_FOR_MS = 14 * 24 * 3600 * 1000;

/** Marks files or folders as used now (a cache entry that is read, not only written, stays). */
export function markUsed(...paths: string[]): void {
  const now = new Date();
  for (const path of paths) {
    try {
      utimesSync(path, now, now);
    } catch {
      // gone meanwhile: the next use rebuilds it
    }
  }
}

const pruned = new Set<string>();

/** Removes, once per process and folder, the entries of `dir` unused for UNUSED_FOR_MS (files and folders alike). */
export function pruneUnusedOnce(dir: string): void {
  if (pruned.has(dir)) return;
  pruned.add(dir);
  const oldest = Date.now() - UNUSED_FOR_MS;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry);
    try {
      if (statSync(path).mtimeMs < oldest) rmSync(path, { recursive: true, force: true });
    } catch {
      // removed meanwhile by another process
    }
  }
}

const fileHashes = new Map<string, string>();

/**
 * sha256 (hex) of a file's bytes, once per process: the caches key by the content of inputs many entries share
 * (rule files, the SDK and zod sources, the lockfile).
 */
export function fileContentHash(path: string): string {
  let hash = fileHashes.get(path);
  if (hash === undefined) fileHashes.set(path, (hash = createHash('sha256').update(readFileSync(path)).digest('hex')));
  return hash;
}
