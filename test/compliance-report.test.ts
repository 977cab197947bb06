import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMPLIANCE_REPORT_FILE, complianceReport } from '../lib/compliance-report';
import { DISABLED_GUARD_RULES, PREPRODUCTION_DISABLED_GUARD_RULES } from '../lib/compliance';
import { assemblyDir as testAssemblyDir, ENVIRONMENTS, environmentJson } from './support/assembly';

/** The global test assembly, once its synth is done (environmentJson waits for it). */
function assemblyDir(): string {
  environmentJson('dev');
  return testAssemblyDir();
}

/** Every acknowledgment in one environment's synthesized metadata, read here independently of the report code. */
function metadataAcknowledgments(dir: string, environment: string): Array<{ path: string; rule: string; reason: string }> {
  const nested = join(dir, `assembly-${environment}`);
  const found: Array<{ path: string; rule: string; reason: string }> = [];
  for (const file of readdirSync(nested).filter((f) => f.endsWith('.metadata.json'))) {
    for (const [path, entries] of Object.entries(JSON.parse(readFileSync(join(nested, file), 'utf8')) as Record<string, Array<{ type: string; data: Record<string, string> }>>)) {
      for (const entry of entries.filter((e) => e.type === 'aws:cdk:acknowledged-rules')) {
        for (const [id, reason] of Object.entries(entry.data)) found.push({ path, rule: id.split('::').slice(1).join('::'), reason });
      }
    }
  }
  return found;
}

/** The report's section of one environment: from its heading to the next environment's. */
function section(report: string, environment: string): string {
  const start = report.indexOf(`## Acknowledgments: ${environment} (`);
  if (start === -1) throw new Error(`no section for ${environment}`);
  const next = report.indexOf('\n## ', start + 1);
  return report.slice(start, next === -1 ? undefined : next);
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

describe('compliance report written by the synth (cdk.out/compliance-report.md)', () => {
  const dir = assemblyDir();
  const report = readFileSync(join(dir, COMPLIANCE_REPORT_FILE), 'utf8');

  test.each(ENVIRONMENTS)('%s: lists every acknowledgment the synthesized metadata holds, with its resource, rule and reason', (environment) => {
    const acks = metadataAcknowledgments(dir, environment);
    expect(acks.length).toBeGreaterThan(0);
    const text = section(report, environment);
    expect(text).toContain(`## Acknowledgments: ${environment} (${acks.length})`);
    const missing = acks.filter((a) => !text.includes(`| ${cell(a.path.replace(`/${environment}/`, ''))} | ${cell(a.rule)} | ${cell(a.reason)} |`));
    expect(missing).toEqual([]);
  });

  test('names each pack, zero findings, and every guard rule turned off with its reason', () => {
    for (const pack of ['cdk-nag AwsSolutions', 'cdk-nag NIST 800-53 R5', 'cdk-nag PCI DSS 3.2.1']) expect(report).toContain(pack);
    expect(report).toContain('Unacknowledged findings: **0**');
    for (const [rule, reason] of Object.entries({ ...DISABLED_GUARD_RULES, ...PREPRODUCTION_DISABLED_GUARD_RULES })) expect(report).toMatch(new RegExp(`\\| ${rule} \\| [a-z, -]+ \\| ${cell(reason).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\|`));
    // Pre-production turns CT.CLOUDWATCH.PR.2 off; production keeps it.
    expect(report).toMatch(/\| ct-cloudwatch-pr-2 \| (dev, staging|staging, dev) \|/);
  });

  test('counts per environment: acknowledgments per pack as in the metadata', () => {
    for (const environment of ENVIRONMENTS) {
      const acks = metadataAcknowledgments(dir, environment);
      const count = (prefix: string) => acks.filter((a) => a.rule.startsWith(prefix)).length;
      expect(report).toContain(`| ${environment} | ${environment === 'prod' ? 'production' : 'preproduction'} | ${count('AwsSolutions-')} | ${count('NIST.800.53.R5-')} | ${count('PCI.DSS.321-')} |`);
    }
  });
});

describe('compliance report of a small assembly written by hand', () => {
  const dir = mkdtempSync(join(tmpdir(), 'compliance-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('counts the findings validation-report.json holds, and places each acknowledgment under its pack', () => {
    mkdirSync(join(dir, 'assembly-x'));
    writeFileSync(join(dir, 'assembly-x', 'xApp.template.json'), JSON.stringify({ Resources: { B: { Type: 'AWS::S3::Bucket' } } }));
    writeFileSync(
      join(dir, 'assembly-x', 'xApp.metadata.json'),
      JSON.stringify({
        '/x/App/Bucket': [
          { type: 'aws:cdk:acknowledged-rules', data: { 'Annotation::AwsSolutions-S1': 'the access-log bucket | cannot log into itself' } },
          { type: 'aws:cdk:logicalId', data: 'B' },
        ],
        '/x/App/Fn': [{ type: 'aws:cdk:acknowledged-rules', data: { 'Annotation::NIST.800.53.R5-LambdaConcurrency': 'reserved by config instead' } }],
      }),
    );
    writeFileSync(join(dir, 'validation-report.json'), JSON.stringify({ version: '1', pluginReports: [{ pluginName: 'AwsSolutions', conclusion: 'failure', violations: [{ ruleName: 'a' }, { ruleName: 'b' }] }] }));
    const report = complianceReport(dir, [{ name: 'x', kind: 'production' }]);
    expect(report).toContain('Unacknowledged findings: **2** (AwsSolutions: 2; see validation-report.json)');
    expect(report).toContain('| x | production | 1 | 1 | 0 |');
    expect(report).toContain('### cdk-nag AwsSolutions (1)\n\n| resource | rule | reason |\n| --- | --- | --- |\n| App/Bucket | AwsSolutions-S1 | the access-log bucket \\| cannot log into itself |');
    expect(report).toContain('| App/Fn | NIST.800.53.R5-LambdaConcurrency | reserved by config instead |');
    expect(report).not.toContain('PCI DSS 3.2.1 (');
  });
});
