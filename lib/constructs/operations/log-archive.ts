import { Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ARCHIVE_RETENTION_DAYS_BY_KIND, type OperationsConfig } from '../../config/operations';
import { AccessLogsBucket, SecureBucket } from '../secure-bucket';
import { keyAliasName } from '../../stacks/security-stack';
import { ARCHIVE_FOLDER, archivePartitionPath, LogArchiveQuerying } from './log-archive-querying';

export interface LogArchiveProps {
  readonly environment: string;
  readonly kind: 'production' | 'preproduction';
  readonly archive: OperationsConfig['logArchive'];
  /** The environment's logs key: the archive bucket, the Firehose stream and the query results are encrypted with it. */
  readonly logsKey: kms.IKey;
  /** Retention of this construct's own CloudWatch log group (Firehose delivery errors). */
  readonly logRetention: logs.RetentionDays;
}

/** The S3 prefix of archived logs: one folder per source log group and day (Hive style, for Athena). */
export const ARCHIVE_PREFIX = archivePartitionPath('!{partitionKeyFromQuery:source}', '!{timestamp:yyyy-MM-dd}');

/**
 * The partition key of a record: its log group name, without the leading slash and with "/" turned into ".", so a
 * name like `/aws/lambda/fn` is one S3 folder (`aws.lambda.fn`), not three. CloudWatch Logs' CONTROL_MESSAGE records
 * (sent when a subscription starts) carry an empty log group: they get a folder of their own rather than an empty
 * key, which Firehose would fail to the error prefix. jq 1.6 is the only inline parser Firehose offers
 * (https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning-partitioning-keys.html); the expression is
 * parenthesized because Firehose places it as a value inside `{"source": ...}`. test/operations-config.test.ts runs
 * it through jq 1.6.
 */
export const SOURCE_PARTITION_QUERY = '(if (.logGroup // "") == "" then "cloudwatch-logs-control" else (.logGroup | ltrimstr("/") | split("/") | join(".")) end)';

/**
 * Every log of one environment in one place, for years, at S3 prices: an account-level subscription filter policy
 * sends every log group of the account and region to an Amazon Data Firehose stream, which decompresses the
 * CloudWatch Logs batches and writes them to a KMS-encrypted archive bucket partitioned by source log group and day,
 * one JSON envelope per line ({messageType, owner, logGroup, logStream, logEvents[]}). Lifecycle moves the archive to
 * cheaper classes and expires it after the retention of its kind of environment; Athena queries it through a Glue
 * table (LogArchiveQuerying). Optionally a central logging account receives a replica.
 *
 * WHY AN ACCOUNT-LEVEL POLICY and not one subscription filter per log group (measured on the synthesized templates:
 * 16 log groups in each of dev, staging and prod before this stack, in 5 stacks; with the Data stack's databases and
 * the VPN, 19 / 22 / 20 in 6 stacks, most with CloudFormation-generated names; plus groups no template declares):
 * - it covers every log group of the account and region, existing and created later
 *   (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-accountpolicy.html), so a
 *   group a new stack adds, a group a service creates itself (the canary's Lambda, API Gateway's execution logs,
 *   CDK's custom resource providers, RDS log exports) and a WAF group (`aws-waf-logs-*`: an ordinary log group WAF
 *   writes to through its resource policy, https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html)
 *   reach the archive with no per-group wiring to forget; per-group filters would need a filter in each owning stack;
 * - it does not take either of the two subscription filters a log group may have: account-level and log-group-level
 *   filters are additive, "up to 1 account-level and up to 2 log-group-level"
 *   (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutAccountPolicy.html);
 * - Firehose in the same account is a supported destination, with a role CloudWatch Logs assumes
 *   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters-AccountLevel.html).
 * Its limits, and how they are met: one subscription filter policy per account and region (the config loader refuses
 * two environments in one account and region); groups are excluded only by name (`LogGroupName NOT IN [...]`, up to
 * 25 KB), which is enough: the one group to exclude is this stream's own error log, named here, so its errors never
 * loop back into it (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Subscriptions-recursion-prevention.html);
 * and it covers only Standard-class log groups (every group here is; test/operations.test.ts checks).
 */
export class LogArchive extends Construct {
  readonly bucket: SecureBucket;
  /** S3 server access logs of this stack's buckets. */
  readonly accessLogsBucket: AccessLogsBucket;
  readonly deliveryStream: firehose.DeliveryStream;
  readonly subscriptionPolicy: logs.CfnAccountPolicy;
  /** Firehose's own delivery-error log group: excluded from the subscription, or its errors would feed the stream. */
  readonly errorLogGroup: logs.LogGroup;
  readonly querying: LogArchiveQuerying;
  readonly retentionDays: number;

