import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { apiRoutes, routeKey } from '../api/routes';
import { EnvironmentConfig } from './schema';

/** A config problem an SRE can fix: every line names the file, the field and what is expected. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export const MAX_PREPRODUCTION_ENVIRONMENTS = 2;

function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '') || '(root)';
}

/** Parses and validates one config file's text. Throws ConfigError naming `file`. */
export function parseEnvironmentConfig(file: string, text: string): EnvironmentConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`${file}: not valid JSON (${(error as Error).message})`]);
  }
  const result = EnvironmentConfig.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        // Unknown fields are the most common typo: name them instead of zod's generic wording.
        if (issue.code === 'unrecognized_keys') {
          return `${file}: ${fieldPath(issue.path)}: unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; expected only the fields in config/schema.json`;
        }
        return `${file}: ${fieldPath(issue.path)}: ${issue.message}`;
      }),
    );
  }
  // Route names exist only once the route table is built from the config: checked here so the error names the file.
  const routeKeys = apiRoutes(result.data).map(routeKey);
  const unknownRoutes = [
    ...Object.keys(result.data.api.routeThrottling).map((key) => ({ field: 'api.routeThrottling', key })),
    ...Object.keys(result.data.api.waf.routes).map((key) => ({ field: 'api.waf.routes', key })),
  ].filter(({ key }) => !routeKeys.includes(key));
  if (unknownRoutes.length > 0) {
    throw new ConfigError(unknownRoutes.map(({ field, key }) => `${file}: ${field}["${key}"]: expected a route of this environment: ${routeKeys.join(', ')}`));
  }
  const expectedName = basename(file, '.json');
  if (result.data.name !== expectedName) {
    throw new ConfigError([`${file}: name: expected "${expectedName}" (the file name), got "${result.data.name}"`]);
  }
  return result.data;
}

function cidrRange(cidr: string): [number, number] {
  const [address, prefix] = cidr.split('/');
  const base = address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(prefix));
  const start = base - (base % size);
  return [start, start + size - 1];
}

export function cidrsOverlap(a: string, b: string): boolean {
  const [aStart, aEnd] = cidrRange(a);
  const [bStart, bEnd] = cidrRange(b);
  return aStart <= bEnd && bStart <= aEnd;
}

/** Rules that span environments: VPCs that could be peered or reach the same core systems must not overlap. */
export function checkEnvironmentSet(configs: ReadonlyArray<{ file: string; config: EnvironmentConfig }>): void {
  const problems: string[] = [];
  const production = configs.filter((c) => c.config.kind === 'production');
  if (production.length > 1) problems.push(`${production.map((c) => c.file).join(', ')}: kind: expected one production environment, found ${production.length}`);
  const preproduction = configs.filter((c) => c.config.kind === 'preproduction');
  if (preproduction.length > MAX_PREPRODUCTION_ENVIRONMENTS) {
    problems.push(`${preproduction.map((c) => c.file).join(', ')}: kind: expected at most ${MAX_PREPRODUCTION_ENVIRONMENTS} pre-production environments, found ${preproduction.length}`);
  }
  configs.forEach((a, i) =>
    configs.slice(i + 1).forEach((b) => {
      if (cidrsOverlap(a.config.network.vpcCidr, b.config.network.vpcCidr)) {
        problems.push(`${b.file}: network.vpcCidr: expected a range that does not overlap ${a.file} (${a.config.network.vpcCidr}); got ${b.config.network.vpcCidr}`);
      }
      if (a.config.identity.domainPrefix === b.config.identity.domainPrefix && a.config.region === b.config.region) {
        problems.push(`${b.file}: identity.domainPrefix: expected a prefix unique in ${b.config.region}; ${a.file} uses "${a.config.identity.domainPrefix}" too`);
      }
    }),
  );
  if (problems.length > 0) throw new ConfigError(problems);
}

/** Loads every `<env>.json` under `directory` (schema.json excepted), validated one by one and as a set. */
export function loadEnvironmentConfigs(directory: string): EnvironmentConfig[] {
  if (!existsSync(directory)) throw new ConfigError([`${directory}: no such config directory`]);
  const files = readdirSync(directory)
    .filter((file) => file.endsWith('.json') && file !== 'schema.json')
    .sort();
  const loaded: { file: string; config: EnvironmentConfig }[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const path = join(directory, file);
    const shown = relative(process.cwd(), path) || path;
    try {
      loaded.push({ file: shown, config: parseEnvironmentConfig(shown, readFileSync(path, 'utf8')) });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  if (loaded.length === 0) throw new ConfigError([`${directory}: no environment config files (<env>.json)`]);
  checkEnvironmentSet(loaded);
  return loaded.map((l) => l.config);
}
