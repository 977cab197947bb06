import { rmSync } from 'node:fs';
import { TEST_ASSEMBLY_ENV } from './assembly';

/** Waits for the synth child (a run of handler tests alone may end first), then removes this run's assembly. */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { connectSynth?: Promise<void> }).connectSynth;
  const dir = process.env[TEST_ASSEMBLY_ENV];
  if (dir) rmSync(dir, { recursive: true, force: true });
}
