import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_ASSEMBLIES_DIR, TEST_ASSEMBLY_ENV } from './assembly';

/**
 * Starts the synthesis of every shipped environment (compliance gate on) in a child process and returns at
 * once: handler tests run meanwhile, and the CDK tests wait for the assembly (test/support/assembly.ts). A
 * compliance finding fails every CDK test with the gate's report. Each run gets its own folder, named to the
 * workers through the environment, so runs in parallel never read each other's assembly.
 */
export default function globalSetup(): void {
  emptyCodeCacheWhenLarge();
  mkdirSync(TEST_ASSEMBLIES_DIR, { recursive: true });
  const outdir = mkdtempSync(join(TEST_ASSEMBLIES_DIR, 'run-'));
  process.env[TEST_ASSEMBLY_ENV] = outdir;
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'synth-assembly.ts'), outdir], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  // For the teardown (jest loads setup and teardown in one process, not one module registry).
  (globalThis as { connectSynth?: ChildProcess }).connectSynth = child;
}

/** node-environment.js's CODE_CACHE_DIR (not required here: it patches vm for the workers). */
const CODE_CACHE_DIR = join(__dirname, '..', '..', '.build', 'jest-code-cache');

/**
 * The workers' compile cache (node-environment.js) gains an entry per changed module and never drops one: past
 * ~20,000 entries (a fresh run writes ~2,500, ~40 MB) it starts again from empty.
 */
function emptyCodeCacheWhenLarge(): void {
  let entries = 0;
  try {
    for (const folder of readdirSync(CODE_CACHE_DIR)) entries += readdirSync(join(CODE_CACHE_DIR, folder)).length;
  } catch {
    return; // no cache yet
  }
  if (entries > 20_000) rmSync(CODE_CACHE_DIR, { recursive: true, force: true });
}
