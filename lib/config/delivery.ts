import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { ConfigError, describeIssue } from './load';
import { AlarmsConfig } from './alarms';
import { awsAccount, awsRegion, intInRange, logRetentionDays, name } from './fields';
import { duplicates, issueOf } from './rules';
import type { EnvironmentConfig } from './schema';

/**
 * The delivery side (`config/delivery.json`): the tooling account and region that host the pipelines, where the
 * code comes from, the order environments are promoted in, and a pipeline per microservice and per micro frontend.
 * Validated like the environment files (zod, one message per problem naming file, field and what is expected), and
 * against them: promotion order, services and sites must name environments that exist.
 */

export const DELIVERY_CONFIG_FILE = 'delivery.json';

const branch = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/, { message: 'expected a branch name, e.g. "main"' });

/** A repository Connect creates in the tooling account (AWS CodeCommit). */
const CodeCommitSource = z.strictObject({
  type: z.literal('codecommit'),
  repositoryName: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, { message: 'expected a CodeCommit repository name (letters, digits, ".", "_", "-"; at most 100)' }),
  branch: branch.default('main'),
  /** Approvals a pull request into `branch` needs (the approval rule template). */
  requiredApprovals: intInRange(1, 10, 'expected the number of approvals a pull request needs, 1-10').default(1),
});

/** An external repository (GitHub, GitLab, Bitbucket) reached through an AWS CodeConnections connection. */
export const CONNECTION_ARN = /^arn:aws[a-z-]*:(codeconnections|codestar-connections):([a-z0-9-]+):(\d{12}):connection\/[0-9a-f-]{36}$/;
const ConnectionSource = z.strictObject({
  type: z.literal('connection'),
  connectionArn: z.string().regex(CONNECTION_ARN, { message: 'expected a CodeConnections connection ARN, e.g. "arn:aws:codeconnections:us-east-1:999999999999:connection/<uuid>"' }),
  /** `owner/name` on the provider. */
  repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { message: 'expected "<owner>/<repository>" on the provider' }),
  branch: branch.default('main'),
});

const SOURCE_EXPECTED = 'expected a source: {"type": "codecommit", "repositoryName"} or {"type": "connection", "connectionArn", "repository"}';
export const SourceConfig = z.discriminatedUnion('type', [CodeCommitSource, ConnectionSource], { error: SOURCE_EXPECTED });
export type SourceConfig = z.infer<typeof SourceConfig>;
export type CodeCommitSourceConfig = z.infer<typeof CodeCommitSource>;
export type ConnectionSourceConfig = z.infer<typeof ConnectionSource>;

const ServicePipelineConfig = z.strictObject({
  /** A service of `services[]` in the environment configs. */
  name,
  source: SourceConfig,
  /** Dockerfile and build context, relative to the repository root. */
  dockerfile: z.string().min(1).default('Dockerfile'),
  buildContext: z.string().min(1).default('.'),
  /** The service's tests, run in the build container from the repository root before the image is built. */
  testCommands: z.array(z.string().min(1)).min(1, { message: 'expected at least one test command: an image is released only after its tests pass' }),
});
export type ServicePipelineConfig = z.infer<typeof ServicePipelineConfig>;

const modyoSiteId = z.string().regex(/^\d{1,12}$/, { message: 'expected the Modyo site id (digits, as a string), e.g. "42"' });

const MicroFrontendPipelineConfig = z.strictObject({
  name,
  source: SourceConfig,
  /** The widget's name on the Modyo sites (`modyo-cli push <widgetName>`). */
  widgetName: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'expected a widget name of lower-case letters, digits and dashes' }),
  /** Environment name → the Modyo site the widget is published to there (its account URL is the environment's `modyo.accountUrl`). */
  sites: z.record(name, modyoSiteId).refine((sites) => Object.keys(sites).length > 0, { message: 'expected the Modyo site of at least one environment' }),
  /** The Modyo platform version the CLI talks to (MODYO_VERSION). */
  modyoVersion: z.enum(['8', '9', '10']).default('9'),
  buildDirectory: z.string().min(1).default('dist'),
  /** Publish after pushing (`--publish`); false leaves a draft for a reviewer to publish in Modyo. */
  publish: z.boolean().default(true),
});
export type MicroFrontendPipelineConfig = z.infer<typeof MicroFrontendPipelineConfig>;

const DeliveryFields = z.strictObject({
  $schema: z.string().optional(),
  /** The tooling account and region every pipeline lives in; each environment account is bootstrapped to trust it. */
  account: awsAccount,
  region: awsRegion,
  /** Environment names in the order a change reaches them: pre-production first, production last. */
  promotion: z.array(name).min(1, { message: 'expected the environments in promotion order, production last' }),
  platform: z.strictObject({ source: SourceConfig }),
  /**
   * Who hears of pipelines (topics in the tooling account, as an environment's alarms): `emails` of failures,
   * `warningEmails` (default `emails`) of approvals waiting and pull requests, optionally a chat channel.
   */
  notifications: AlarmsConfig.omit({ thresholds: true }),
  /** Build logs: retention in days (CloudWatch Logs values). */
  logRetentionDays: logRetentionDays.default(365),
  services: z.array(ServicePipelineConfig).default([]),
  microFrontends: z.array(MicroFrontendPipelineConfig).default([]),
});

