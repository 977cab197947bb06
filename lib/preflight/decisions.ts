/**
 * Preflight's decisions: pure functions from the synthesized environment, its config and what the account answered
 * (lib/preflight/aws.ts reads that) to a result per check. No AWS call here, so each rule is plain to read and test.
 */
import type { EnvironmentConfig } from '../config/schema';
import { alertTopicName, type AlertSeverity } from '../constructs/monitoring/alert-topics';
import { requiredConcurrencyQuota, UNRESERVED_CONCURRENCY_MINIMUM } from '../lambda-concurrency';
import { serviceRepositoryName } from '../stacks/service-repositories-stack';
import type { CfnTemplate, EnvironmentAssembly } from './assembly';

export type CheckStatus = 'PASS' | 'FAIL' | 'SKIP';

/** One line of a check: what was found, and for a failure what to do. */
export interface Finding {
  readonly ok: boolean;
  readonly text: string;
  readonly fix?: string;
}

export interface CheckResult {
  readonly check: string;
  readonly status: CheckStatus;
  readonly findings: readonly Finding[];
}

export const CHECKS = {
  credentials: 'credentials',
  bootstrap: 'CDK bootstrap',
  concurrency: 'Lambda concurrency',
  chat: 'chat (AWS Chatbot)',
  hostedZone: 'hosted zone',
  secrets: 'secrets',
  images: 'service images',
  subscriptions: 'e-mail subscriptions',
} as const;

/** FAIL when any finding failed; otherwise PASS (or SKIP for a check the config does not call for). */
export function checkResult(check: string, findings: readonly Finding[], whenOk: 'PASS' | 'SKIP' = 'PASS'): CheckResult {
  return { check, status: findings.some((f) => !f.ok) ? 'FAIL' : whenOk, findings };
}

// --- 1. credentials -------------------------------------------------------------------------------------------

export interface CallerObservation {
  readonly account: string;
  readonly arn: string;
  /** The region the credentials' configuration resolves to (AWS_REGION, the profile), if any. */
  readonly region?: string;
}

export function decideCredentials(config: Pick<EnvironmentConfig, 'name' | 'account' | 'region'>, caller: CallerObservation): CheckResult {
  const findings: Finding[] = [];
  findings.push(
    caller.account === config.account
      ? { ok: true, text: `account ${caller.account} (${caller.arn})` }
      : { ok: false, text: `credentials are for account ${caller.account}, config/${config.name}.json says ${config.account}`, fix: `use credentials of account ${config.account} (AWS_PROFILE or the role of that account)` },
  );
  findings.push(
    caller.region === config.region
      ? { ok: true, text: `region ${caller.region}` }
      : { ok: false, text: caller.region ? `region is ${caller.region}, config says ${config.region}` : 'no region configured', fix: `export AWS_REGION=${config.region}` },
  );
  return checkResult(CHECKS.credentials, findings);
}

// --- 2. CDK bootstrap -----------------------------------------------------------------------------------------

/**
 * The bootstrap version each SSM version parameter must hold: the highest of what the manifest's artifacts require
 * (`requiresBootstrapStackVersion`) and what each template's `CheckBootstrapVersion` rule refuses (CloudFormation
 * evaluates that rule against the parameter at deploy time).
 */
export function bootstrapRequirements(assembly: EnvironmentAssembly): { ssmParameter: string; version: number }[] {
  const required = new Map<string, number>();
  const raise = (parameter: string, version: number) => required.set(parameter, Math.max(required.get(parameter) ?? 0, version));
  for (const requirement of assembly.bootstrap) raise(requirement.ssmParameter, requirement.version);
  for (const { template } of assembly.stacks) {
    const fromRule = versionRequiredByRule(template);
    const parameter = (template as { Parameters?: Record<string, { Default?: unknown }> }).Parameters?.BootstrapVersion?.Default;
    if (fromRule !== undefined && typeof parameter === 'string') raise(parameter, fromRule);
  }
  return [...required].map(([ssmParameter, version]) => ({ ssmParameter, version }));
}

