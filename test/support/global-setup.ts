import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildConnectApp } from '../../lib/app';
import { loadEnvironmentConfigs } from '../../lib/config/load';
import { TEST_ASSEMBLY_DIR } from './assembly';

/**
 * Synthesizes every shipped environment once for the whole test run, with the compliance gate on: a finding
 * fails the run here, before any test. CDK's own WASM template check is left to `cdk synth` (it repeats what
 * the synth of the app already checks and costs ~1 s per environment).
 */
export default function globalSetup(): void {
  const started = Date.now();
  rmSync(TEST_ASSEMBLY_DIR, { recursive: true, force: true });
  process.env.CDK_VALIDATION = 'false';
  const { app } = buildConnectApp(loadEnvironmentConfigs(join(__dirname, '..', '..', 'config')), { outdir: TEST_ASSEMBLY_DIR });
  app.synth();
  if (process.env.CONNECT_TEST_TIMING) console.log(`\nsynthesized every environment in ${Date.now() - started} ms`);
}