  constructor(scope: Construct, id: string, props: LogArchiveProps) {
    super(scope, id);
    const { environment, archive } = props;
    const production = props.kind === 'production';
    this.retentionDays = archive.retentionDays ?? ARCHIVE_RETENTION_DAYS_BY_KIND[props.kind];

    const accessLogs = new AccessLogsBucket(this, 'AccessLogs', { retain: production, expireAfterDays: Math.min(this.retentionDays, 400) });
    this.accessLogsBucket = accessLogs;
    this.bucket = new SecureBucket(this, 'Bucket', {
      encryptionKey: props.logsKey,
      accessLogsBucket: accessLogs,
      retain: production,
      infrequentAccessAfterDays: archive.infrequentAccessAfterDays < this.retentionDays ? archive.infrequentAccessAfterDays : undefined,
      expireAfterDays: this.retentionDays,
      noncurrentVersionDays: 7,
      // Copies of the log groups, kept by their own retention: no second copy in the backup vault.
      backup: false,
    });
    if (archive.glacierAfterDays !== undefined && archive.glacierAfterDays < this.retentionDays) {
      this.bucket.addLifecycleRule({
        id: 'glacier-instant-retrieval',
        transitions: [{ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(archive.glacierAfterDays) }],
      });
    }

    this.errorLogGroup = new logs.LogGroup(this, 'DeliveryErrors', {
      logGroupName: `/connect/${environment}/log-archive/delivery-errors`,
      retention: props.logRetention,
      encryptionKey: props.logsKey,
      removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const deliveryRole = new iam.Role(this, 'DeliveryRole', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', { conditions: { StringEquals: { 'sts:ExternalId': Stack.of(this).account } } }),
      description: `Connect ${environment}: Firehose writes the log archive`,
    });
    this.deliveryStream = new firehose.DeliveryStream(this, 'Stream', {
      deliveryStreamName: `connect-${environment}-log-archive`,
      // One role for the stream (server-side encryption) and its destination.
      role: deliveryRole,
      encryption: firehose.StreamEncryption.customerManagedKey(props.logsKey),
      destination: new firehose.S3Bucket(this.bucket, {
        role: deliveryRole,
        encryptionKey: props.logsKey,
        // CloudWatch Logs delivers gzip-compressed batches; decompressed, each record is one JSON envelope with its
        // log group, which names the partition (https://docs.aws.amazon.com/firehose/latest/dev/writing-with-cloudwatch-logs.html).
        processors: [
          new firehose.DecompressionProcessor(),
          firehose.MetadataExtractionProcessor.jq16({ source: SOURCE_PARTITION_QUERY }),
          new firehose.AppendDelimiterToRecordProcessor(),
        ],
        dynamicPartitioning: { enabled: true, retryDuration: Duration.minutes(5) },
        dataOutputPrefix: ARCHIVE_PREFIX,
        errorOutputPrefix: 'errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
        compression: firehose.Compression.GZIP,
        fileExtension: '.json.gz',
        // Dynamic partitioning needs a buffer of at least 64 MiB.
        bufferingSize: Size.mebibytes(64),
        bufferingInterval: Duration.minutes(production ? 5 : 15),
        loggingConfig: new firehose.EnableLogging(this.errorLogGroup),
      }),
    });

    // CloudWatch Logs assumes this role to put records on the stream, for log groups of this account and region only.
    const subscriptionRole = new iam.Role(this, 'SubscriptionRole', {
      assumedBy: new iam.ServicePrincipal('logs.amazonaws.com', {
        conditions: { StringLike: { 'aws:SourceArn': Stack.of(this).formatArn({ service: 'logs', resource: '*' }) } },
      }),
      description: `Connect ${environment}: CloudWatch Logs sends every log group to the log archive stream`,
    });
    subscriptionRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'], resources: [this.deliveryStream.deliveryStreamArn] }));
    const inline = 'The one statement this service role needs (put records on the log archive stream), generated for this role only.';
    Validations.of(subscriptionRole).acknowledge({ id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: inline }, { id: 'PCI.DSS.321-IAMNoInlinePolicy', reason: inline });

    this.subscriptionPolicy = new logs.CfnAccountPolicy(this, 'SubscriptionPolicy', {
      policyName: `connect-${environment}-log-archive`,
      policyType: 'SUBSCRIPTION_FILTER_POLICY',
      scope: 'ALL',
      // An empty pattern matches every event. Distribution applies to Kinesis Data Streams only.
      policyDocument: Stack.of(this).toJsonString({ DestinationArn: this.deliveryStream.deliveryStreamArn, RoleArn: subscriptionRole.roleArn, FilterPattern: '' }),
      selectionCriteria: `LogGroupName NOT IN ${JSON.stringify([this.errorLogGroup.logGroupName])}`,
    });
    this.subscriptionPolicy.node.addDependency(subscriptionRole);

    const bucketArn = `<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>`;
    const grants = 'CDK grants to Firehose\'s delivery role on the archive bucket and its key: object writes under the bucket (`<bucket>/*`), and the KMS data-key actions S3 needs (GenerateDataKey*, ReEncrypt*) — this bucket and key only.';
    Validations.of(deliveryRole).acknowledge(
      { id: `AwsSolutions-IAM5[Resource::${bucketArn}/*]`, reason: grants },
      { id: 'AwsSolutions-IAM5[Action::s3:Abort*]', reason: grants },
      { id: 'AwsSolutions-IAM5[Action::s3:DeleteObject*]', reason: grants },
      { id: 'AwsSolutions-IAM5[Action::s3:GetBucket*]', reason: grants },
      { id: 'AwsSolutions-IAM5[Action::s3:GetObject*]', reason: grants },
      { id: 'AwsSolutions-IAM5[Action::s3:List*]', reason: grants },
      { id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', reason: grants },
      { id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]', reason: grants },
      { id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: grants },
      { id: 'PCI.DSS.321-IAMNoInlinePolicy', reason: grants },
    );

    if (archive.centralAccount) this.replicateTo(environment, archive.centralAccount, props.logsKey);
    const logsKeyAliasArn = Stack.of(this).formatArn({ service: 'kms', resource: keyAliasName(environment, 'logs') });
    this.querying = new LogArchiveQuerying(this, 'Query', { environment, archiveBucket: this.bucket, logsKey: props.logsKey, logsKeyAliasArn, accessLogsBucket: accessLogs, retain: production, retentionDays: this.retentionDays });
  }

  /**
   * A copy of every archived object in the central logging account's bucket (S3 replication, owner switched to the
   * destination account, re-encrypted with its key). The central bucket's policy and key policy must let this role in
   * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-walkthrough-2.html).
   */
  private replicateTo(environment: string, central: NonNullable<OperationsConfig['logArchive']['centralAccount']>, logsKey: kms.IKey): void {
    const partition = Stack.of(this).partition;
    const destinationBucketArn = `arn:${partition}:s3:::${central.bucketName}`;
    const role = new iam.Role(this, 'ReplicationRole', {
      roleName: `connect-${environment}-log-archive-replication`,
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
      description: `Connect ${environment}: S3 replicates the log archive to the central logging account ${central.accountId}`,
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'], resources: [this.bucket.bucketArn] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'], resources: [this.bucket.arnForObjects('*')] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags', 's3:ObjectOwnerOverrideToBucketOwner'], resources: [`${destinationBucketArn}/*`] }),
    );
    logsKey.grantDecrypt(role);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:Encrypt', 'kms:GenerateDataKey'], resources: [central.kmsKeyArn] }));
    const cfn = this.bucket.node.defaultChild as s3.CfnBucket;
    cfn.replicationConfiguration = {
      role: role.roleArn,
      rules: [
        {
          id: 'central-logging-account',
          status: 'Enabled',
          priority: 1,
          filter: { prefix: ARCHIVE_FOLDER },
          deleteMarkerReplication: { status: 'Disabled' },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
          destination: {
            bucket: destinationBucketArn,
            account: central.accountId,
            accessControlTranslation: { owner: 'Destination' },
            encryptionConfiguration: { replicaKmsKeyId: central.kmsKeyArn },
          },
        },
      ],
    };
    const reason = `S3 replication to the central logging account ${central.accountId}: read any archived object version of this bucket and write replicas into the central bucket (object-level ARNs end in /*); this role only.`;
    Validations.of(role).acknowledge(
      { id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`, reason },
      { id: `AwsSolutions-IAM5[Resource::${destinationBucketArn}/*]`, reason },
      { id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason },
      { id: 'PCI.DSS.321-IAMNoInlinePolicy', reason },
    );
  }
}
