/**
 * `npm run cost [-- <env>] [--assembly <cdk.out>]`
 *
 * Prints the monthly cost estimate of every environment (one table, a column per environment), or of one in detail
 * (each charge with its arithmetic), from the synthesized templates, the usage assumptions of each config
 * (`costAssumptions`) and the price table in lib/cost/prices.ts. Needs no credentials and no network: it synthesizes
 * the app in this process, or reads an existing cloud assembly with `--assembly`. Exits 2 on bad usage.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { environmentStacks } from '../lib/assembly/synthesize';
import { ConfigError, loadEnvironmentConfigs } from '../lib/config/load';
import { estimateEnvironment } from '../lib/cost/estimate';
import { formatComparison, formatEnvironment } from '../lib/cost/format';

const USAGE = 'usage: npm run cost [-- <env>] [--assembly <cdk.out>]';

function main(): number {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { assembly: { type: 'string' } } });
  if (positionals.length > 1) {
    console.error(USAGE);
    return 2;
  }
  const all = loadEnvironmentConfigs(join(__dirname, '..', 'config'));
  const selected = positionals[0];
  // Pre-production first, production last: the order of the README's table.
  const configs = (selected ? all.filter((config) => config.name === selected) : all).sort((a, b) => Number(a.kind === 'production') - Number(b.kind === 'production') || a.name.localeCompare(b.name));
  if (configs.length === 0) {
    console.error(`unknown environment "${selected}": expected one of ${all.map((c) => c.name).join(', ')}\n${USAGE}`);
    return 2;
  }
  // Every config is validated as a set; a single environment's synth needs only its own stage.
  const stacks = environmentStacks(configs, values.assembly);
  const estimates = configs.map((config) =>
    estimateEnvironment({ environment: config.name, region: config.region, logRetentionDays: config.logRetentionDays, assumptions: config.costAssumptions, stacks: stacks.get(config.name) ?? [] }),
  );
  const budgets = Object.fromEntries(configs.map((config) => [config.name, config.operations?.budget?.monthlyUsd]));
  console.log(selected ? formatEnvironment(estimates[0], undefined, budgets[selected]) : formatComparison(estimates, undefined, budgets));
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exitCode = 2;
}
