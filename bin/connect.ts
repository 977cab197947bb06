#!/usr/bin/env node
/**
 * Entry point of `cdk synth` / `cdk deploy`. Synthesizes every environment under config/ and the pipelines of
 * config/delivery.json, or only the environment named by `-c env=<name>`. A bad config file stops here with a message naming the file, the field and what is expected.
 */
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { loadDeliveryConfig } from '../lib/config/delivery';
import { ConfigError, loadEnvironmentConfigs } from '../lib/config/load';
import { buildConnectApp } from '../lib/app';
import { writeComplianceReport } from '../lib/compliance-report';
import { concurrencySummary, reservedConcurrencyOf, type TemplateResources } from '../lib/lambda-concurrency';

function main(): void {
  const app = new App();
  // The CLI asks apps to leave validation reporting to it, then reports only findings of the stacks the command
  // selected: a bare `cdk synth` selects no stack of ours (they sit inside environment Stages) and would pass with
  // findings. The app reports and fails by itself instead, whatever the command selects.
  app.node.setContext('@aws-cdk/core:failSynthOnValidationErrors', true);
  const selected = app.node.tryGetContext('env') as string | undefined;
  const configDir = join(__dirname, '..', 'config');
  let configs = loadEnvironmentConfigs(configDir);
  // The pipelines deploy every environment, so they are built only with all of them (config/delivery.json is
  // validated on every synth all the same).
  const delivery = loadDeliveryConfig(configDir, configs);
  if (selected) {
    const names = configs.map((c) => c.name);
    configs = configs.filter((c) => c.name === selected);
    if (configs.length === 0) throw new ConfigError([`-c env=${selected}: expected one of ${names.join(', ')} (a file config/<env>.json)`]);
  }
  const assembly = buildConnectApp(configs, app, selected ? undefined : delivery).app.synth();
  // The compliance page of this synth (packs, acknowledgments with their reasons, guard rules off): cdk.out/compliance-report.md.
  writeComplianceReport(app, assembly.directory);
  // Each environment's reserved Lambda concurrency, read back from its synthesized templates (what preflight
  // compares with the account's quota), on stderr: the CLI shows it on every synth and deploy.
  for (const config of configs) {
    const templates = assembly.getNestedAssembly(`assembly-${config.name}`).stacks.map((stack) => stack.template as TemplateResources);
    console.error(concurrencySummary(config.name, reservedConcurrencyOf(templates)));
  }
}

try {
  main();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
