/**
 * Work the global setup's child (synth-assembly.ts) does for single tests after the shipped app's synth, where CDK's
 * modules are already loaded: a test file's worker would first load them all again into the file's registry
 * (~1 s of CPU per file). Each result is a JSON file in the run's assembly folder that the test waits for.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_ASSEMBLY_ENV } from './assembly';

const resultFile = (assemblyDir: string, name: string) => join(assemblyDir, `${name}.result.json`);

/** Child side: runs `work` and writes what it returned, or the error it threw. */
export function writeAfterAssembly(assemblyDir: string, name: string, work: () => unknown): void {
  let result: { value?: unknown; failed?: string };
  try {
    result = { value: work() ?? null };
  } catch (error) {
    result = { failed: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  writeFileSync(resultFile(assemblyDir, name), JSON.stringify(result));
}

/** Test side: the folder of this run's assembly and what `name`'s work returned, once the child has written it. */
export function afterAssembly<T>(name: string): { assemblyDir: string; value: T } {
  const assemblyDir = process.env[TEST_ASSEMBLY_ENV];
  if (!assemblyDir) throw new Error(`${TEST_ASSEMBLY_ENV} is not set: run the tests with jest (test/support/global-setup.ts)`);
  const file = resultFile(assemblyDir, name);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 240_000;
  while (!existsSync(file)) {
    // The shipped app's synth failed: the work after it never runs.
    if (existsSync(join(assemblyDir, 'failed'))) throw new Error(`Synthesis of the environments failed:\n${readFileSync(join(assemblyDir, 'failed'), 'utf8')}`);
    if (Date.now() > deadline) throw new Error(`${name}: the global setup's synth did not write its result within 240 s`);
    Atomics.wait(pause, 0, 0, 100);
  }
  const result = JSON.parse(readFileSync(file, 'utf8')) as { value?: T; failed?: string };
  if (result.failed !== undefined) throw new Error(`${name} failed in the global setup's synth:\n${result.failed}`);
  return { assemblyDir, value: result.value as T };
}
