/** 2. CDK bootstrap: the bootstrap stack, version and qualifier the templates need, and the delivery account's trust. */
import type { CfnTemplate, EnvironmentAssembly } from '../assembly';
import { CHECKS, type CheckResult, checkResult, type Finding } from './check';

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
