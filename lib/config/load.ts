import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { z } from 'zod';
import { apiRoutes, routeKey } from '../api/routes';
import { routeKeyName } from './api';
import { RemoteNetworks } from './connectivity';
import { cidrsOverlap } from './ipv4';
import { EnvironmentConfig } from './schema';

/**
 * Reads the config files and reports every problem of every file in one run: JSON syntax, the schema (every area's
 * fields and rules), route keys that name no route, a name that is not the file's, and the rules across
 * environments. Each check reads only the parts it needs that parsed, so one problem never hides another.
 */

/** A config problem an SRE can fix: every line names the file, the field and what is expected. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export const MAX_PREPRODUCTION_ENVIRONMENTS = 2;

/** One file's outcome: its parsed JSON (unless the JSON is broken), its config (when valid) and its problems. */
interface CheckedFile {
  readonly file: string;
  readonly raw?: unknown;
  readonly config?: EnvironmentConfig;
  readonly problems: string[];
}

function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '') || '(root)';
}

/** One schema problem as a line naming the file and field; `schemaFile` is the JSON schema listing the file's fields. */
export function describeIssue(file: string, issue: z.core.$ZodIssue, schemaFile = 'config/schema.json'): string {
  // Unknown fields are the most common typo: name them instead of zod's generic wording.
  if (issue.code === 'unrecognized_keys') {
    return `${file}: ${fieldPath(issue.path)}: unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; expected only the fields in ${schemaFile}`;
  }
  return `${file}: ${fieldPath(issue.path)}: ${issue.message}`;
}

/** The value at `path` of parsed JSON, or undefined where an object is missing. */
function valueAt(raw: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>((value, key) => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined), raw);
}

/** The value at `path` if `schema` accepts it (the schema reports it otherwise). */
function validAt<T>(schema: z.ZodType<T>, raw: unknown, ...path: string[]): T | undefined {
  const result = schema.safeParse(valueAt(raw, ...path));
  return result.success ? result.data : undefined;
}

const { shape } = EnvironmentConfig;
/** The fields the route table is built from (lib/api/routes.ts RouteConfig), with their own rules. */
const RouteTableFields = z.object({ services: shape.services, integrations: shape.integrations });

/**
 * Route keys (api.routeThrottling, api.waf.routes) that name no route of the environment. The route table exists
 * only once it is built from the config, so this is checked here, when the fields it is built from are valid.
 */
function unknownRouteKeys(file: string, raw: unknown): string[] {
  const tableFields = RouteTableFields.safeParse(raw);
  if (!tableFields.success) return [];
  const routeKeys = apiRoutes(tableFields.data).map(routeKey);
  return [
    { field: 'api.routeThrottling', keys: valueAt(raw, 'api', 'routeThrottling') },
    { field: 'api.waf.routes', keys: valueAt(raw, 'api', 'waf', 'routes') },
  ].flatMap(({ field, keys }) =>
    Object.keys(typeof keys === 'object' && keys !== null ? keys : {})
      // A key that is not `METHOD /path` at all is reported by the schema.
      .filter((key) => routeKeyName.safeParse(key).success && !routeKeys.includes(key))
      .map((key) => `${file}: ${field}["${key}"]: expected a route of this environment: ${routeKeys.join(', ')}`),
  );
}

/** The canary calls operations.canary.path from outside with no credentials: it must be a public GET route. */
function canaryRouteProblems(file: string, raw: unknown): string[] {
  const tableFields = RouteTableFields.safeParse(raw);
  const path = validAt(shape.operations.shape.canary, raw, 'operations', 'canary')?.path;
  if (!tableFields.success || path === undefined) return [];
  const publicGets = apiRoutes(tableFields.data).filter((route) => route.method === 'GET' && route.authentication.type === 'public').map((route) => route.path);
  return publicGets.includes(path) ? [] : [`${file}: operations.canary.path: expected a public GET route the canary can call without credentials (${publicGets.join(', ')}); got "${path}"`];
}

function nameMismatch(file: string, raw: unknown): string[] {
  const name = valueAt(raw, 'name');
  const expectedName = basename(file, '.json');
  return typeof name === 'string' && name !== expectedName ? [`${file}: name: expected "${expectedName}" (the file name), got "${name}"`] : [];
}

function checkFile(file: string, text: string): CheckedFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { file, problems: [`${file}: not valid JSON (${(error as Error).message})`] };
  }
  const result = EnvironmentConfig.safeParse(raw);
  const problems = [...(result.error?.issues.map((issue) => describeIssue(file, issue)) ?? []), ...unknownRouteKeys(file, raw), ...canaryRouteProblems(file, raw), ...nameMismatch(file, raw)];
  return { file, raw, config: problems.length === 0 ? result.data : undefined, problems };
}

