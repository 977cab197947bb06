/**
 * CDK's built-in template validation ("@aws-cdk/core:validateAgainstDefaultRules": the WASM CloudFormation check of
 * aws-cdk-lib's CloudFormationValidatePlugin), with each template's result kept in the validation cache
 * (lib/compliance-cache.ts). It is CDK's own plugin, in the place CDK puts it (its default instance, used only when
 * CDK would use it: not with CDK_VALIDATION=false), so it reports and fails as before; a template whose text, stack,
 * account, region, rule set and validator version equal an earlier run's gets that run's violations instead of
 * being checked again. Measured here: ~0.5 s to load the 9 MB WASM module, ~1.8 s to start the engine and ~5 s to
 * check the 34 templates of every environment (CPU, 2-core host), on every synth.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CloudFormationValidatePlugin, type IPolicyValidationContext, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { contentKey, fileContentHash, readCached, validationCacheEnabled, writeCached } from './compliance-cache';

type Violation = PolicyValidationPluginReport['violations'][number];
type StackTemplate = IPolicyValidationContext['stackTemplates'][number];

/** One template's part of the plugin's report, as kept in the cache (its resources' templatePath left out). */
interface TemplateEntry {
  readonly pluginVersion?: string;
  readonly violations: Violation[];
}

const AWS_CDK_LIB_DIR = dirname(require.resolve('aws-cdk-lib'));
/** The built-in rules the plugin picks from (by the resource types present): aws-cdk-lib/core/lib/validation/rules. */
const RULES_DIR = join(AWS_CDK_LIB_DIR, 'core', 'lib', 'validation', 'rules');

/** What the result depends on besides the template: aws-cdk-lib (the plugin, its options) and the validator. */
function validatorIdentity(): string | undefined {
  try {
    const validator = require.resolve('@aws/cloudformation-validate/package.json', { paths: [AWS_CDK_LIB_DIR] });
    const versionOf = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    return `aws-cdk-lib@${versionOf(join(AWS_CDK_LIB_DIR, 'package.json'))} cloudformation-validate@${versionOf(validator)} ${fileContentHash(join(dirname(validator), 'bindings_wasm_bg.wasm'))}`;
  } catch {
    return undefined; // laid out otherwise: no cache
  }
}

/** The built-in rule files the plugin loads for these resource types, with their content (as it selects them). */
function ruleSetOf(types: ReadonlySet<string>): string {
  const index = JSON.parse(readFileSync(join(RULES_DIR, 'index.generated.json'), 'utf8')) as { rules: Array<{ file: string; types: string[] | null }> };
  return index.rules
    .filter((rule) => rule.types === null || rule.types.some((type) => types.has(type)))
    .map((rule) => `${rule.file}:${fileContentHash(join(RULES_DIR, rule.file))}`)
    .sort()
    .join(',');
}

function resourceTypes(templates: readonly string[]): Set<string> {
  const types = new Set<string>();
  for (const template of templates) {
    for (const resource of Object.values<{ Type?: unknown }>(JSON.parse(template).Resources ?? {})) if (typeof resource?.Type === 'string') types.add(resource.Type);
  }
  return types;
}

export class CachedTemplateValidation extends CloudFormationValidatePlugin {
  private versionFromCache?: string;

  /** The validator's version as the plugin reports it; read from the cache when no template needed the validator. */
  override get version(): string | undefined {
    return this.versionFromCache ?? super.version;
  }

  override validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    this.versionFromCache = undefined;
    const identity = validationCacheEnabled() ? validatorIdentity() : undefined;
    if (!identity) return super.validate(context);
    const stacks = context.stackTemplates;
    const texts = stacks.map((stack) => readFileSync(stack.templatePath, 'utf8'));
    const ruleSet = ruleSetOf(resourceTypes(texts));
    const keys = stacks.map((stack, index) => contentKey(['cfn-validate', identity, ruleSet, stack.stackConstructPath, stack.accountId ?? '', stack.region ?? '', texts[index]]));
    const entries = keys.map((key) => readCached<TemplateEntry>('cfn-validate', key));
    const missing = stacks.filter((_, index) => !entries[index]);
    if (missing.length > 0) {
      // The plugin picks its rules by the resource types of the templates it is given: give it all of them when
      // the missing ones alone would pick another rule set.
      const checked = ruleSetOf(resourceTypes(missing.map((stack) => texts[stacks.indexOf(stack)]))) === ruleSet ? missing : stacks;
      const report = super.validate({ ...context, templatePaths: checked.map((stack) => stack.templatePath), stackTemplates: checked });
      const pluginVersion = super.version;
      for (const stack of checked) {
        const index = stacks.indexOf(stack);
        entries[index] = { pluginVersion, violations: violationsOf(report, stack) };
        writeCached('cfn-validate', keys[index], entries[index]);
      }
    } else {
      this.versionFromCache = entries[0]?.pluginVersion;
    }
    return merged(stacks, entries as TemplateEntry[]);
  }
}

/** The violations of one template: each violation of the report with only that template's resources, path left out. */
function violationsOf(report: PolicyValidationPluginReport, stack: StackTemplate): Violation[] {
  return report.violations
    .map((violation) => ({
      ...violation,
      violatingResources: violation.violatingResources.filter((resource) => resource.templatePath === stack.templatePath).map((resource) => ({ ...resource, templatePath: '' })),
    }))
    .filter((violation) => violation.violatingResources.length > 0);
}

/**
 * The report the plugin gives for all the templates at once: it goes through them in order and adds each finding to
 * the violation of the same rule, severity and description if there is one (its resources in the order found), else
 * starts a new one.
 */
function merged(stacks: readonly StackTemplate[], entries: readonly TemplateEntry[]): PolicyValidationPluginReport {
  const violations: Violation[] = [];
  stacks.forEach((stack, index) => {
    for (const violation of entries[index].violations) {
      const resources = violation.violatingResources.map((resource) => ({ ...resource, templatePath: stack.templatePath }));
      const existing = violations.find((v) => v.ruleName === violation.ruleName && v.severity === violation.severity && v.description === violation.description);
      if (existing) (existing.violatingResources as unknown[]).push(...resources);
      else violations.push({ ...violation, violatingResources: resources });
    }
  });
  return { success: violations.every((v) => v.severity !== 'error' && v.severity !== 'fatal'), violations };
}

/**
 * Puts the cached validation where CDK takes its default template validation from (the plugin's singleton, which CDK
 * adds to every app with the feature flag on and CDK_VALIDATION not "false"); CDK decides as before whether it runs.
 */
export function useCachedTemplateValidation(): void {
  const plugin = CloudFormationValidatePlugin as unknown as { _instance?: CloudFormationValidatePlugin; _disposeSingleton(): void };
  if (plugin._instance instanceof CachedTemplateValidation) return;
  plugin._disposeSingleton();
  plugin._instance = new CachedTemplateValidation();
}