/** `Rules.CheckBootstrapVersion`: `Fn::Not [Fn::Contains [[refused versions], Ref BootstrapVersion]]` → max refused + 1. */
export function versionRequiredByRule(template: CfnTemplate): number | undefined {
  const rule = template.Rules?.CheckBootstrapVersion as { Assertions?: { Assert?: unknown }[] } | undefined;
  let required: number | undefined;
  for (const assertion of rule?.Assertions ?? []) {
    const contains = ((assertion.Assert as Record<string, unknown[]> | undefined)?.['Fn::Not']?.[0] as Record<string, unknown[]> | undefined)?.['Fn::Contains'];
    const refused = Array.isArray(contains?.[0]) ? (contains[0] as unknown[]).map(Number).filter(Number.isFinite) : [];
    if (refused.length > 0) required = Math.max(required ?? 0, Math.max(...refused) + 1);
  }
  return required;
}

/** `/cdk-bootstrap/<qualifier>/version` → `<qualifier>`. */
export function qualifierOf(ssmParameter: string): string | undefined {
  return /^\/cdk-bootstrap\/([^/]+)\/version$/.exec(ssmParameter)?.[1];
}

export interface ToolkitStackObservation {
  readonly status: string;
  /** Stack parameters of the bootstrap template (`Qualifier`, `TrustedAccounts`, ...). */
  readonly parameters: Readonly<Record<string, string>>;
}

export interface BootstrapObservation {
  readonly ssmParameter: string;
  readonly required: number;
  /** The version the parameter holds; undefined when it does not exist (the environment is not bootstrapped). */
  readonly version?: number;
}

/**
 * The bootstrap stack must exist in a usable state with the templates' qualifier and version, and trust the
 * delivery account when one deploys from a pipeline (`cdk bootstrap --trust`, which writes the stack's
 * `TrustedAccounts` parameter): https://docs.aws.amazon.com/cdk/v2/guide/ref-cli-cmd-bootstrap.html
 * `trustedAccount` is optional because the config has no delivery account yet (issue 14 adds it).
 */
export function decideBootstrap(input: {
  readonly account: string;
  readonly region: string;
  readonly toolkitStackName: string;
  readonly toolkit?: ToolkitStackObservation;
  readonly versions: readonly BootstrapObservation[];
  readonly trustedAccount?: string;
}): CheckResult {
  const bootstrap = `npx cdk bootstrap aws://${input.account}/${input.region}${input.trustedAccount ? ` --trust ${input.trustedAccount} --cloudformation-execution-policies arn:aws:iam::aws:policy/AdministratorAccess` : ''}`;
  const findings: Finding[] = [];
  for (const { ssmParameter, required, version } of input.versions) {
    if (version === undefined) findings.push({ ok: false, text: `not bootstrapped: no SSM parameter ${ssmParameter}`, fix: bootstrap });
    else if (version < required) findings.push({ ok: false, text: `bootstrap version ${version}, the templates require ${required} (${ssmParameter})`, fix: `${bootstrap} (with this project's CDK CLI: it upgrades the stack in place)` });
    else findings.push({ ok: true, text: `bootstrap version ${version} >= ${required} (${ssmParameter})` });
  }
  const toolkit = input.toolkit;
  if (!toolkit) {
    findings.push({ ok: false, text: `no bootstrap stack ${input.toolkitStackName}`, fix: `${bootstrap} (or name the bootstrap stack with --toolkit-stack-name)` });
  } else {
    // A stack whose creation rolled back or failed holds no usable roles or bucket; an update rollback leaves the
    // previous, working version in place.
    const usable = /_COMPLETE$/.test(toolkit.status) && toolkit.status !== 'ROLLBACK_COMPLETE' && toolkit.status !== 'DELETE_COMPLETE';
    findings.push(usable ? { ok: true, text: `${input.toolkitStackName} is ${toolkit.status}` } : { ok: false, text: `${input.toolkitStackName} is ${toolkit.status}`, fix: `wait for it to finish, or delete it and run ${bootstrap}` });
    const qualifiers = input.versions.map((v) => qualifierOf(v.ssmParameter)).filter((q): q is string => q !== undefined);
    const stackQualifier = toolkit.parameters.Qualifier ?? 'hnb659fds';
    for (const qualifier of new Set(qualifiers)) {
      if (qualifier !== stackQualifier) findings.push({ ok: false, text: `${input.toolkitStackName} has qualifier ${stackQualifier}, the templates use ${qualifier}`, fix: `${bootstrap} --qualifier ${qualifier} --toolkit-stack-name CDKToolkit-${qualifier}` });
    }
    if (input.trustedAccount) {
      const trusted = (toolkit.parameters.TrustedAccounts ?? '').split(',').map((a) => a.trim()).filter(Boolean);
      findings.push(
        trusted.includes(input.trustedAccount)
          ? { ok: true, text: `trusts delivery account ${input.trustedAccount}` }
          : { ok: false, text: `does not trust delivery account ${input.trustedAccount} (trusts: ${trusted.join(', ') || 'none'})`, fix: bootstrap },
      );
    }
  }
  return checkResult(CHECKS.bootstrap, findings);
}

