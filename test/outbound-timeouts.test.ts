/**
 * Issue 11 item 14: every outbound call of a handler gives up before its function times out. The stack passes each
 * function's limits in its environment (ConnectFunction `outboundCalls`); here the synthesized templates of every
 * environment are read back and the slowest call each function's limits allow is compared with its Timeout.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  AWS_CALL_ENV,
  type AwsCallLimits,
  awsCallLimitsFromEnv,
  awsCallWorstCaseMs,
  HTTP_CALL_ENV,
  type HttpCallLimits,
  httpCallWorstCaseMs,
} from '../lambda/shared/outbound-limits';
import { ConnectFunction, outboundCallsEnvironment } from '../lib/constructs/connect-function';
import { ENVIRONMENTS, stackTemplate } from './support/assembly';

const limitsOf = <K extends string>(names: Record<K, string>, env: Record<string, string>): Record<K, number> | undefined => {
  if (!Object.values(names).every((name) => typeof env[name as string] === 'string')) return undefined;
  return Object.fromEntries(Object.entries(names).map(([key, name]) => [key, Number(env[name as string])])) as Record<K, number>;
};

describe.each(ENVIRONMENTS)('%s: every integration function', (environment) => {
  const functions = Object.entries(stackTemplate(environment, 'Integrations').findResources('AWS::Lambda::Function')) as Array<[string, any]>;

  test('has AWS call limits whose slowest call ends before the function times out', () => {
    expect(functions.length).toBeGreaterThanOrEqual(4);
    for (const [id, fn] of functions) {
      const env = fn.Properties.Environment?.Variables ?? {};
      const aws = limitsOf(AWS_CALL_ENV, env) as AwsCallLimits | undefined;
      expect({ id, aws: aws !== undefined }).toEqual({ id, aws: true });
      // The handler reads exactly these values back.
      expect(awsCallLimitsFromEnv(env)).toEqual(aws);
      expect({ id, ok: awsCallWorstCaseMs(aws as AwsCallLimits) < fn.Properties.Timeout * 1000 }).toEqual({ id, ok: true });
    }
  });

  test('that calls an HTTP API (Modyo, the CRM, a payment provider) has HTTP limits ending before its timeout', () => {
    const withHttp = functions.filter(([, fn]) => Object.keys(fn.Properties.Environment?.Variables ?? {}).some((name) => /^(MODYO_BASE_URL|CRM_ENDPOINT_URL|KHIPU_API_BASE_URL|WEBPAY_API_BASE_URL)$/.test(name)));
    expect(withHttp.length).toBeGreaterThanOrEqual(2);
    for (const [id, fn] of withHttp) {
      const http = limitsOf(HTTP_CALL_ENV, fn.Properties.Environment.Variables) as HttpCallLimits | undefined;
      expect({ id, http: http !== undefined }).toEqual({ id, http: true });
      expect({ id, ok: httpCallWorstCaseMs(http as HttpCallLimits) < fn.Properties.Timeout * 1000 }).toEqual({ id, ok: true });
    }
  });
});

describe('ConnectFunction', () => {
  test('refuses limits whose slowest call could outlast the timeout, naming the function and both numbers', () => {
    expect(() => outboundCallsEnvironment('Slow', Duration.seconds(7), { http: { timeoutMs: 2_000, maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 } })).toThrow(
      /Function Slow: an HTTP call may take up to 8000 ms .* function's timeout of 7000 ms/,
    );
    expect(() => outboundCallsEnvironment('SlowAws', Duration.seconds(3), {})).toThrow(/Function SlowAws: an AWS SDK call may take up to 6300 ms/);
    expect(outboundCallsEnvironment('Fine', Duration.seconds(10), {})).toMatchObject({ AWS_REQUEST_TIMEOUT_MS: '1000', AWS_MAX_ATTEMPTS: '3' });
  });

  test('a function whose limits outlast its timeout fails synth', () => {
    const stack = new Stack(new App(), 'Check', { env: { account: '123456789012', region: 'us-east-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { availabilityZones: ['us-east-1a'], natGateways: 0, subnetConfiguration: [{ name: 'p', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const make = () =>
      new ConnectFunction(stack, 'Hasty', {
        handler: 'pre-token-generation',
        description: 'test',
        invokedBy: 'sqs',
        vpc,
        logRetention: logs.RetentionDays.ONE_WEEK,
        logsKey: new kms.Key(stack, 'Key'),
        timeout: Duration.seconds(7),
        reservedConcurrency: 1,
        outboundCalls: { http: { timeoutMs: 7_000, maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 } },
      });
    expect(make).toThrow(/Function Hasty: an HTTP call may take up to 7000 ms/);
  });
});
