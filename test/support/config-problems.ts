/** How the config tests read a config error: the problem lines of the ConfigError a parse throws. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseEnvironmentConfig } from '../../lib/config/load';

export const CONFIG_DIR = join(__dirname, '..', '..', 'config');

/** config/<name>.json as shipped, parsed as plain JSON (to edit). */
export const shippedConfig = (name: string) => JSON.parse(readFileSync(join(CONFIG_DIR, `${name}.json`), 'utf8'));

/** The error lines for `config/<name>.json` after `edit` is applied to the shipped file; [] when it is valid. */
export function problemsOf(name: string, edit: (config: any) => void): string[] {
  const config = shippedConfig(name);
  edit(config);
  try {
    parseEnvironmentConfig(`config/${name}.json`, JSON.stringify(config));
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

/** The error lines `parse` throws; a parse that succeeds fails the test. */
export function parseProblems(parse: () => unknown): string[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
