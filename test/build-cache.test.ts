import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markUsed, pruneUnusedOnce, UNUSED_FOR_MS } from '../lib/build-cache';

test('a cache folder keeps what was used within two weeks and loses the rest, files and folders alike', () => {
  const dir = mkdtempSync(join(tmpdir(), 'connect-build-cache-'));
  try {
    const old = new Date(Date.now() - UNUSED_FOR_MS - 60_000);
    const paths = { oldFile: join(dir, 'old.json'), oldFolder: join(dir, 'old-bundle'), usedAgain: join(dir, 'used-again.json'), fresh: join(dir, 'fresh.json') };
    writeFileSync(paths.oldFile, '{}');
    mkdirSync(paths.oldFolder);
    writeFileSync(join(paths.oldFolder, 'index.js'), '');
    writeFileSync(paths.usedAgain, '{}');
    writeFileSync(paths.fresh, '{}');
    for (const path of [paths.oldFile, paths.oldFolder, paths.usedAgain]) utimesSync(path, old, old);
    markUsed(paths.usedAgain, join(dir, 'never-existed'));

    pruneUnusedOnce(dir);
    expect(Object.fromEntries(Object.entries(paths).map(([name, path]) => [name, existsSync(path)]))).toEqual({ oldFile: false, oldFolder: false, usedAgain: true, fresh: true });

    // Once per process and folder: an entry that ages later is left to the next process.
    writeFileSync(paths.oldFile, '{}');
    utimesSync(paths.oldFile, old, old);
    pruneUnusedOnce(dir);
    expect(existsSync(paths.oldFile)).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
