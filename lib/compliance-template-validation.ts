/**
 * CDK's built-in template validation ("@aws-cdk/core:validateAgainstDefaultRules": the WASM CloudFormation check of
 * aws-cdk-lib's CloudFormationValidatePlugin), with each template's result kept in the validation cache
 * (lib/compliance-cache.ts). It is CDK's own plugin, in the place CDK puts it (its default instance, used only when
 * CDK would use it: not with CDK_VALIDATION=false), so it reports and fails as before; a template whose text, stack,
 * account, region, rule set and validator version equal an earlier run's gets that run's violations instead of
 * being checked again. Measured here: ~0.5 s to load the 9 MB WASM module, ~1.8 s to start the engine and ~5 s to
 * check the 34 templates of every environment (CPU, 2-core host), on every synth.
 *
 * When no result is kept at all (a fresh clone, CI), the plugin starts in a worker thread as the app starts building
 * (prestart), so that its start overlaps the construct tree instead of following it (cold all-environment synth,
 * 3 interleaved pairs at load ~7: wall median 20.6 s with it, 30.4 s without), and checks the environments'
 * templates as soon as they are written (validateEarly), while the delivery Stage and the app are still synthesized.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type App, CloudFormationValidatePlugin, type IPolicyValidationContext, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { fileContentHash } from './build-cache';
import { contentKey, hasCached, readCached, writeCached } from './compliance-cache';
import { ValidationWorker } from './compliance-template-validation-worker';

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
    // A published version's files do not change (hashing the 9 MB WASM module cost ~80 ms per synth); its size is
    // kept as well against a module replaced in place.
    const wasmSize = statSync(join(dirname(validator), 'bindings_wasm_bg.wasm')).size;
    return `aws-cdk-lib@${versionOf(join(AWS_CDK_LIB_DIR, 'package.json'))} cloudformation-validate@${versionOf(validator)} wasm:${wasmSize}`;
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
  private knownVersion?: string;
  private worker?: ValidationWorker;
  /** Templates sent to the worker before CDK validates (validateEarly), by cache key, and the worker's ticket. */
  private early?: { readonly ticket: number; readonly stacks: readonly StackTemplate[]; readonly keys: readonly string[] };

  /**
   * Starts the validator in a worker thread now, when this synth will have to check every template (no result kept:
   * a fresh clone, CI, the cache off): loading its WASM module and starting its engine (~2.3 s of CPU) then overlap
   * the building of the construct tree, which keeps one core only, instead of following it.
   */
  prestart(app: App): void {
    const builtin = (app as unknown as { _builtinCloudFormationValidation?: boolean })._builtinCloudFormationValidation !== false;
    if (this.worker || !builtin || process.env.CDK_VALIDATION === 'false' || hasCached('cfn-validate')) return;
    try {
      this.worker = new ValidationWorker();
    } catch {
      // no worker: the templates are checked in this thread
    }
  }

  /** The validator's version as the plugin reports it: the cache's or the worker's, else the validator's in this thread. */
  override get version(): string | undefined {
    return this.knownVersion ?? super.version;
  }

  /**
   * Sends the templates of Stages already synthesized (the environments, which the platform pipeline synthesizes
   * while it is built) to the worker, which checks them while this thread builds the rest. Their results are used
   * where CDK's templates have the same key (same text, stack, account, region and rule set); nothing else is.
   */
  validateEarly(stageDirectories: readonly string[]): void {
    const identity = validatorIdentity();
    if (!this.worker || this.early || !identity) return;
    const stacks = stageDirectories.flatMap(stackTemplatesIn);
    if (stacks.length === 0) return;
    const texts = stacks.map((stack) => readFileSync(stack.templatePath, 'utf8'));
    const types = resourceTypes(texts);
    const keys = templateKeys(identity, stacks, texts, ruleSetOf(types));
    const ticket = this.worker.post({ templatePaths: stacks.map((stack) => stack.templatePath), stackTemplates: stacks } as IPolicyValidationContext, engineTypes(types));
    this.early = { ticket, stacks, keys };
  }

  override validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    this.knownVersion = undefined;
    const stacks = context.stackTemplates;
    const texts = stacks.map((stack) => readFileSync(stack.templatePath, 'utf8'));
    // Each template parsed once for its types; the rule set of any subset is read from these.
    const typesByStack = new Map(stacks.map((stack, index) => [stack, resourceTypes([texts[index]])]));
    const typesOf = (subset: readonly StackTemplate[]) => new Set(subset.flatMap((stack) => [...(typesByStack.get(stack) ?? [])]));
    const identity = validatorIdentity();
    if (!identity) return this.validateNow(context, typesOf(stacks)).report;
    const ruleSet = ruleSetOf(typesOf(stacks));
    const keys = templateKeys(identity, stacks, texts, ruleSet);
    const early = this.earlyEntries();
    const entries = keys.map((key) => early.get(key) ?? readCached<TemplateEntry>('cfn-validate', key));
    const missing = stacks.filter((_, index) => !entries[index]);
    if (missing.length > 0) {
      // The plugin picks its rules by the resource types of the templates it is given: give it all of them when
      // the missing ones alone would pick another rule set.
      const checked = ruleSetOf(typesOf(missing)) === ruleSet ? missing : stacks;
      const checkedContext = { ...context, templatePaths: checked.map((stack) => stack.templatePath), stackTemplates: checked };
      const { report, pluginVersion } = this.validateNow(checkedContext, typesOf(checked));
      for (const stack of checked) {
        const index = stacks.indexOf(stack);
        entries[index] = { pluginVersion, violations: violationsOf(report, stack) };
        writeCached('cfn-validate', keys[index], entries[index]);
      }
    } else {
      this.knownVersion = entries[0]?.pluginVersion;
    }
    this.worker?.stop();
    this.worker = undefined;
    return merged(stacks, entries as TemplateEntry[]);
  }

  /** The results of validateEarly's templates, by their keys (kept in the cache as well). */
  private earlyEntries(): Map<string, TemplateEntry> {
    const early = this.early;
    this.early = undefined;
    const answer = early && this.worker?.answer(early.ticket);
    const entries = new Map<string, TemplateEntry>();
    if (!early || !answer) return entries;
    early.stacks.forEach((stack, index) => {
      const entry = { pluginVersion: answer.pluginVersion, violations: violationsOf(answer.report, stack) };
      entries.set(early.keys[index], entry);
      writeCached('cfn-validate', early.keys[index], entry);
    });
    return entries;
  }

  /** The plugin's own validation, in the worker if one was started (then in this thread if the worker fails). */
  private validateNow(context: IPolicyValidationContext, types: ReadonlySet<string>): { report: PolicyValidationPluginReport; pluginVersion?: string } {
    const worker = this.worker;
    this.worker = undefined;
    try {
      const answer = worker?.answer(worker.post(context, engineTypes(types)));
      if (answer) {
        this.knownVersion = answer.pluginVersion;
        return answer;
      }
    } finally {
      worker?.stop();
    }
    return { report: super.validate(context), pluginVersion: super.version };
  }
}

