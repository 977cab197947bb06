import { App, Stack, Stage } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyComplianceGate, DISABLED_GUARD_RULES, disabledGuardRules, PLAIN_HTTP_LOAD_BALANCER_DISABLED_GUARD_RULES, PREPRODUCTION_DISABLED_GUARD_RULES } from '../lib/compliance';

/** Synthesizes one stage holding `build`'s resources behind the compliance gate; returns the error, if any. */
function synthGated(kind: 'production' | 'preproduction', build: (stack: Stack) => void): string | undefined {
  process.env.CDK_VALIDATION = 'false';
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'connect-gate-')) });
  const stage = new Stage(app, 'gate', { env: { account: '111111111111', region: 'us-east-1' } });
  build(new Stack(stage, 'Probe'));
  applyComplianceGate(app, [{ stage, kind }]);
  try {
    app.synth();
    return undefined;
  } catch (error) {
    return String(error);
  }
}

describe('the compliance gate', () => {
  // One synth with the non-compliant resources for all assertions: the packs are the slow part.
  const failure = synthGated('production', (stack) => {
    new s3.Bucket(stack, 'PlainBucket');
    new sqs.CfnQueue(stack, 'PlainQueue', { sqsManagedSseEnabled: false });
    new elbv2.CfnListener(stack, 'PlainHttpListener', {
      loadBalancerArn: 'arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/probe/0123456789abcdef',
      port: 80,
      protocol: 'HTTP',
      defaultActions: [{ type: 'fixed-response', fixedResponseConfig: { statusCode: '404' } }],
    });
  });

  test('fails synth on a non-compliant resource, naming the resource and the rule of each pack', () => {
    expect(failure).toBeDefined();
    expect(failure).toContain('gate/Probe/PlainBucket');
    expect(failure).toMatch(/AwsSolutions-S1/); // no server access logs
    expect(failure).toMatch(/NIST\.800\.53\.R5-S3DefaultEncryptionKMS/);
    expect(failure).toMatch(/PCI\.DSS\.321-S3BucketSSLRequestsOnly/);
  });

  test('runs the Control Tower guard rules too', () => {
    expect(failure).toMatch(/cdk-validator-cfnguard/);
    expect(failure).toMatch(/CT\.SQS\.PR\.\d|CT\.S3\.PR\.\d/);
  });

  test('keeps CT.ELASTICLOADBALANCING.PR.1 on wherever the load balancer is HTTPS (every environment with a hosted zone)', () => {
    expect(failure).toMatch(/CT\.ELASTICLOADBALANCING\.PR\.1/);
    expect(Object.keys(disabledGuardRules({ kind: 'production' }))).not.toContain('ct-elasticloadbalancing-pr-1');
    expect(Object.keys(disabledGuardRules({ kind: 'preproduction' }))).not.toContain('ct-elasticloadbalancing-pr-1');
    expect(Object.keys(disabledGuardRules({ kind: 'preproduction', plainHttpLoadBalancer: true }))).toContain('ct-elasticloadbalancing-pr-1');
  });

  test('passes a compliant stage', () => {
    expect(synthGated('production', () => undefined)).toBeUndefined();
  });

  test('every Control Tower rule turned off says why', () => {
    for (const [rule, reason] of Object.entries({ ...DISABLED_GUARD_RULES, ...PREPRODUCTION_DISABLED_GUARD_RULES, ...PLAIN_HTTP_LOAD_BALANCER_DISABLED_GUARD_RULES })) {
      expect(rule).toMatch(/^ct-[a-z0-9]+-pr-\d+$/);
      expect(reason.length).toBeGreaterThan(40);
    }
  });
});