// --- 3. Lambda concurrency ------------------------------------------------------------------------------------

export interface ConcurrencyObservation {
  /** AccountLimit.ConcurrentExecutions: the account's quota in this region. */
  readonly accountLimit: number;
  /** AccountLimit.UnreservedConcurrentExecutions: the quota minus every reservation in the account today. */
  readonly unreserved: number;
  /** Reservations this environment's already-deployed functions hold (0 before the first deploy). */
  readonly reservedByDeployedFunctions: number;
}

/**
 * After the deploy, the account must keep UNRESERVED_CONCURRENCY_MINIMUM unreserved
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html). On a re-deploy this environment's
 * functions already hold reservations counted in today's unreserved figure, and the deploy replaces them rather
 * than adding to them: they are given back before this environment's reservations are taken.
 */
export function decideConcurrency(environmentReserved: number, observed: ConcurrencyObservation): CheckResult {
  const after = observed.unreserved + observed.reservedByDeployedFunctions - environmentReserved;
  const reasoning = `quota ${observed.accountLimit}, unreserved now ${observed.unreserved}${observed.reservedByDeployedFunctions ? ` (${observed.reservedByDeployedFunctions} of it held by this environment's deployed functions)` : ''}, this environment reserves ${environmentReserved}: ${after} unreserved after the deploy`;
  if (after >= UNRESERVED_CONCURRENCY_MINIMUM) return checkResult(CHECKS.concurrency, [{ ok: true, text: `${reasoning} (>= ${UNRESERVED_CONCURRENCY_MINIMUM})` }]);
  const quota = Math.max(observed.accountLimit + (UNRESERVED_CONCURRENCY_MINIMUM - after), requiredConcurrencyQuota(environmentReserved));
  return checkResult(CHECKS.concurrency, [
    {
      ok: false,
      text: `${reasoning}; Lambda refuses a reservation that leaves fewer than ${UNRESERVED_CONCURRENCY_MINIMUM}`,
      fix: `request a Lambda "Concurrent executions" quota of at least ${quota} (Service Quotas, code L-B99A9384), or lower this environment's reservations in its config (lambdaConcurrency.functions, or lambdaConcurrency.reserve: false)`,
    },
  ]);
}

// --- 4. chat --------------------------------------------------------------------------------------------------

export type ChatObservation = { readonly slackWorkspaceIds: readonly string[] } | { readonly teams: readonly { readonly teamId: string; readonly tenantId: string }[] };

/**
 * AWS Chatbot's channel resources need the workspace (Slack) or team (Teams) authorized once in the Chatbot console;
 * the API only lists them.
 */
export function decideChat(chat: EnvironmentConfig['alarms']['chat'], observed: ChatObservation | undefined): CheckResult {
  if (!chat) return checkResult(CHECKS.chat, [{ ok: true, text: 'no alarms.chat in config' }], 'SKIP');
  const chatbotConsole = 'https://console.aws.amazon.com/chatbot/';
  if (chat.type === 'slack') {
    const authorized = observed && 'slackWorkspaceIds' in observed && observed.slackWorkspaceIds.includes(chat.workspaceId);
    return checkResult(CHECKS.chat, [
      authorized
        ? { ok: true, text: `Slack workspace ${chat.workspaceId} is authorized` }
        : { ok: false, text: `Slack workspace ${chat.workspaceId} is not authorized in AWS Chatbot`, fix: `once, in the AWS Chatbot console (${chatbotConsole}): Configure new client → Slack → allow the workspace; invite @aws to channel ${chat.channelId} if it is private` },
    ]);
  }
  const authorized = observed && 'teams' in observed && observed.teams.some((t) => t.teamId === chat.teamId && t.tenantId === chat.tenantId);
  return checkResult(CHECKS.chat, [
    authorized
      ? { ok: true, text: `Microsoft Teams team ${chat.teamId} is authorized` }
      : { ok: false, text: `Microsoft Teams team ${chat.teamId} (tenant ${chat.tenantId}) is not authorized in AWS Chatbot`, fix: `once, in the AWS Chatbot console (${chatbotConsole}): Configure new client → Microsoft Teams → paste a link to channel ${chat.channelId} and approve` },
  ]);
}

// --- 5. hosted zone -------------------------------------------------------------------------------------------

/** The names the stacks put in the configured zone: the API domain, record sets and certificate validations in it. */
export function hostedZoneDomains(config: Pick<EnvironmentConfig, 'api'>, templates: readonly CfnTemplate[]): string[] {
  const zoneId = config.api.customDomain?.hostedZoneId;
  const names = new Set<string>();
  if (config.api.customDomain) names.add(normalizeDomain(config.api.customDomain.domainName));
  for (const template of templates) {
    for (const resource of Object.values(template.Resources ?? {})) {
      const props = resource.Properties ?? {};
      if (resource.Type === 'AWS::Route53::RecordSet' && props.HostedZoneId === zoneId && typeof props.Name === 'string') names.add(normalizeDomain(props.Name));
      if (resource.Type === 'AWS::CertificateManager::Certificate') {
        for (const option of (props.DomainValidationOptions as { DomainName?: unknown; HostedZoneId?: unknown }[] | undefined) ?? []) {
          if (option.HostedZoneId === zoneId && typeof option.DomainName === 'string') names.add(normalizeDomain(option.DomainName));
        }
      }
    }
  }
  return [...names];
}

function normalizeDomain(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

export interface HostedZoneObservation {
  /** As Route 53 returns it, with the trailing dot: `example.com.` */
  readonly name: string;
  readonly privateZone: boolean;
}

export function decideHostedZone(config: Pick<EnvironmentConfig, 'name' | 'api'>, domains: readonly string[], zone: HostedZoneObservation | undefined): CheckResult {
  const custom = config.api.customDomain;
  const zoneId = custom?.hostedZoneId;
  if (!custom || !zoneId) {
    const text = custom ? `no api.customDomain.hostedZoneId: add the certificate validation record and the ${custom.domainName} alias the deploy prints to your DNS` : 'no api.customDomain in config';
    return checkResult(CHECKS.hostedZone, [{ ok: true, text }], 'SKIP');
  }
  if (!zone) return checkResult(CHECKS.hostedZone, [{ ok: false, text: `hosted zone ${zoneId} does not exist in this account`, fix: `create the public zone for ${custom.domainName}'s domain, or fix api.customDomain.hostedZoneId in config/${config.name}.json` }]);
  const zoneName = normalizeDomain(zone.name);
  const findings: Finding[] = [];
  // The config may name the zone too (the stacks then build records and certificates against that name).
  const configuredName = custom.hostedZoneName;
  if (configuredName && normalizeDomain(configuredName) !== zoneName) {
    findings.push({ ok: false, text: `${zoneId} is ${zoneName}, config says ${normalizeDomain(configuredName)}`, fix: `make api.customDomain.hostedZoneId and hostedZoneName in config/${config.name}.json name the same zone` });
  }
  if (zone.privateZone) findings.push({ ok: false, text: `${zoneId} (${zoneName}) is a private zone: certificate validation and the public API name need a public zone`, fix: `point api.customDomain.hostedZoneId at the public zone of ${zoneName}` });
  for (const domain of domains) {
    findings.push(
      domain === zoneName || domain.endsWith(`.${zoneName}`)
        ? { ok: true, text: `${domain} is in ${zoneId} (${zoneName})` }
        : { ok: false, text: `${domain} is not inside zone ${zoneId} (${zoneName})`, fix: `fix api.customDomain.domainName or hostedZoneId in config/${config.name}.json so the name is in the zone` },
    );
  }
  return checkResult(CHECKS.hostedZone, findings);
}

// --- 6. secrets -----------------------------------------------------------------------------------------------

/**
 * The JSON key IntegrationSecret fills at creation for a credential a third party issues (lib/stacks/
 * integrations-stack.ts): the handler never reads it, so such a secret is useless until an SRE puts the real value.
 */
export const PLACEHOLDER_SECRET_KEY = 'placeholder';

export interface SecretReference {
  /** Name (secrets the stacks create) or ARN (secrets they only reference), without a JSON key. */
  readonly id: string;
  /** Created by a stack of this environment (AWS::SecretsManager::Secret with a name). */
  readonly createdByStack: boolean;
  /** Created with a generated placeholder: the real value must be put after the first deploy. */
  readonly placeholder: boolean;
}

/**
 * Every secret the environment needs: those its stacks create, those its templates resolve by dynamic reference
 * (`{{resolve:secretsmanager:<id>:...}}`), and those config names by ARN (services[].secrets,
 * identity.federation[].clientSecretArn).
 */
export function secretReferences(config: Pick<EnvironmentConfig, 'services' | 'identity'>, templates: readonly CfnTemplate[]): SecretReference[] {
  const references = new Map<string, SecretReference>();
  for (const template of templates) {
    for (const resource of Object.values(template.Resources ?? {})) {
      const name = resource.Properties?.Name;
      if (resource.Type !== 'AWS::SecretsManager::Secret' || typeof name !== 'string') continue;
      const generated = resource.Properties?.GenerateSecretString as { GenerateStringKey?: unknown } | undefined;
      references.set(name, { id: name, createdByStack: true, placeholder: generated?.GenerateStringKey === PLACEHOLDER_SECRET_KEY });
    }
  }
  const referenced = new Set<string>();
  for (const template of templates) {
    walkStrings(template, (value) => {
      for (const match of value.matchAll(/\{\{resolve:secretsmanager:([^}]+)\}\}/g)) referenced.add(secretIdOf(match[1]));
    });
  }
  for (const service of config.services) for (const arn of Object.values(service.secrets)) referenced.add(secretIdOf(arn));
  for (const provider of config.identity.federation) if (provider.type === 'oidc') referenced.add(secretIdOf(provider.clientSecretArn));
  for (const id of referenced) {
    const createdName = [...references.values()].find((r) => r.createdByStack && (r.id === id || secretNameOfArn(id) === r.id));
    if (!createdName) references.set(id, { id, createdByStack: false, placeholder: false });
  }
  return [...references.values()];
}

/** An ARN (7 colon-separated fields, then an optional `:json-key...`) or a name (up to the first colon). */
function secretIdOf(reference: string): string {
  return reference.startsWith('arn:') ? reference.split(':').slice(0, 7).join(':') : reference.split(':')[0];
}

/** `arn:...:secret:connect/prod/x-AbCdEf` → `connect/prod/x` (the name without Secrets Manager's 6-character suffix). */
function secretNameOfArn(id: string): string | undefined {
  return id.startsWith('arn:') ? id.split(':')[6]?.replace(/-[A-Za-z0-9]{6}$/, '') : undefined;
}

function walkStrings(value: unknown, visit: (value: string) => void): void {
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) value.forEach((item) => walkStrings(item, visit));
  else if (value && typeof value === 'object') Object.values(value).forEach((item) => walkStrings(item, visit));
}

