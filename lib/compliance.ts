import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, parse } from 'node:path';
import { type App, type IPolicyValidationContext, type IPolicyValidationPlugin, type PolicyValidationPluginReport, type Stage, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { GuardSession } from './compliance-guard';
import { guardRuleResourceTypes } from './compliance-guard-rules';
import { useCachedTemplateValidation } from './compliance-template-validation';

/**
 * Control Tower proactive rules turned off (by rule file id, e.g. ct-cloudwatch-pr-3), each with why. (Acknowledging one guard finding turns the whole guard
 * report green — a known bug of the plugin — so rules are disabled here instead, in plain sight.)
 */
export const DISABLED_GUARD_RULES: Readonly<Record<string, string>> = {
  // CT.CLOUDWATCH.PR.3 accepts only a literal key ARN or a key in the same template. Every log group here uses the
  // environment's logs key from the Security stack (a cross-stack reference), which the rule cannot follow;
  // cdk-nag's NIST.800.53.R5 / PCI.DSS.321 CloudWatchLogGroupEncrypted rules enforce the same control and do.
  'ct-cloudwatch-pr-3': 'log groups use the logs key of the Security stack; enforced by cdk-nag CloudWatchLogGroupEncrypted',
  // CT.LAMBDA.PR.3 accepts VpcConfig subnet and security group ids only as literal strings or references to
  // resources of the same template. Every function of ours is a ConnectFunction, in the VPC's private subnets, but
  // its SubnetIds come from the Network stack (Fn::GetStackOutput), which the rule cannot follow, so it fails all
  // of them; it also flags the providers CDK deploys for custom resources (e.g. the one that closes the VPC's
  // default security group), which run outside the VPC by design. cdk-nag's NIST.800.53.R5 / PCI.DSS.321
  // LambdaInsideVPC rules check every function of ours and do follow the reference.
  'ct-lambda-pr-3': 'our functions are in the VPC but take subnet ids from the Network stack, which the rule cannot follow; enforced by cdk-nag LambdaInsideVPC',
  // CT.ECS.PR.2 accepts only containerInsights = "enabled"; the Services cluster uses "enhanced", which AWS defines as
  // a superset of it (task- and container-level metrics as well). Container Insights stays on for every cluster.
  'ct-ecs-pr-2': 'the services cluster runs Container Insights "enhanced", a superset of the "enabled" the rule looks for',
  // CT.SQS.PR.2 accepts only a literal key id or a key in the same template. Every queue (QueueWithDlq) uses the
  // data key of the Security stack, a cross-stack reference (Fn::GetStackOutput) the rule cannot follow; cdk-nag's
  // AwsSolutions-SQS2 (SQSQueueSSE) enforces encryption at rest on every queue and does.
  'ct-sqs-pr-2': 'queues use the data key of the Security stack; enforced by cdk-nag AwsSolutions-SQS2',
  // CT.S3.PR.2 (access logging) and CT.S3.PR.10 (SSE-KMS) fail exactly the AccessLogsBucket instances: the targets
  // of S3 server access logs (one per stack with data buckets: Integrations, Operations, ...) and of the ALB's access
  // logs (Services). None can log into itself, and both log deliveries write to SSE-S3 buckets only. cdk-nag's
  // S3BucketLoggingEnabled / S3DefaultEncryptionKMS rules enforce both controls on every other bucket, with the
  // exceptions acknowledged on AccessLogsBucket (a guard rule cannot be acknowledged on a resource: one acknowledgment
  // turns the whole guard report green, so these rules are off and the nag rules carry the control).
  'ct-s3-pr-2': 'fails only the access-log buckets (targets of S3 server access logs and ALB access logs), which cannot log into themselves; enforced on every other bucket by cdk-nag S3BucketLoggingEnabled',
  'ct-s3-pr-10': 'fails only the access-log buckets: S3 server access log and ALB access log delivery write SSE-S3 only; enforced on every other bucket by cdk-nag S3DefaultEncryptionKMS',
  // CT.S3.PR.4 wants event notifications on every bucket. Nothing consumes object events here: the archive is read
  // only for replays and audits, and who touched it is in the server access logs and CloudTrail.
  'ct-s3-pr-4': 'no bucket has a consumer of object events; access is audited through server access logs and CloudTrail',
  // CT.S3.PR.9 wants S3 Object Lock. A choice, not a constraint: Object Lock in governance mode with a default
  // retention shorter than the lifecycle expirations would work. We do not lock because the raw-event archive holds
  // personal data that must stay erasable on a data subject's request, and the access logs are bounded by lifecycle
  // rules; the buckets are versioned, TLS-only, retained in production, and who touched them is in their access
  // logs and CloudTrail. Revisit if an auditor requires write-once storage for the archive.
  'ct-s3-pr-9': 'a choice: versioned, retained buckets; the archive holds personal data that must stay erasable, so no Object Lock',
};

/** Rules off in pre-production only. */
export const PREPRODUCTION_DISABLED_GUARD_RULES: Readonly<Record<string, string>> = {
  // CT.CLOUDWATCH.PR.2 wants a year of logs. Pre-production logs hold test traffic; config keeps them 30-90 days.
  // Production keeps the rule, and the config schema accepts only retention periods CloudWatch offers.
  'ct-cloudwatch-pr-2': 'pre-production logs hold test traffic only; retention set per environment in config',
};

/**
 * Rules off only in an environment whose internal ALB keeps HTTP listeners (services but no hosted zone: dev).
 * CT.ELASTICLOADBALANCING.PR.1 wants every HTTP listener to redirect to HTTPS. With a hosted zone
 * (api.customDomain.hostedZoneId) the ALB's production and test listeners are HTTPS with a DNS-validated
 * certificate and the rule stays on; without one there is no name to certify, and the HTTP listeners are
 * acknowledged on that ALB (cdk-nag ALBHttpToHttpsRedirection, ELBv2ACMCertificateRequired) with the reason.
 */
export const PLAIN_HTTP_LOAD_BALANCER_DISABLED_GUARD_RULES: Readonly<Record<string, string>> = {
  'ct-elasticloadbalancing-pr-1': 'the internal ALB of an environment without a hosted zone keeps HTTP listeners inside the VPC; acknowledged on that ALB with the reason',
};

/**
 * Rules off only in the delivery Stage (the tooling account), whose service pipelines build container images.
 * CT.CODEBUILD.PR.4 wants no CodeBuild project in privileged mode, and CodeBuild runs the Docker daemon only in
 * privileged mode ("required ... to build Docker images", https://docs.aws.amazon.com/codebuild/latest/userguide/create-project.html).
 * Only the image build and release projects of the service pipelines are privileged (test/delivery.test.ts checks
 * that every other project is not), and the matching cdk-nag rule (AwsSolutions-CB3) is acknowledged on each of them.
 */
export const IMAGE_BUILD_DISABLED_GUARD_RULES: Readonly<Record<string, string>> = {
  'ct-codebuild-pr-4': 'the service pipelines build and push Docker images, which needs CodeBuild privileged mode; only those projects are privileged (tested), each acknowledged with cdk-nag AwsSolutions-CB3',
};

/** What the gate needs to know of an environment. */
export interface GatedEnvironment {
  readonly stage: Stage;
  readonly kind: 'production' | 'preproduction';
  /** Its internal load balancer has HTTP listeners (no hosted zone to certify a name in). */
  readonly plainHttpLoadBalancer?: boolean;
  /** It builds container images in CodeBuild (the delivery Stage). */
  readonly buildsContainerImages?: boolean;
}

/**
 * The compliance gate: cdk-nag AwsSolutions, NIST 800-53 R5 and PCI DSS 3.2.1 plus the cfn-guard Control Tower
 * proactive rules, run on every synth of the app (bin/ and the tests build the same app). Any unacknowledged
 * finding fails synth; the report is written to cdk.out/validation-report.json.
 *
 * The nag packs are registered once, on the app: each pack walks the whole construct tree whatever scope it is
 * registered on, so packs per Stage would walk every environment once per environment (measured: all-environment
 * synth 3.4x one environment). The guard rules run per Stage, because pre-production turns one rule off.
 */
export function applyComplianceGate(app: App, environments: readonly GatedEnvironment[]): void {
  gated.set(app, environments);
  // CDK's built-in template validation, each template's result kept by content (lib/compliance-template-validation.ts).
  useCachedTemplateValidation();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app), new PCIDSS321Checks(app));
  // One cfn-guard session per app: the first Stage validated starts every Stage's guard (lib/compliance-guard.ts).
  const session = new GuardSession();
  for (const environment of environments) {
    Validations.of(environment.stage).addPlugins(new ControlTowerGuard(session, environment.stage, Object.keys(disabledGuardRules(environment))));
  }
}

