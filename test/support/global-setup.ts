import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_ASSEMBLIES_DIR, TEST_ASSEMBLY_ENV } from './assembly';

/**
 * Starts the synthesis of every shipped environment (compliance gate on) in a child process and returns at
 * once: handler tests run meanwhile, and the CDK tests wait for the assembly (test/support/assembly.ts). A
 * compliance finding fails every CDK test with the gate's report. Each run gets its own folder, named to the
 * workers through the environment, so runs in parallel never read each other's assembly.
 */
export default function globalSetup(): void {
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