/** DescribeSecret's view of a secret (never its value). */
export interface SecretObservation {
  /** Version id → staging labels (VersionIdsToStages). */
  readonly versions: Readonly<Record<string, readonly string[]>>;
  readonly deletedDate?: Date;
}

/**
 * DescribeSecret (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html) tells,
 * without reading a value: whether the secret exists, is scheduled for deletion (DeletedDate), and which versions
 * carry which labels. A secret has a value when a version is AWSCURRENT. PutSecretValue makes a new version
 * AWSCURRENT and moves AWSPREVIOUS to the old one
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html), so a placeholder secret
 * whose only version is the one the deploy generated was never given its real value.
 * A secret the stacks create does not exist before the first deploy: that is "created by the deploy", not a
 * failure. A secret they only reference must exist with a value before the deploy, because CloudFormation resolves
 * dynamic references at deploy time and ECS reads task secrets when a task starts:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html
 */
export function decideSecrets(config: Pick<EnvironmentConfig, 'account' | 'region'>, references: readonly SecretReference[], observed: ReadonlyMap<string, SecretObservation | undefined>): CheckResult {
  const put = (id: string) => `aws secretsmanager put-secret-value --secret-id ${id} --secret-string '<JSON value, see README "Secrets">'`;
  const findings = references.map((reference): Finding => {
    const { id } = reference;
    const secret = observed.get(id);
    if (!secret) {
      return reference.createdByStack
        ? { ok: true, text: `${id}: created by the deploy${reference.placeholder ? '; put its real value after the deploy' : ''}` }
        : { ok: false, text: `${id}: does not exist (the stacks reference it and do not create it)`, fix: `create it in ${config.account}/${config.region} with its value before deploying: aws secretsmanager create-secret --name <name> --secret-string '...', then set its ARN in config` };
    }
    if (secret.deletedDate) return { ok: false, text: `${id}: scheduled for deletion on ${secret.deletedDate.toISOString()}`, fix: `aws secretsmanager restore-secret --secret-id ${id}` };
    const versions = Object.values(secret.versions);
    if (!versions.some((stages) => stages.includes('AWSCURRENT'))) return { ok: false, text: `${id}: has no current value (no AWSCURRENT version)`, fix: put(id) };
    if (reference.placeholder && versions.length < 2) return { ok: false, text: `${id}: still holds the placeholder the deploy generated`, fix: put(id) };
    return { ok: true, text: `${id}: has a value` };
  });
  return checkResult(CHECKS.secrets, findings);
}

