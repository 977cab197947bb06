import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface SecureBucketProps {
  readonly encryptionKey: kms.IKey;
  /** Where S3 server access logs go (an AccessLogsBucket of the same environment). */
  readonly accessLogsBucket: s3.IBucket;
  /** Keep the bucket and its objects when the stack is deleted (production data). */
  readonly retain: boolean;
  /** Move current objects to Infrequent Access after this many days. */
  readonly infrequentAccessAfterDays?: number;
  /** Delete current objects after this many days; unset keeps them. */
  readonly expireAfterDays?: number;
  /** Delete non-current versions after this many days. */
  readonly noncurrentVersionDays?: number;
  /** A stated name (e.g. so a grant in another stack can name the bucket literally); generated when unset. */
  readonly bucketName?: string;
  /**
   * In the environment's AWS Backup plan (default). False for buckets whose objects are copies or scratch with a
   * lifecycle of their own (the log archive, query results, canary artifacts): backing them up would only pay twice.
   */
  readonly backup?: boolean;
}

/**
 * The one data bucket construct: KMS-encrypted with a bucket key, versioned, TLS-only, public access blocked,
 * ACLs disabled, access-logged, with lifecycle rules.
 */
export class SecureBucket extends s3.Bucket {
  /** Whether the environment's backup plan selects this bucket (see tagForBackup). */
  readonly backedUp: boolean;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id, {
      bucketName: props.bucketName,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      versioned: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: `${id.toLowerCase()}/`,
      removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      lifecycleRules: [
        {
          id: 'lifecycle',
          abortIncompleteMultipartUploadAfter: Duration.days(7),
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays ?? 90),
          transitions: props.infrequentAccessAfterDays
            ? [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(props.infrequentAccessAfterDays) }]
            : undefined,
          expiration: props.expireAfterDays ? Duration.days(props.expireAfterDays) : undefined,
        },
      ],
    });
    this.backedUp = props.backup ?? true;
    acknowledgeNoReplication(this);
  }
}

/**
 * The target of S3 server access logs and ALB access logs: both deliveries support SSE-S3 only, and a log bucket
 * cannot log to itself, so those two nag rules are acknowledged here, once. (The Control Tower twins CT.S3.PR.2 and
 * CT.S3.PR.10 are off in lib/compliance.ts: a guard rule must never be acknowledged.)
 */
export class AccessLogsBucket extends s3.Bucket {
  constructor(scope: Construct, id: string, props: { readonly retain: boolean; readonly expireAfterDays: number }) {
    super(scope, id, {
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(props.expireAfterDays), noncurrentVersionExpiration: Duration.days(7) }],
    });
    const reason = 'This is the access-log bucket: S3 cannot log a log bucket into itself (it would log its own deliveries forever).';
    Validations.of(this).acknowledge(
      { id: 'AwsSolutions-S1', reason },
      { id: 'NIST.800.53.R5-S3BucketLoggingEnabled', reason },
      { id: 'PCI.DSS.321-S3BucketLoggingEnabled', reason },
    );
    const sse = 'S3 server access log delivery writes only to SSE-S3 buckets; SSE-KMS targets are not supported for it.';
    Validations.of(this).acknowledge(
      { id: 'NIST.800.53.R5-S3DefaultEncryptionKMS', reason: sse },
      { id: 'PCI.DSS.321-S3DefaultEncryptionKMS', reason: sse },
    );
    acknowledgeNoReplication(this);
  }
}

function acknowledgeNoReplication(bucket: s3.Bucket): void {
  const reason =
    'Single-region environment by design (one VPC and account per environment); durability comes from S3 (11 nines), versioning and retention, and cross-region replication would copy personal data out of the environment\'s region.';
  Validations.of(bucket).acknowledge(
    { id: 'NIST.800.53.R5-S3BucketReplicationEnabled', reason },
    { id: 'PCI.DSS.321-S3BucketReplicationEnabled', reason },
  );
}