const gated = new WeakMap<App, readonly GatedEnvironment[]>();

/** The environments the gate was applied to on an app (what the compliance report after its synth describes). */
export function gatedEnvironments(app: App): readonly GatedEnvironment[] {
  return gated.get(app) ?? [];
}

/** The Control Tower rules turned off for one environment, with their reasons. */
export function disabledGuardRules(environment: Omit<GatedEnvironment, 'stage'>): Record<string, string> {
  return {
    ...DISABLED_GUARD_RULES,
    ...(environment.kind === 'preproduction' ? PREPRODUCTION_DISABLED_GUARD_RULES : {}),
    ...(environment.plainHttpLoadBalancer ? PLAIN_HTTP_LOAD_BALANCER_DISABLED_GUARD_RULES : {}),
    ...(environment.buildsContainerImages ? IMAGE_BUILD_DISABLED_GUARD_RULES : {}),
  };
}

const CONTROL_TOWER_RULES_DIR = join(dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')), 'rules', 'control-tower', 'cfn-guard');
/** A rule file's primary guard rules (`rule s3_bucket_logging_enabled_check when is_cfn_template(...)`) and control ids (`[CT.S3.PR.2]:`). */
const GUARD_RULE_NAME = /^rule\s+([A-Za-z0-9_]+)\s+when\s+is_cfn_template/gm;
const CONTROL_ID = /\[(CT\.[A-Z0-9]+\.PR\.\d+)\]/g;

/** Every Control Tower rule file with the resource types it can pass or fail a template by (read once per process). */
const controlTowerRules: ReadonlyArray<{ readonly id: string; readonly path: string; readonly types: ReadonlySet<string>; readonly names: ReadonlySet<string> }> = readdirSync(CONTROL_TOWER_RULES_DIR, {
  recursive: true,
})
  .map(String)
  .filter((file) => file.endsWith('.guard'))
  .map((file) => {
    const path = join(CONTROL_TOWER_RULES_DIR, file);
    const text = readFileSync(path, 'utf8');
    return {
      id: parse(file).name,
      path,
      types: guardRuleResourceTypes(text),
      names: new Set([...text.matchAll(GUARD_RULE_NAME)].map((m) => m[1]).concat([...text.matchAll(CONTROL_ID)].map((m) => m[1]))),
    };
  });

/**
 * Every name a Control Tower guard finding can go by: rule file ids (ct-s3-pr-2), control ids (CT.S3.PR.2) and the
 * guard rule names a violation reports (s3_bucket_logging_enabled_check). An acknowledgment of any of them would
 * turn the whole guard report green (the plugin's known bug), so none may be acknowledged (test/acknowledgments).
 */
export function controlTowerRuleNames(): ReadonlySet<string> {
  return new Set(controlTowerRules.flatMap((rule) => [rule.id, ...rule.names]));
}

/** The Control Tower rule files run over templates holding the `present` resource types, less the disabled ones. */
export function guardRulesRun(present: ReadonlySet<string>, disabledRules: readonly string[]): ReadonlyArray<{ readonly id: string; readonly path: string }> {
  return (
    controlTowerRules
      .filter((rule) => !disabledRules.includes(rule.id))
      // A rule file that names no resource type (none today) is always run.
      .filter((rule) => rule.types.size === 0 || [...rule.types].some((type) => present.has(type)))
  );
}

/**
 * The Control Tower proactive rules through cfn-guard, each template given only the rule files that check a resource
 * type it contains. The others cannot find anything to check (each rule selects `Resources.*[ Type == ... ]` first),
 * but cfn-guard still pays for every rule over every resource: measured on this app, 237 rule files cost ~12 s per
 * environment, the rules of the types present in the environment ~a third of that, per template less than half
 * again, and the rules of the types each rule selects (not every type it names: lib/compliance-guard-rules.ts) a
 * third less again. The templates' cfn-guard processes run in parallel, beside the rest of the validation (lib/compliance-guard.ts).
 */
class ControlTowerGuard implements IPolicyValidationPlugin {
  readonly name = 'cdk-validator-cfnguard';

  constructor(
    private readonly session: GuardSession,
    stage: Stage,
    private readonly disabledRules: readonly string[],
  ) {
    session.register(stage, (templatePath) => this.rulesFor(templatePath));
  }

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    return this.session.validate(context, (templatePath) => this.rulesFor(templatePath));
  }

  /** The rule files of the resource types the template holds, less the disabled ones. */
  private rulesFor(templatePath: string): readonly string[] {
    const present = new Set(Object.values<{ Type: string }>(JSON.parse(readFileSync(templatePath, 'utf8')).Resources ?? {}).map((r) => r.Type));
    return guardRulesRun(present, this.disabledRules).map((rule) => rule.path);
  }
}