// --- 7. service images ----------------------------------------------------------------------------------------

export interface ImageReference {
  readonly service: string;
  readonly repository: string;
  readonly tag: string;
  readonly uri: string;
}

/** The image each configured service runs: `services[].imageTag` in the repository ServiceRepositories creates for it. */
export function serviceImages(config: Pick<EnvironmentConfig, 'name' | 'account' | 'region' | 'services'>): ImageReference[] {
  return config.services.map((service) => {
    const repository = serviceRepositoryName(config.name, service.name);
    return { service: service.name, repository, tag: service.imageTag, uri: `${config.account}.dkr.ecr.${config.region}.amazonaws.com/${repository}:${service.imageTag}` };
  });
}

export type ImageObservation = 'present' | 'no-image' | 'no-repository';

export function decideImages(config: Pick<EnvironmentConfig, 'name'>, images: readonly ImageReference[], observed: ReadonlyMap<string, ImageObservation>): CheckResult {
  if (images.length === 0) return checkResult(CHECKS.images, [{ ok: true, text: 'no services in config' }], 'SKIP');
  return checkResult(
    CHECKS.images,
    images.map((image): Finding => {
      const state = observed.get(image.service);
      if (state === 'present') return { ok: true, text: `${image.service}: ${image.repository}:${image.tag} exists` };
      if (state === 'no-repository') return { ok: false, text: `${image.service}: repository ${image.repository} does not exist`, fix: `npx cdk deploy '${config.name}/ServiceRepositories', then push ${image.uri} (docs/SERVICES.md)` };
      return { ok: false, text: `${image.service}: no image tagged ${image.tag} in ${image.repository}`, fix: `build and push ${image.uri} (docs/SERVICES.md), or set services[].imageTag to a pushed tag` };
    }),
  );
}

