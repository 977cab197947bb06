import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { buildConnectApp } from '../../lib/app';
import { loadEnvironmentConfigs } from '../../lib/config/load';
import { TEST_ASSEMBLIES_DIR, TEST_ASSEMBLY_ENV } from './assembly';

/**
 * Synthesizes every shipped environment once for the whole test run, with the compliance gate on: a finding
 * fails the run here, before any test. Each run gets its own folder (named to the workers through the
 * environment, which they inherit), so runs in parallel never read each other's half-written assembly.
 * CDK's own WASM template check is left to `cdk synth` (it repeats what the synth of the app already checks and
 * costs ~1 s per environment).
 */
export default function globalSetup(): void {
  const started = Date.now();
  mkdirSync(TEST_ASSEMBLIES_DIR, { recursive: true });
  const outdir = mkdtempSync(join(TEST_ASSEMBLIES_DIR, 'run-'));
  process.env[TEST_ASSEMBLY_ENV] = outdir;
  process.env.CDK_VALIDATION = 'false';
  const { app } = buildConnectApp(loadEnvironmentConfigs(join(__dirname, '..', '..', 'config')), { outdir });
  app.synth();
  if (process.env.CONNECT_TEST_TIMING) console.log(`\nsynthesized every environment in ${Date.now() - started} ms`);
}
