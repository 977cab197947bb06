import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as synthetics from 'aws-cdk-lib/aws-synthetics';
import { Construct } from 'constructs';
import type { OperationsConfig } from '../../config/operations';
import type { MonitoredCanary } from '../monitoring/alarm-spec';
import { SecureBucket } from '../secure-bucket';

/** The canary's script: plain CommonJS, inlined as is (and run by the tests against a local server). */
export const API_CANARY_SCRIPT = join(__dirname, 'canary', 'api-health-check.js');

/**
 * Synthetics runtime of the canary: the newest Node.js runtime aws-cdk-lib 2.276 names (Node.js 22, whose global
 * fetch the script uses; https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Library_nodejs_puppeteer.html).
 * The script opens no browser, so the Puppeteer and Playwright runtimes serve it alike.
 */
export const API_CANARY_RUNTIME = synthetics.Runtime.SYNTHETICS_NODEJS_PUPPETEER_13_0;

export interface ApiCanaryProps {
  readonly environment: string;
  readonly canary: OperationsConfig['canary'];
  /** The API's base URL ending in "/" (custom domain, or the execute-api stage URL). */
  readonly apiBaseUrl: string;
  readonly logsKey: kms.IKey;
  readonly accessLogsBucket: s3.IBucket;
}

/**
 * A CloudWatch Synthetics canary per environment calling the API's public health route from outside (Synthetics
 * runs it from AWS's network, not the VPC), every `canary.everyMinutes`; a run fails unless the route answers 2xx.
 * Its run artifacts go to a KMS-encrypted bucket of their own, kept 30 days. `monitored` is what the alarm table
 * (`canaries`) watches.
 */
export class ApiCanary extends Construct {
  readonly canary: synthetics.Canary;
  readonly monitored: MonitoredCanary;

  constructor(scope: Construct, id: string, props: ApiCanaryProps) {
    super(scope, id);
    const artifacts = new SecureBucket(this, 'Artifacts', { encryptionKey: props.logsKey, accessLogsBucket: props.accessLogsBucket, retain: false, expireAfterDays: 30, noncurrentVersionDays: 1, backup: false });
    const url = `${props.apiBaseUrl}${props.canary.path.replace(/^\//, '')}`;
    this.canary = new synthetics.Canary(this, 'Canary', {
      canaryName: `connect-${props.environment}-api`,
      runtime: API_CANARY_RUNTIME,
      test: synthetics.Test.custom({ code: synthetics.Code.fromInline(readFileSync(API_CANARY_SCRIPT, 'utf8')), handler: 'index.handler' }),
      schedule: synthetics.Schedule.rate(Duration.minutes(props.canary.everyMinutes)),
      timeout: Duration.seconds(30),
      environmentVariables: { CANARY_URL: url, CANARY_TIMEOUT_MS: '10000' },
      artifactsBucketLocation: { bucket: artifacts, prefix: 'runs' },
      artifactS3EncryptionMode: synthetics.ArtifactsEncryptionMode.KMS,
      artifactS3KmsKey: props.logsKey,
      successRetentionPeriod: Duration.days(7),
      failureRetentionPeriod: Duration.days(30),
      provisionedResourceCleanup: true,
    });
    this.monitored = { canary: this.canary, everyMinutes: props.canary.everyMinutes, failedRunsToAlarm: props.canary.failedRunsToAlarm };

    const stack = Stack.of(this);
    const reason =
      'The execution role CDK generates for this canary only, as Synthetics documents it (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_CanaryPermissions.html): s3:ListAllMyBuckets and cloudwatch:PutMetricData (conditioned on the CloudWatchSynthetics namespace) have no resource scope, its log group is named by Lambda at creation (/aws/lambda/cwsyn-<name>-*), and artifacts are written under its own bucket.';
    const artifactsArn = `<${stack.getLogicalId(artifacts.node.defaultChild as s3.CfnBucket)}.Arn>`;
    Validations.of(this.canary.role).acknowledge(
      { id: 'AwsSolutions-IAM5[Resource::*]', reason },
      { id: `AwsSolutions-IAM5[Resource::${artifactsArn}/runs/*]`, reason },
      { id: `AwsSolutions-IAM5[Resource::arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:/aws/lambda/cwsyn-*]`, reason },
      { id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', reason },
      { id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]', reason },
      { id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason },
      { id: 'PCI.DSS.321-IAMNoInlinePolicy', reason },
    );
  }
}