// --- 8. e-mail subscriptions ----------------------------------------------------------------------------------

export interface AlertTopicReference {
  readonly severity: AlertSeverity;
  readonly arn: string;
  readonly emails: readonly string[];
}

/** The alert topics and their e-mail addresses, named as lib/constructs/monitoring/alert-topics.ts names them. */
export function alertTopics(config: Pick<EnvironmentConfig, 'name' | 'account' | 'region' | 'alarms'>): AlertTopicReference[] {
  const arn = (severity: AlertSeverity) => `arn:aws:sns:${config.region}:${config.account}:${alertTopicName(config.name, severity)}`;
  return [
    { severity: 'critical', arn: arn('critical'), emails: config.alarms.emails },
    { severity: 'warning', arn: arn('warning'), emails: config.alarms.warningEmails ?? config.alarms.emails },
  ];
}

export interface SubscriptionObservation {
  readonly protocol: string;
  readonly endpoint: string;
  /** `PendingConfirmation` until the address confirms (ListSubscriptionsByTopic). */
  readonly subscriptionArn: string;
}

/**
 * ListSubscriptionsByTopic shows an e-mail subscription the address has not confirmed with SubscriptionArn
 * `PendingConfirmation` (https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptionsByTopic.html); such an
 * address receives no alarm. Before the first deploy the topics do not exist: each address gets its confirmation
 * e-mail when the deploy subscribes it.
 */
