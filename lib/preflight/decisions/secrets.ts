/** 6. secrets: every secret the environment reads exists with a real value (or is created by the deploy). */
import type { EnvironmentConfig } from '../../config/schema';
import type { CfnTemplate } from '../assembly';
import { CHECKS, type CheckResult, checkResult, type Finding } from './check';

/**
 * The JSON key IntegrationSecret fills at creation for a credential a third party issues (its `generateKey` in
 * lib/constructs/integrations/*): the handler never reads it, so such a secret is useless until an SRE puts the
 * real value.
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
  for (const template of templates) for (const id of dynamicSecretReferences(template)) referenced.add(id);
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

/**
 * The secret ids a template resolves by dynamic reference, found once per template object: the walk over every
 * string costs ~3 ms a run, and the tests run preflight some 40 times over the same two assemblies (0.1 s).
 */
const dynamicReferencesOf = new WeakMap<CfnTemplate, readonly string[]>();
function dynamicSecretReferences(template: CfnTemplate): readonly string[] {
  let ids = dynamicReferencesOf.get(template);
  if (!ids) {
    const found = new Set<string>();
    walkStrings(template, (value) => {
      for (const match of value.matchAll(/\{\{resolve:secretsmanager:([^}]+)\}\}/g)) found.add(secretIdOf(match[1]));
    });
    dynamicReferencesOf.set(template, (ids = [...found]));
  }
  return ids;
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
