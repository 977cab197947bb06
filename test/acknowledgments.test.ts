import { controlTowerRuleNames } from '../lib/compliance';
import { appAcknowledgments } from './support/assembly';

describe('acknowledged compliance findings', () => {
  // Every environment's, from the tree of the app the global setup synthesized (building it needs no synth, but
  // building it again here cost ~3 s of CPU).
  const all = appAcknowledgments();

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