/** The key of each template's result in the cache. */
function templateKeys(identity: string, stacks: readonly StackTemplate[], texts: readonly string[], ruleSet: string): string[] {
  return stacks.map((stack, index) => contentKey(['cfn-validate', identity, ruleSet, stack.stackConstructPath, stack.accountId ?? '', stack.region ?? '', texts[index]]));
}

/** The types to keep the worker's engine for (started for no types), when they pick the same built-in rules. */
function engineTypes(types: ReadonlySet<string>): ReadonlySet<string> | undefined {
  return ruleSetOf(types) === ruleSetOf(new Set()) ? types : undefined;
}

/** A synthesized Stage's stacks as CDK gives them to a validation plugin (read from its assembly's manifest). */
function stackTemplatesIn(directory: string): StackTemplate[] {
  const manifestFile = join(directory, 'manifest.json');
  if (!existsSync(manifestFile)) return [];
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    artifacts?: Record<string, { type: string; environment?: string; displayName?: string; properties?: { templateFile?: string } }>;
  };
  return Object.entries(manifest.artifacts ?? {}).flatMap(([id, artifact]) => {
    const templateFile = artifact.properties?.templateFile;
    if (artifact.type !== 'aws:cloudformation:stack' || !templateFile) return [];
    const [account, region] = (artifact.environment ?? '').replace(/^aws:\/\//, '').split('/');
    const known = (value: string | undefined) => (value && !value.startsWith('unknown-') ? value : undefined);
    return [{ stackConstructPath: artifact.displayName ?? id, templatePath: join(directory, templateFile), accountId: known(account), region: known(region) }];
  });
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
export function useCachedTemplateValidation(): CachedTemplateValidation {
  const plugin = CloudFormationValidatePlugin as unknown as { _instance?: CloudFormationValidatePlugin; _disposeSingleton(): void };
  if (plugin._instance instanceof CachedTemplateValidation) return plugin._instance;
  plugin._disposeSingleton();
  const cached = new CachedTemplateValidation();
  plugin._instance = cached;
  return cached;
}
