/**
 * The compliance report of a synth: one readable page, `<assembly>/compliance-report.md`, for an auditor. Per
 * environment: each cdk-nag pack and the Control Tower guard rules, the findings (zero: synth stops on any), every
 * acknowledgment with its resource and reason, read back from the synthesized metadata (what CDK's validation
 * honoured, not what the code meant to write), and the guard rules turned off with their reasons (lib/compliance.ts).
 * Written after every synth of the app (bin/connect.ts, the test suite's synth); reading the metadata files costs
 * tens of milliseconds.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { disabledGuardRules, type GatedEnvironment, gatedEnvironments, guardRulesRun } from './compliance';

export const COMPLIANCE_REPORT_FILE = 'compliance-report.md';

/** The packs the gate runs, by the rule id prefix their findings carry. */
export const PACKS: ReadonlyArray<{ readonly name: string; readonly prefix: string }> = [
  { name: 'cdk-nag AwsSolutions', prefix: 'AwsSolutions-' },
  { name: 'cdk-nag NIST 800-53 R5', prefix: 'NIST.800.53.R5-' },
  { name: 'cdk-nag PCI DSS 3.2.1', prefix: 'PCI.DSS.321-' },
];
const OTHER = 'other validations (CDK template checks)';

export interface Acknowledgment {
  readonly environment: string;
  /** Construct path below the environment, e.g. `Integrations/IdempotencyTable`. */
  readonly resource: string;
  /** As recorded: `<plugin>::<rule id>`. */
  readonly id: string;
  readonly rule: string;
  readonly pack: string;
  readonly reason: string;
}

/** An environment as the gate knows it (lib/compliance.ts), by name. */
export type ReportedEnvironment = Omit<GatedEnvironment, 'stage'> & { readonly name: string };

/** Every acknowledgment the synthesized metadata of one environment (nested assembly `assembly-<env>`) holds. */
export function acknowledgmentsIn(assemblyDirectory: string, environment: string): Acknowledgment[] {
  const dir = join(assemblyDirectory, `assembly-${environment}`);
  const found: Acknowledgment[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.metadata.json')).sort()) {
    const metadata = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, Array<{ type: string; data?: unknown }>>;
    for (const [path, entries] of Object.entries(metadata)) {
      for (const entry of entries) {
        if (entry.type !== 'aws:cdk:acknowledged-rules') continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          const rule = id.slice(id.indexOf('::') + 2);
          const pack = PACKS.find((p) => rule.startsWith(p.prefix))?.name ?? OTHER;
          found.push({ environment, resource: path.replace(new RegExp(`^/${environment}/`), ''), id, rule, pack, reason: String(reason) });
        }
      }
    }
  }
  return found.sort((a, b) => a.pack.localeCompare(b.pack) || a.resource.localeCompare(b.resource) || a.rule.localeCompare(b.rule));
}

/** Unacknowledged findings per plugin in the assembly's validation-report.json (zero after a synth that passed). */
function findingsIn(assemblyDirectory: string): Map<string, number> {
  const file = join(assemblyDirectory, 'validation-report.json');
  const counts = new Map<string, number>();
  if (!existsSync(file)) return counts;
  // The cloud assembly schema's PolicyValidationReportJson: pluginReports[] with pluginName and the violations left
  // after acknowledgments (suppressedViolations apart).
  const report = JSON.parse(readFileSync(file, 'utf8')) as { pluginReports?: Array<{ pluginName?: string; violations?: unknown[] }> };
  for (const plugin of report.pluginReports ?? []) {
    const name = plugin.pluginName ?? 'unknown';
    counts.set(name, (counts.get(name) ?? 0) + (plugin.violations?.length ?? 0));
  }
  return counts;
}

/** Resource types in an environment's templates (which guard rules apply). */
function resourceTypes(assemblyDirectory: string, environment: string): Set<string> {
  const dir = join(assemblyDirectory, `assembly-${environment}`);
  const types = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.template.json'))) {
    for (const resource of Object.values<{ Type: string }>(JSON.parse(readFileSync(join(dir, file), 'utf8')).Resources ?? {})) types.add(resource.Type);
  }
  return types;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

