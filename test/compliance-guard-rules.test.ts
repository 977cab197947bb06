/**
 * The resource types a Control Tower rule file is run for (lib/compliance-guard-rules.ts): the types its top-level
 * rules select, and every type it names when its shape is anything else.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { guardRuleResourceTypes, namedResourceTypes, selectedResourceTypes } from '../lib/compliance-guard-rules';

const RULES_DIR = join(dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')), 'rules', 'control-tower', 'cfn-guard');
const ruleFiles = readdirSync(RULES_DIR, { recursive: true })
  .map(String)
  .filter((file) => file.endsWith('.guard'))
  .map((file) => ({ file, text: readFileSync(join(RULES_DIR, file), 'utf8') }));

const SHAPED = `
let BUCKET_TYPE = "AWS::S3::Bucket"
let INPUT_DOCUMENT = this
let buckets = Resources.*[ Type == %BUCKET_TYPE ]
rule bucket_check when is_cfn_template(%INPUT_DOCUMENT)
                       %buckets not empty {
    check(%buckets.Properties)
}
rule bucket_check when is_cfn_hook(%INPUT_DOCUMENT, %BUCKET_TYPE) {
    check(%INPUT_DOCUMENT.%BUCKET_TYPE.resourceProperties)
}
rule check(bucket) {
    %bucket { KmsKeyArn exists or query(%INPUT_DOCUMENT, KmsKeyArn, "AWS::KMS::Key") }
}
`;

test('a rule file of the Control Tower shape is run for the types its rules select, not for those it only refers to', () => {
  expect([...guardRuleResourceTypes(SHAPED)]).toEqual(['AWS::S3::Bucket']);
  expect(namedResourceTypes(SHAPED)).toEqual(new Set(['AWS::S3::Bucket', 'AWS::KMS::Key']));
});

test.each([
  ['a clause outside any rule', `${SHAPED}\nResources.*.Properties exists\n`],
  ['a top-level rule without a condition', `${SHAPED}\nrule everything {\n  Resources exists\n}\n`],
  ['a rule on another condition', SHAPED.replace('%buckets not empty', '%buckets empty')],
  ['a selection by something else than its type', SHAPED.replace('[ Type == %BUCKET_TYPE ]', '[ Type == %BUCKET_TYPE or Properties exists ]')],
  ['a selection assigned twice', `${SHAPED}\nlet buckets = Resources.*\n`],
])('a rule file with %s is run for every type it names', (_, text) => {
  expect(selectedResourceTypes(text)).toBeUndefined();
  expect(guardRuleResourceTypes(text)).toEqual(namedResourceTypes(text));
});

test('every shipped rule file is run for some type, and only for types it names', () => {
  for (const { file, text } of ruleFiles) {
    const types = guardRuleResourceTypes(text);
    expect({ file, runs: types.size > 0 }).toEqual({ file, runs: true });
    expect({ file, unnamed: [...types].filter((type) => !namedResourceTypes(text).has(type)) }).toEqual({ file, unnamed: [] });
  }
  // All but a few are read by their selections (the rest keep every type they name).
  expect(ruleFiles.filter(({ text }) => selectedResourceTypes(text) === undefined).length).toBeLessThan(10);
});