export function decideSubscriptions(topics: readonly AlertTopicReference[], observed: ReadonlyMap<string, readonly SubscriptionObservation[] | undefined>): CheckResult {
  const findings: Finding[] = [];
  for (const topic of topics) {
    const subscriptions = observed.get(topic.arn);
    if (!subscriptions) {
      findings.push({ ok: true, text: `${topic.severity}: topic created by the deploy; ${topic.emails.join(', ')} must confirm the e-mail AWS sends then` });
      continue;
    }
    for (const email of topic.emails) {
      const subscription = subscriptions.find((s) => s.protocol === 'email' && s.endpoint.toLowerCase() === email.toLowerCase());
      if (!subscription) findings.push({ ok: false, text: `${topic.severity}: ${email} is not subscribed (unsubscribed, or the confirmation expired)`, fix: `aws sns subscribe --topic-arn ${topic.arn} --protocol email --notification-endpoint ${email}, then confirm` });
      else if (subscription.subscriptionArn === 'PendingConfirmation') findings.push({ ok: false, text: `${topic.severity}: ${email} has not confirmed its subscription`, fix: `${email} opens "AWS Notification - Subscription Confirmation" and clicks Confirm subscription` });
      else findings.push({ ok: true, text: `${topic.severity}: ${email} confirmed` });
    }
  }
  return checkResult(CHECKS.subscriptions, findings);
}
