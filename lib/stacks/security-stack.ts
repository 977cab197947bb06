import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/schema';

/** The alias of one of an environment's keys, e.g. `alias/connect/prod/logs`: known at synth, unlike the key's ARN. */
export function keyAliasName(environment: string, key: 'data' | 'logs' | 'secrets' | 'alerts'): string {
  return `alias/connect/${environment}/${key}`;
}

export interface SecurityStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/**
 * The environment's KMS keys, one per class of data (Modyo Connect's "a key per resource class"), yearly rotation.
 * Key policies keep the account root statement (so IAM policies granted by `grant*` work and the key can never be
 * orphaned) and add only the service principals a class needs, scoped to this account and region.
 */
export class SecurityStack extends Stack {
  /** Queues, buckets and tables holding integration data. */
  readonly dataKey: kms.Key;
  /** CloudWatch Logs: function, API, WAF, VPC flow and container logs. */
  readonly logsKey: kms.Key;
  /** Secrets Manager secrets (Modyo token, provider credentials, webhook secret). */
  readonly secretsKey: kms.Key;
  /** The SNS alert topics CloudWatch alarms publish to. */
  readonly alertsKey: kms.Key;

  constructor(scope: Construct, id: string, props: SecurityStackProps) {
    super(scope, id, props);
    const { config } = props;
    const key = (name: Parameters<typeof keyAliasName>[1], description: string) =>
      new kms.Key(this, `${name[0].toUpperCase()}${name.slice(1)}Key`, {
        alias: keyAliasName(config.name, name),
        description: `Connect ${config.name}: ${description}`,
        enableKeyRotation: true,
        rotationPeriod: Duration.days(365),
        removalPolicy: config.kind === 'production' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        pendingWindow: Duration.days(config.kind === 'production' ? 30 : 7),
      });

    this.dataKey = key('data', 'integration data in SQS, S3 and DynamoDB');
    this.logsKey = key('logs', 'CloudWatch Logs of every function, API, WAF, VPC flow and container');
    this.secretsKey = key('secrets', 'Secrets Manager secrets');
    this.alertsKey = key('alerts', 'SNS alert topics');

    // Control Tower CT.KMS.PR.3: grants only for AWS services acting on AWS resources (e.g. Lambda reading an
    // encrypted queue), never ad-hoc grants that would bypass the key policy.
    for (const k of [this.dataKey, this.logsKey, this.secretsKey, this.alertsKey]) {
      k.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'GrantsOnlyForAwsServices',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['kms:CreateGrant'],
          resources: ['*'],
          conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
        }),
      );
    }

    // CloudWatch Logs encrypts only log groups of this account and region with the logs key.
    this.logsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsOfThisEnvironment',
        principals: [new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:*` } },
      }),
    );
    // AWS Budgets publishes budget alerts to the encrypted warning topic: SNS asks KMS for a data key on the
    // publishing service's behalf, so the key must let the service use it
    // (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services). No source
    // condition: that page documents none for KMS, and only the topic policy (this account's budgets) lets it publish.
    this.alertsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'BudgetsPublishToAlertTopics',
        principals: [new iam.ServicePrincipal('budgets.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    // CloudWatch alarms publish to the encrypted alert topics.
    this.alertsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToAlertTopics',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
  }
}
