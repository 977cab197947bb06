/**
 * Synthesizes every shipped environment (and the delivery Stage of config/delivery.json) into the folder given as argv[2], compliance gate on, then writes
 * `done` (or `failed` with the error) there. Run by the jest global setup in a child process, so the synth
 * overlaps the handler tests instead of delaying them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildConnectApp } from '../../lib/app';
import { writeComplianceReport } from '../../lib/compliance-report';
import { loadDeliveryConfig } from '../../lib/config/delivery';
import { loadEnvironmentConfigs } from '../../lib/config/load';
import { ACKNOWLEDGMENTS_FILE, acknowledgmentsOf } from './acknowledgments';
import { buildForSingleTests } from './after-assembly-work';

const outdir = process.argv[2];
const started = Date.now();
try {
  // CDK's own WASM template check is left to `cdk synth`: it repeats what the app's synth already checks.
  process.env.CDK_VALIDATION = 'false';
  const configDir = join(__dirname, '..', '..', 'config');
  const configs = loadEnvironmentConfigs(configDir);
  const { app } = buildConnectApp(configs, { outdir }, loadDeliveryConfig(configDir, configs));
  app.synth();
  writeComplianceReport(app, outdir);
  writeFileSync(join(outdir, ACKNOWLEDGMENTS_FILE), JSON.stringify(acknowledgmentsOf(app)));
  writeFileSync(join(outdir, 'done'), String(Date.now() - started));
  // Then the apps single tests compare or break, with the modules loaded here (the CDK tests read the above meanwhile).
  buildForSingleTests(outdir);
} catch (error) {
  writeFileSync(join(outdir, 'failed'), error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
}
