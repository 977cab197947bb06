import type { EnvironmentConfig } from '../config/schema';
import { reservedConcurrencyOf } from '../lambda-concurrency';
import type { EnvironmentAssembly } from './assembly';
import { AwsClients, DEFAULT_REQUEST_TIMEOUT_MS, readBootstrapVersion, readCaller, readChat, readConcurrency, readHostedZone, readImages, readImageTags, readSecrets, readSubscriptions, readToolkitStack } from './aws';
import {
  alertTopics,
  bootstrapRequirements,
  CHECKS,
  type CheckResult,
  checkResult,
  decideBootstrap,
  decideChat,
  decideConcurrency,
  decideCredentials,
  decideHostedZone,
  decideImages,
  decideSecrets,
  decideSubscriptions,
  hostedZoneDomains,
  secretReferences,
  serviceImages,
} from './decisions';

export interface PreflightOptions {
  /** The delivery (pipeline) account the bootstrap must trust; none until the config has one (issue 14). */
  readonly trustedAccount?: string;
  /** The bootstrap stack's name (`cdk bootstrap --toolkit-stack-name`). */
  readonly toolkitStackName?: string;
  readonly requestTimeoutMs?: number;
  /** The checks to run after the credentials (default: every one): a caller that needs one check's result (the
   * tests) need not read the whole account. */
  readonly checks?: readonly string[];
}

/** The read-only permissions preflight needs (README "First deploy"). */
export const PREFLIGHT_PERMISSIONS = [
  'sts:GetCallerIdentity',
  'ssm:GetParameter',
  'cloudformation:DescribeStacks',
  'cloudformation:ListStackResources',
  'lambda:GetAccountSettings',
  'lambda:GetFunctionConcurrency',
  'chatbot:DescribeSlackWorkspaces',
  'chatbot:ListMicrosoftTeamsConfiguredTeams',
  'route53:GetHostedZone',
  'secretsmanager:DescribeSecret',
  'ecr:DescribeImages',
  'sns:ListSubscriptionsByTopic',
];

/** A check whose reads failed (access denied, no network, a timeout) fails with the reason, never hangs or throws. */
async function guarded(check: string, run: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await run();
  } catch (error) {
    const name = (error as { name?: string }).name ?? 'Error';
    return checkResult(check, [{ ok: false, text: `could not read: ${name}: ${(error as Error).message}`, fix: `let these credentials make the read-only calls (${PREFLIGHT_PERMISSIONS.join(', ')}) and reach AWS` }]);
  }
}

/**
 * Runs every check against the account the current credentials reach. The credentials come first: when they are
 * for another account, every other check would describe that account, so they are reported as not run.
 */
export async function runPreflight(config: EnvironmentConfig, assembly: EnvironmentAssembly, options: PreflightOptions = {}): Promise<CheckResult[]> {
  const read = new AwsClients(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  const { region, account } = config;
  const templates = assembly.stacks.map((s) => s.template);

  let wrongAccount = false;
  const credentials = await guarded(CHECKS.credentials, async () => {
    const caller = await readCaller(region, read);
    wrongAccount = caller.account !== account;
    return decideCredentials(config, caller);
  });
  const others: [string, () => Promise<CheckResult>][] = [
    [
      CHECKS.bootstrap,
      async () => {
        const toolkitStackName = options.toolkitStackName ?? 'CDKToolkit';
        const versions = await Promise.all(bootstrapRequirements(assembly).map(async (r) => ({ ssmParameter: r.ssmParameter, required: r.version, version: await readBootstrapVersion(region, r.ssmParameter, read) })));
        const toolkit = await readToolkitStack(region, toolkitStackName, read);
        return decideBootstrap({ account, region, toolkitStackName, toolkit, versions, trustedAccount: options.trustedAccount });
      },
    ],
    [CHECKS.concurrency, async () => decideConcurrency(reservedConcurrencyOf(templates), await readConcurrency(region, assembly.stacks.map((s) => s.stackName), read))],
    [CHECKS.chat, async () => decideChat(config.alarms.chat, config.alarms.chat ? await readChat(region, config.alarms.chat, read) : undefined)],
    [
      CHECKS.hostedZone,
      async () => {
        const zoneId = config.api.customDomain?.hostedZoneId;
        return decideHostedZone(config, hostedZoneDomains(config, templates), zoneId ? await readHostedZone(zoneId, read) : undefined);
      },
    ],
    [
      CHECKS.secrets,
      async () => {
        const references = secretReferences(config, templates);
        return decideSecrets(config, references, await readSecrets(region, references.map((r) => r.id), read));
      },
    ],
    [
      CHECKS.images,
      async () => {
        const parameters = new Map(serviceImages(config).map((image) => [image.service, image.parameter]));
        const images = serviceImages(config, await readImageTags(region, parameters, read));
        return decideImages(config, images, await readImages(region, account, images, read));
      },
    ],
    [
      CHECKS.subscriptions,
      async () => {
        const topics = alertTopics(config);
        return decideSubscriptions(topics, await readSubscriptions(region, topics.map((t) => t.arn), read));
      },
    ],
  ];
  const unknown = (options.checks ?? []).filter((name) => name !== CHECKS.credentials && !others.some(([check]) => check === name));
  if (unknown.length) throw new Error(`preflight: unknown check(s) ${unknown.join(', ')}; expected any of ${others.map(([check]) => check).join(', ')}`);
  const selected = others.filter(([check]) => !options.checks || options.checks.includes(check));
  if (wrongAccount) {
    return [credentials, ...selected.map(([check]) => checkResult(check, [{ ok: false, text: 'not run: the credentials are for another account', fix: `run preflight with credentials of account ${account}` }]))];
  }
  return [credentials, ...(await Promise.all(selected.map(([check, run]) => guarded(check, run))))];
}

export function preflightPassed(results: readonly CheckResult[]): boolean {
  return results.every((r) => r.status !== 'FAIL');
}

/** The table: check | result | what was found, and `→ what to do` under each failure. */
export function formatTable(environment: string, results: readonly CheckResult[]): string {
  const checkWidth = Math.max('check'.length, ...results.map((r) => r.check.length));
  const row = (check: string, status: string, text: string) => `${check.padEnd(checkWidth)}  ${status.padEnd(6)}  ${text}`;
  const lines = [row('check', 'result', 'found / what to do'), row('-'.repeat(checkWidth), '------', '-'.repeat(18))];
  for (const result of results) {
    result.findings.forEach((finding, index) => {
      const status = index === 0 ? result.status : '';
      lines.push(row(index === 0 ? result.check : '', status, `${finding.ok ? '' : 'FAIL '}${finding.text}`));
      if (!finding.ok && finding.fix) lines.push(row('', '', `  → ${finding.fix}`));
    });
  }
  const failed = results.filter((r) => r.status === 'FAIL').map((r) => r.check);
  lines.push('', failed.length === 0 ? `preflight ${environment}: ready to deploy` : `preflight ${environment}: ${failed.length} check(s) failed: ${failed.join(', ')}`);
  return lines.join('\n');
}
