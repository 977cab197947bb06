/**
 * `npm run diagram [-- <env>...] [--assembly <cdk.out>]`
 *
 * Draws each environment from the synthesized app (stacks as clusters, main resources as nodes, edges from the
 * templates' references and the flows AWS wires: lib/diagram/graph.ts) and writes docs/diagrams/<env>.dot and
 * docs/diagrams/<env>.svg (Graphviz in WebAssembly, no system package). Needs no credentials: it synthesizes the
 * app in this process, or reads an existing cloud assembly with `--assembly`. test/diagram.test.ts fails when a
 * committed diagram is out of date.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { environmentStacks } from '../lib/assembly/synthesize';
import { ConfigError, loadEnvironmentConfigs } from '../lib/config/load';
import { DIAGRAMS_DIR, environmentDot } from '../lib/diagram/files';
import { renderSvg } from '../lib/diagram/dot';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { assembly: { type: 'string' } } });
  const all = loadEnvironmentConfigs(join(__dirname, '..', 'config'));
  const unknown = positionals.filter((name) => !all.some((c) => c.name === name));
  if (unknown.length > 0) {
    console.error(`unknown environment ${unknown.join(', ')}: expected ${all.map((c) => c.name).join(', ')}\nusage: npm run diagram [-- <env>...] [--assembly <cdk.out>]`);
    return 2;
  }
  const configs = positionals.length > 0 ? all.filter((c) => positionals.includes(c.name)) : all;
  const stacks = environmentStacks(configs, values.assembly);
  mkdirSync(DIAGRAMS_DIR, { recursive: true });
  for (const config of configs) {
    const dot = environmentDot(config.name, stacks.get(config.name) ?? []);
    writeFileSync(join(DIAGRAMS_DIR, `${config.name}.dot`), dot);
    writeFileSync(join(DIAGRAMS_DIR, `${config.name}.svg`), await renderSvg(dot));
    console.log(`docs/diagrams/${config.name}.svg`);
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exitCode = 2;
  },
);
