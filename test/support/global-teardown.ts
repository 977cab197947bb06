import { rmSync } from 'node:fs';
import { TEST_ASSEMBLY_ENV } from './assembly';

/** Removes this run's assembly folder. */
export default function globalTeardown(): void {
  const dir = process.env[TEST_ASSEMBLY_ENV];
  if (dir) rmSync(dir, { recursive: true, force: true });
}
