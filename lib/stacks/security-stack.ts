import { Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/schema';
import { ConnectKey } from '../constructs/connect-key';

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
      new ConnectKey(this, `${name[0].toUpperCase()}${name.slice(1)}Key`, {
        alias: keyAliasName(config.name, name),
        description: `Connect ${config.name}: ${description}`,
        production: config.kind === 'production',
      });

    this.dataKey = key('data', 'integration data in SQS, S3 and DynamoDB');
    const logsKey = key('logs', 'CloudWatch Logs of every function, API, WAF, VPC flow and container');
    this.logsKey = logsKey;
    this.secretsKey = key('secrets', 'Secrets Manager secrets');
    this.alertsKey = key('alerts', 'SNS alert topics');

    // CloudWatch Logs encrypts only log groups of this account and region with the logs key.
    logsKey.allowLogGroupsOfThisAccount('CloudWatchLogsOfThisEnvironment');
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
