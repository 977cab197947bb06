import { Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SecureBucket } from '../secure-bucket';

export interface LogArchiveQueryingProps {
  readonly environment: string;
  readonly archiveBucket: s3.IBucket;
  readonly logsKey: kms.IKey;
  /** The logs key's alias ARN (keyAliasName): the workgroup encrypts results with it. */
  readonly logsKeyAliasArn: string;
  readonly accessLogsBucket: s3.IBucket;
  readonly retain: boolean;
  /** The archive's retention: how far back the date partitions reach. */
  readonly retentionDays: number;
}

/** The Glue database of an environment's log archive (Glue names: lower case, digits and underscores). */
export function logArchiveDatabaseName(environment: string): string {
  return `connect_${environment.replace(/-/g, '_')}_logs`;
}

export const LOG_ARCHIVE_TABLE = 'cloudwatch_logs';

/**
 * Where archived logs go in the bucket: `logs/source=<source>/dt=<day>/`. Firehose writes that layout (LogArchive's
 * prefix) and the table's partition projection reads it, so both are built from these parts.
 */
export const ARCHIVE_FOLDER = 'logs/';
export const archivePartitionPath = (source: string, day: string) => `${ARCHIVE_FOLDER}source=${source}/dt=${day}/`;

/**
 * Athena over the log archive: a Glue table of the CloudWatch Logs envelopes Firehose writes (one JSON object per
 * line, its events in `logevents`), partitioned by `source` (the log group, "/" as ".") and `dt` (day) through
 * partition projection, so no crawler or MSCK REPAIR is needed. `source` is an injected projection: a query names
 * the log group it reads (`WHERE source = '...'`), which keeps every scan to one source
 * (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html). A workgroup enforces
 * KMS-encrypted results in a bucket of their own, expired after 30 days, and a per-query scan limit.
 */
export class LogArchiveQuerying extends Construct {
  readonly database: glue.CfnDatabase;
  readonly table: glue.CfnTable;
  readonly workGroup: athena.CfnWorkGroup;
  readonly resultsBucket: SecureBucket;

  constructor(scope: Construct, id: string, props: LogArchiveQueryingProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    const databaseName = logArchiveDatabaseName(props.environment);
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: { name: databaseName, description: `Connect ${props.environment}: the archive of every CloudWatch log group of the environment` },
    });
    this.table = new glue.CfnTable(this, 'Table', {
      catalogId: account,
      databaseName,
      tableInput: {
        name: LOG_ARCHIVE_TABLE,
        description: 'CloudWatch Logs subscription envelopes, one per line; UNNEST(logevents) for the events',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [
          { name: 'source', type: 'string', comment: 'log group name without its leading "/", "/" written as "."' },
          { name: 'dt', type: 'string', comment: 'day the batch was archived, yyyy-MM-dd (UTC)' },
        ],
        parameters: {
          classification: 'json',
          'projection.enabled': 'true',
          'projection.source.type': 'injected',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': `NOW-${props.retentionDays}DAYS,NOW`,
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'storage.location.template': `s3://${props.archiveBucket.bucketName}/${archivePartitionPath('${source}', '${dt}')}`,
        },
        storageDescriptor: {
          location: `s3://${props.archiveBucket.bucketName}/${ARCHIVE_FOLDER}`,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          compressed: true,
          serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', parameters: { 'ignore.malformed.json': 'true' } },
          columns: [
            { name: 'messagetype', type: 'string', comment: 'DATA_MESSAGE, or CONTROL_MESSAGE (a delivery check, no events)' },
            { name: 'owner', type: 'string', comment: 'account id' },
            { name: 'loggroup', type: 'string' },
            { name: 'logstream', type: 'string' },
            { name: 'subscriptionfilters', type: 'array<string>' },
            { name: 'logevents', type: 'array<struct<id:string,timestamp:bigint,message:string>>', comment: 'timestamp in epoch milliseconds; message as logged (JSON for the handlers)' },
          ],
        },
      },
    });
    this.table.node.addDependency(this.database);

    this.resultsBucket = new SecureBucket(this, 'Results', {
      encryptionKey: props.logsKey,
      accessLogsBucket: props.accessLogsBucket,
      retain: false,
      expireAfterDays: 30,
      noncurrentVersionDays: 1,
      backup: false,
    });
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: `connect-${props.environment}-logs`,
      description: `Connect ${props.environment}: queries over the log archive (database ${databaseName})`,
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        // 100 GB per query: a runaway scan of years of logs stops there.
        bytesScannedCutoffPerQuery: 100 * 1024 ** 3,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/results/`,
          // By the alias ARN, a value known at synth (the key's ARN is another stack's output, which the Control
          // Tower rule CT.ATHENA.PR.2 cannot follow); S3 resolves an alias ARN for SSE-KMS writes
          // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html, x-amz-server-side-encryption-aws-kms-key-id).
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.logsKeyAliasArn },
          expectedBucketOwner: account,
        },
      },
    });
  }
}
