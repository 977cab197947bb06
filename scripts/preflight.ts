/**
 * `npm run preflight -- <env> [--assembly <dir>] [--trusted-account <id>] [--toolkit-stack-name <name>]`
 *
 * Checks, with the environment account's credentials and read-only calls only, what a deploy of <env> needs of the
 * account, prints a table (check | result | found / what to do) and exits 1 when anything fails (2 on bad usage).
 *
 * By default it synthesizes the environment itself, in process, from the working tree (the same app and compliance
 * gate as `npx cdk synth -c env=<env>`), so it checks exactly what a deploy of this commit would deploy.
 * `--assembly <dir>` reads an existing cloud assembly instead (e.g. `cdk.out` of `npx cdk synth` on the same commit).
 * `--trusted-account` is the delivery (pipeline) account the bootstrap must trust, until the config names one.
 * Endpoints follow the SDK's standard variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const USAGE = 'usage: npm run preflight -- <env> [--assembly <cdk.out>] [--trusted-account <12-digit id>] [--toolkit-stack-name <name>]';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { assembly: { type: 'string' }, 'trusted-account': { type: 'string' }, 'toolkit-stack-name': { type: 'string' } },
  });
  const environment = positionals[0];
  const trustedAccount = values['trusted-account'];
  if (!environment || positionals.length > 1 || (trustedAccount !== undefined && !/^\d{12}$/.test(trustedAccount))) {
    console.error(USAGE);
    return 2;
  }
  // Required once the arguments are known to be good: the config schemas and the SDK clients cost ~0.6 s of CPU
  // to load (a usage error measured 1.1 s of CPU with them, 0.25 s without).
  const { environmentConfig, readEnvironmentAssembly, synthesizeEnvironment } = require('../lib/preflight/assembly') as typeof import('../lib/preflight/assembly');
  const { formatTable, preflightPassed, runPreflight } = require('../lib/preflight/run') as typeof import('../lib/preflight/run');
  const { ConfigError, loadEnvironmentConfigs } = require('../lib/config/load') as typeof import('../lib/config/load');
  const configDirectory = join(__dirname, '..', 'config');
  let prepared;
  try {
    prepared = values.assembly
      ? { config: environmentConfig(loadEnvironmentConfigs(configDirectory), environment), assembly: readEnvironmentAssembly(values.assembly, environment) }
      : synthesizeEnvironment(configDirectory, environment);
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : `preflight ${environment}: ${(error as Error).message}`);
    return 2;
  }
  const results = await runPreflight(prepared.config, prepared.assembly, { trustedAccount, toolkitStackName: values['toolkit-stack-name'] });
  console.log(formatTable(environment, results));
  return preflightPassed(results) ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 2;
  },
);