/** Parses and validates one config file's text. Throws ConfigError naming `file`, with every problem of the file. */
export function parseEnvironmentConfig(file: string, text: string): EnvironmentConfig {
  const checked = checkFile(file, text);
  if (!checked.config) throw new ConfigError(checked.problems);
  return checked.config;
}

export { cidrsOverlap };

/**
 * Rules that span environments: one production, few pre-production environments, VPCs that could be peered or
 * reach the same core systems must not overlap, Cognito domain prefixes are unique per region. Each file takes
 * part with the fields these rules read that are valid, even when other fields of it are not.
 */
function environmentSetProblems(files: readonly CheckedFile[]): string[] {
  const members = files
    .filter((f) => f.raw !== undefined)
    .map(({ file, raw }) => ({
      file,
      kind: validAt(shape.kind, raw, 'kind'),
      account: validAt(shape.account, raw, 'account'),
      region: validAt(shape.region, raw, 'region'),
      vpcCidr: validAt(shape.network.shape.vpcCidr, raw, 'network', 'vpcCidr'),
      domainPrefix: validAt(shape.identity.shape.domainPrefix, raw, 'identity', 'domainPrefix'),
      remoteNetworks: validAt(RemoteNetworks, raw, 'connectivity', 'networks') ?? [],
    }));
  const problems: string[] = [];
  const production = members.filter((m) => m.kind === 'production');
  if (production.length > 1) problems.push(`${production.map((m) => m.file).join(', ')}: kind: expected one production environment, found ${production.length}`);
  const preproduction = members.filter((m) => m.kind === 'preproduction');
  if (preproduction.length > MAX_PREPRODUCTION_ENVIRONMENTS) {
    problems.push(`${preproduction.map((m) => m.file).join(', ')}: kind: expected at most ${MAX_PREPRODUCTION_ENVIRONMENTS} pre-production environments, found ${preproduction.length}`);
  }
  members.forEach((a, i) =>
    members.slice(i + 1).forEach((b) => {
      if (a.vpcCidr && b.vpcCidr && cidrsOverlap(a.vpcCidr, b.vpcCidr)) {
        problems.push(`${b.file}: network.vpcCidr: expected a range that does not overlap ${a.file} (${a.vpcCidr}); got ${b.vpcCidr}`);
      }
      // Each environment archives its logs through the account-level subscription filter policy, and CloudWatch Logs
      // allows one per account and region (lib/constructs/operations/log-archive.ts).
      if (a.account && a.region && a.account === b.account && a.region === b.region) {
        problems.push(`${b.file}: account: expected an account and region of its own; ${a.file} deploys to ${a.account} in ${a.region} too, and each account and region holds one environment's log subscription policy`);
      }
      // A remote network routed from one environment must not be another environment's VPC: its traffic would go
      // to the wrong place, and the two could never be connected later. Two environments may reach the same network.
      for (const [from, to] of [[a, b], [b, a]]) {
        from.remoteNetworks.forEach((network, n) =>
          network.cidrs.forEach((cidr, c) => {
            if (to.vpcCidr && cidrsOverlap(cidr, to.vpcCidr)) {
              problems.push(`${from.file}: connectivity.networks[${n}].cidrs[${c}]: expected a range outside every environment's VPC; overlaps ${to.file} (${to.vpcCidr}); got ${cidr}`);
            }
          }),
        );
      }
      if (a.domainPrefix && a.region && a.domainPrefix === b.domainPrefix && a.region === b.region) {
        problems.push(`${b.file}: identity.domainPrefix: expected a prefix unique in ${b.region}; ${a.file} uses "${a.domainPrefix}" too`);
      }
    }),
  );
  return problems;
}

/** Files under config/ that are not environments: the generated schemas and the delivery config (lib/config/delivery.ts). */
export const NOT_ENVIRONMENT_FILES: readonly string[] = ['schema.json', 'delivery.json', 'delivery.schema.json'];

/** Loads every `<env>.json` under `directory` (NOT_ENVIRONMENT_FILES excepted), validated one by one and as a set. */
export function loadEnvironmentConfigs(directory: string): EnvironmentConfig[] {
  if (!existsSync(directory)) throw new ConfigError([`${directory}: no such config directory`]);
  const files = readdirSync(directory)
    .filter((file) => file.endsWith('.json') && !NOT_ENVIRONMENT_FILES.includes(file))
    .sort();
  if (files.length === 0) throw new ConfigError([`${directory}: no environment config files (<env>.json)`]);
  const checked = files.map((file) => {
    const path = join(directory, file);
    return checkFile(relative(process.cwd(), path) || path, readFileSync(path, 'utf8'));
  });
  const problems = [...checked.flatMap((c) => c.problems), ...environmentSetProblems(checked)];
  if (problems.length > 0) throw new ConfigError(problems);
  return checked.map((c) => c.config as EnvironmentConfig);
}
