/**
 * Work the global setup's child (synth-assembly.ts) does for single tests after the shipped app's synth, where CDK's
 * modules are already loaded: a test file's worker would first load them all again into the file's registry
 * (~1 s of CPU per file). Each result is a JSON file in the run's assembly folder that the test waits for.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemblyDir, waitForAssemblyFile } from './assembly';

const resultName = (name: string) => `${name}.result.json`;
const resultFile = (assemblyDir: string, name: string) => join(assemblyDir, resultName(name));

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
  const dir = assemblyDir();
  waitForAssemblyFile(dir, resultName(name), 240_000, `${name}: the global setup's synth did not write its result`);
  const result = JSON.parse(readFileSync(resultFile(dir, name), 'utf8')) as { value?: T; failed?: string };
  if (result.failed !== undefined) throw new Error(`${name} failed in the global setup's synth:\n${result.failed}`);
  return { assemblyDir: dir, value: result.value as T };
}