export function complianceReport(assemblyDirectory: string, environments: readonly ReportedEnvironment[]): string {
  const findings = findingsIn(assemblyDirectory);
  const totalFindings = [...findings.values()].reduce((a, b) => a + b, 0);
  const acknowledged = new Map(environments.map((e) => [e.name, acknowledgmentsIn(assemblyDirectory, e.name)]));
  const guard = new Map(
    environments.map((e) => {
      const disabled = disabledGuardRules(e);
      return [e.name, { disabled, run: guardRulesRun(resourceTypes(assemblyDirectory, e.name), Object.keys(disabled)).length }];
    }),
  );
  const out = [
    '# Compliance report',
    '',
    'Written by the last synth (`npx cdk synth`, and the test suite\'s) from the synthesized assembly: every environment',
    'passes the cdk-nag packs AwsSolutions, NIST 800-53 R5 and PCI DSS 3.2.1 and the AWS Control Tower proactive',
    'controls (cfn-guard) run by `lib/compliance.ts`. A finding stops synth; each exception is acknowledged on its',
    'resource with a reason (listed below, read from the synthesized metadata); guard rules are never acknowledged,',
    'the few turned off are listed with theirs.',
    '',
    `Unacknowledged findings: **${totalFindings}**${totalFindings > 0 ? ` (${[...findings].filter(([, n]) => n > 0).map(([p, n]) => `${p}: ${n}`).join(', ')}; see validation-report.json)` : ''}.`,
    '',
    '## Per environment',
    '',
    `| environment | kind | ${PACKS.map((p) => `${p.name} acknowledged`).join(' | ')} | guard rules run | guard rules off |`,
    `| --- | --- | ${PACKS.map(() => '---:').join(' | ')} | ---: | ---: |`,
  ];
  for (const e of environments) {
    const acks = acknowledged.get(e.name) ?? [];
    const g = guard.get(e.name)!;
    out.push(`| ${e.name} | ${e.kind} | ${PACKS.map((p) => acks.filter((a) => a.pack === p.name).length).join(' | ')} | ${g.run} | ${Object.keys(g.disabled).length} |`);
  }
  out.push('', '## Control Tower guard rules turned off', '', '| rule | environments | reason |', '| --- | --- | --- |');
  const rules = new Map<string, { reason: string; environments: string[] }>();
  for (const e of environments) {
    for (const [rule, reason] of Object.entries(guard.get(e.name)!.disabled)) {
      const entry = rules.get(rule) ?? { reason, environments: [] };
      entry.environments.push(e.name);
      rules.set(rule, entry);
    }
  }
  for (const [rule, { reason, environments: names }] of [...rules].sort(([a], [b]) => a.localeCompare(b))) out.push(`| ${rule} | ${names.join(', ')} | ${cell(reason)} |`);
  for (const e of environments) {
    const acks = acknowledged.get(e.name) ?? [];
    out.push('', `## Acknowledgments: ${e.name} (${acks.length})`);
    for (const pack of [...PACKS.map((p) => p.name), OTHER]) {
      const inPack = acks.filter((a) => a.pack === pack);
      if (inPack.length === 0) continue;
      out.push('', `### ${pack} (${inPack.length})`, '', '| resource | rule | reason |', '| --- | --- | --- |');
      for (const a of inPack) out.push(`| ${cell(a.resource)} | ${cell(a.rule)} | ${cell(a.reason)} |`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** Writes the report of the environments the app's gate covered into the assembly folder; returns its path. */
export function writeComplianceReport(app: App, assemblyDirectory: string): string {
  const environments = gatedEnvironments(app)
    .filter((e) => existsSync(join(assemblyDirectory, `assembly-${e.stage.stageName}`)))
    .map(({ stage, ...gate }) => ({ ...gate, name: stage.stageName }));
  const file = join(assemblyDirectory, COMPLIANCE_REPORT_FILE);
  writeFileSync(file, complianceReport(assemblyDirectory, environments));
  return file;
}
