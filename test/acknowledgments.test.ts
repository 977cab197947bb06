import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { join } from 'node:path';
import { buildConnectApp } from '../lib/app';
import { loadEnvironmentConfigs } from '../lib/config/load';
import { controlTowerRuleNames } from '../lib/compliance';

interface Acknowledged {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every acknowledgment recorded on the construct tree of every environment (building the tree needs no synth). */
function acknowledgments(): Acknowledged[] {
  const { app } = buildConnectApp(loadEnvironmentConfigs(join(__dirname, '..', 'config')));
  const found: Acknowledged[] = [];
  const visit = (construct: IConstruct) => {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      // Recorded as { "<Plugin>::<rule id>": reason }; CDK's own acknowledgments (CloudFormation-Validate::) are not ours.
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        if (!id.startsWith('CloudFormation-Validate::')) found.push({ path: construct.node.path, id, reason });
      }
    }
    construct.node.children.forEach(visit);
  };
  visit(app);
  return found;
}

describe('acknowledged compliance findings', () => {
  const all = acknowledgments();

  test('there are some, and each sits on a resource of an environment, not on a stack, a stage or the app', () => {
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter((ack) => ack.path.split('/').length < 3)).toEqual([]);
  });

  test('each says why, specifically (a sentence, not a word)', () => {
    const vague = all.filter((ack) => typeof ack.reason !== 'string' || ack.reason.trim().length < 40);
    expect(vague).toEqual([]);
  });

  test('none targets a Control Tower guard rule: one such acknowledgment turns the whole guard report green', () => {
    const guardRules = controlTowerRuleNames();
    // Sanity: the names are read from the plugin's rule files, in every form a finding can go by.
    expect([...guardRules]).toEqual(expect.arrayContaining(['ct-s3-pr-2', 'CT.S3.PR.2', 's3_bucket_logging_enabled_check']));
    const ruleOf = (id: string) => id.slice(id.indexOf('::') + 2); // recorded as '<namespace>::<rule id>'
    const onGuard = all.filter((ack) => ack.id.startsWith('cdk-validator-cfnguard::') || guardRules.has(ruleOf(ack.id)));
    expect(onGuard).toEqual([]);
  });
});
