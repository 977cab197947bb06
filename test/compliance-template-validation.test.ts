/**
 * CDK's WASM template validation through the content cache (lib/compliance-template-validation.ts): a template it
 * refuses is refused the same way whether it is checked afresh, answered from the cache, or with the cache off. The
 * suite's global synth runs without this validation (aws-env.js), so this is where the cached path is exercised.
 */
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useCachedTemplateValidation } from '../lib/compliance-template-validation';

const outdir = mkdtempSync(join(tmpdir(), 'connect-template-validation-'));
const saved = { validation: process.env.CDK_VALIDATION, cache: process.env.CONNECT_VALIDATION_CACHE };
afterAll(() => {
  Object.assign(process.env, { CDK_VALIDATION: saved.validation, CONNECT_VALIDATION_CACHE: saved.cache });
  if (saved.cache === undefined) delete process.env.CONNECT_VALIDATION_CACHE;
  rmSync(outdir, { recursive: true, force: true });
});

/** Synthesizes a queue whose VisibilityTimeout is not a number (a unique name: a template no earlier run saw). */
function refusal(queueName: string, cache: 'on' | 'off'): string[] {
  process.env.CDK_VALIDATION = 'true';
  process.env.CONNECT_VALIDATION_CACHE = cache;
  useCachedTemplateValidation();
  const app = new App({ outdir: mkdtempSync(join(outdir, 'app-')), context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
  const stack = new Stack(app, 'Queues', { env: { account: '123456789012', region: 'us-east-1' } });
  new CfnResource(stack, 'Queue', { type: 'AWS::SQS::Queue', properties: { QueueName: queueName, VisibilityTimeout: 'not-a-number' } });
  try {
    app.synth();
  } catch (error) {
    return String(error).split('\n').filter((line) => /VisibilityTimeout|F3012|Queues\/Queue/.test(line)).map((line) => line.trim());
  }
  throw new Error('synth passed a template CDK validation refuses');
}

test('a refused template is refused alike when checked, when answered from the cache, and with the cache off', () => {
  const queueName = `validation-${process.pid}-${Date.now()}`;
  const checked = refusal(queueName, 'on');
  expect(checked.join('\n')).toMatch(/VisibilityTimeout: 'not-a-number' is not of type 'integer'/);
  expect(checked.join('\n')).toContain('F3012');
  expect(refusal(queueName, 'on')).toEqual(checked); // the same template again: the kept result
  expect(refusal(queueName, 'off')).toEqual(checked);
}, 60_000);