export const DeliveryConfig = DeliveryFields.superRefine((delivery, ctx) => {
  const issue = issueOf(ctx);
  duplicates(delivery.promotion).forEach((i) => issue(['promotion', i], 'expected each environment once'));
  duplicates(delivery.services.map((s) => s.name)).forEach((i) => issue(['services', i, 'name'], 'expected a unique service name'));
  duplicates(delivery.microFrontends.map((m) => m.name)).forEach((i) => issue(['microFrontends', i, 'name'], 'expected a unique micro frontend name'));
  const sources: [SourceConfig, (string | number)[]][] = [
    [delivery.platform.source, ['platform', 'source']],
    ...delivery.services.map((s, i): [SourceConfig, (string | number)[]] => [s.source, ['services', i, 'source']]),
    ...delivery.microFrontends.map((m, i): [SourceConfig, (string | number)[]] => [m.source, ['microFrontends', i, 'source']]),
  ];
  // A pipeline's source action runs in the pipeline's account and region, and so must its connection:
  // "The connection must be in the same Region as the pipeline" (CodeConnections with CodePipeline,
  // https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodestarConnectionSource.html).
  for (const [source, path] of sources) {
    if (source.type !== 'connection') continue;
    const match = CONNECTION_ARN.exec(source.connectionArn);
    if (!match) continue; // the field's own format is reported by the schema
    const [, , region, account] = match;
    if (region !== delivery.region) issue([...path, 'connectionArn'], `expected a connection in the tooling region ${delivery.region} (the pipeline's); got one in ${region}`);
    else if (account !== delivery.account) issue([...path, 'connectionArn'], `expected a connection of the tooling account ${delivery.account}; got one of ${account}`);
  }
});
export type DeliveryConfig = z.infer<typeof DeliveryFields>;

/**
 * The rules against the environments: the promotion order names each environment once, pre-production before
 * production; every environment's service has a pipeline (its only release path) and every pipeline a service;
 * micro frontends publish only to environments that exist.
 */
function environmentProblems(file: string, delivery: DeliveryConfig, environments: readonly EnvironmentConfig[]): string[] {
  const problems: string[] = [];
  const byName = new Map(environments.map((e) => [e.name, e]));
  const names = environments.map((e) => e.name).join(', ');
  delivery.promotion.forEach((env, i) => {
    if (!byName.has(env)) problems.push(`${file}: promotion[${i}]: expected an environment (${names}); got "${env}"`);
  });
  for (const env of environments) {
    if (!delivery.promotion.includes(env.name)) problems.push(`${file}: promotion: expected every environment; "${env.name}" is missing`);
  }
  // The delivery Stage is named `delivery` next to the environments' Stages.
  if (byName.has('delivery')) problems.push(`${file}: (root): expected no environment named "delivery": the pipelines' Stage has that name`);
  const kinds = delivery.promotion.map((env) => byName.get(env)?.kind);
  const production = kinds.indexOf('production');
  if (production >= 0) {
    kinds.forEach((kind, i) => {
      if (kind === 'preproduction' && i > production) {
        problems.push(`${file}: promotion[${i}]: expected pre-production environments before production ("${delivery.promotion[production]}"); "${delivery.promotion[i]}" comes after it`);
      }
    });
  }
  const servicesOf = (service: string) => environments.filter((e) => e.services.some((s) => s.name === service)).map((e) => e.name);
  for (const env of environments) {
    for (const service of env.services) {
      if (!delivery.services.some((s) => s.name === service.name)) {
        problems.push(`${file}: services: expected a pipeline with a source for service "${service.name}" (services[] of ${env.name}): the pipeline is how its images are released`);
      }
    }
  }
  delivery.services.forEach((service, i) => {
    if (servicesOf(service.name).length === 0) problems.push(`${file}: services[${i}].name: expected a service of an environment's services[]; "${service.name}" is in none`);
  });
  delivery.microFrontends.forEach((mf, i) => {
    for (const env of Object.keys(mf.sites)) {
      if (!byName.has(env)) problems.push(`${file}: microFrontends[${i}].sites.${env}: expected an environment (${names})`);
    }
  });
  return [...new Set(problems)];
}

/** Parses and validates delivery config text against the environments. Throws ConfigError with every problem. */
export function parseDeliveryConfig(file: string, text: string, environments: readonly EnvironmentConfig[]): DeliveryConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`${file}: not valid JSON (${(error as Error).message})`]);
  }
  const result = DeliveryConfig.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => describeIssue(file, issue, 'config/delivery.schema.json')));
  }
  const problems = environmentProblems(file, result.data, environments);
  if (problems.length > 0) throw new ConfigError(problems);
  return result.data;
}

/** `config/delivery.json` when it exists (no file: no delivery stacks), validated against the environments. */
export function loadDeliveryConfig(directory: string, environments: readonly EnvironmentConfig[]): DeliveryConfig | undefined {
  const path = join(directory, DELIVERY_CONFIG_FILE);
  if (!existsSync(path)) return undefined;
  return parseDeliveryConfig(relative(process.cwd(), path) || path, readFileSync(path, 'utf8'), environments);
}
