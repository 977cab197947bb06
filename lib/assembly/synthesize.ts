/**
 * Synthesizes the app in this process, with no credentials (as bin/connect.ts does: the same buildConnectApp, every
 * config validated as a set, compliance gate on), into a temp folder removed afterwards, for the scripts that read
 * templates (`npm run cost`, `npm run diagram`); or reads an existing cloud assembly (`--assembly cdk.out`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConnectApp } from '../app';
import type { EnvironmentConfig } from '../config/schema';
import { type EnvironmentStack, readEnvironmentAssembly } from '../preflight/assembly';

export type { EnvironmentStack } from '../preflight/assembly';

/** The stacks of each named environment, from `assemblyDirectory` or from a fresh in-process synth of `configs`. */
export function environmentStacks(configs: readonly EnvironmentConfig[], assemblyDirectory?: string): Map<string, readonly EnvironmentStack[]> {
  if (assemblyDirectory) return new Map(configs.map((config) => [config.name, readEnvironmentAssembly(assemblyDirectory, config.name).stacks]));
  const outdir = mkdtempSync(join(tmpdir(), 'connect-synth-'));
  // CDK's WASM template check repeats what `cdk synth` checks and costs ~3 s; these scripts only read the templates.
  const validation = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    buildConnectApp(configs, { outdir, context: { '@aws-cdk/core:failSynthOnValidationErrors': true } }).app.synth();
    return new Map(configs.map((config) => [config.name, readEnvironmentAssembly(outdir, config.name).stacks]));
  } finally {
    if (validation === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = validation;
    rmSync(outdir, { recursive: true, force: true });
  }
}
