import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { TEST_ASSEMBLY_ENV } from './assembly';

/**
 * Removes this run's assembly. Every test has ended, so a synth still running has no reader left (a run of handler
 * tests alone ends first): it is stopped rather than waited for.
 */
export default async function globalTeardown(): Promise<void> {
  const synth = (globalThis as { connectSynth?: ChildProcess }).connectSynth;
  if (synth && synth.exitCode === null && synth.signalCode === null) {
    const exited = new Promise((resolve) => synth.once('exit', resolve));
    synth.kill('SIGTERM');
    await exited;
  }
  const dir = process.env[TEST_ASSEMBLY_ENV];
  if (dir) rmSync(dir, { recursive: true, force: true });
}
