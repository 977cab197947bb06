import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { WEBHOOK_LIMITS, WebhookReceiverEnv } from '../../../lambda/webhook-receiver/contract';
import type { ConnectTable } from '../connect-table';
import { contractEnvironment } from '../connect-function';
import type { IntegrationSecret } from '../integration-secret';
import { grantSendOnly, type QueueWithDlq } from '../queue-with-dlq';
import { AccessLogsBucket, SecureBucket } from '../secure-bucket';
import { IntegrationFeature, type IntegrationFeatureProps, visibilityFor } from './integration-feature';
import { HTTP_WORKER_TIMEOUT } from './modyo-admin-access';

export interface WebhookIngestProps extends IntegrationFeatureProps {
  /** The environment's idempotency table: the receiver's delivery ledger. */
  readonly idempotencyTable: ConnectTable;
  /** The Identity stack's queue of Modyo user lifecycle events; the receiver sends to it too. */
  readonly provisioningQueue: sqs.IQueue;
}

/**
 * Modyo webhooks in: the receiver (authenticates with the shared secret, archives the raw body, queues the
 * normalised event), the raw event archive with its access-log bucket, the webhook secret, and the FIFO queue of
 * normalised events (grouped by user) that the CRM forwarder consumes.
 *
 * Secret: connect/<env>/webhook-secret {"sharedSecret", "signingKey"?}, generated; share it with Modyo's webhook config.
 */
export class WebhookIngest extends IntegrationFeature {
  readonly receiver: lambda.IFunction;
  readonly archiveBucket: SecureBucket;
  readonly accessLogsBucket: AccessLogsBucket;
  /** Normalised Modyo events (FIFO, grouped by user). */
  readonly events: QueueWithDlq;
  readonly webhookSecret: IntegrationSecret;

  constructor(scope: Construct, id: string, props: WebhookIngestProps) {
    super(scope, id, props);
    this.accessLogsBucket = new AccessLogsBucket(this, 'AccessLogs', { retain: this.production, expireAfterDays: this.config.logRetentionDays });
    this.archiveBucket = new SecureBucket(this, 'RawEventArchive', {
      encryptionKey: props.dataKey,
      accessLogsBucket: this.accessLogsBucket,
      retain: this.production,
      infrequentAccessAfterDays: 30,
      // Raw events hold personal data (Modyo user payloads): kept only as long as config says.
      expireAfterDays: this.config.integrations.archiveRetentionDays,
    });
    // Consumed by the CRM forwarder, an HTTP worker.
    this.events = this.queue('Events', { visibilityTimeout: visibilityFor(HTTP_WORKER_TIMEOUT), fifo: true });
    this.webhookSecret = this.secret('Secret', 'webhook-secret', {
      description: 'Shared secret Modyo sends in the webhook header: {"sharedSecret", "signingKey"?}. Generated; copy it into the Modyo webhook configuration.',
      generateKey: 'sharedSecret',
      rotation:
        'Rotated by hand, because the same value must be changed in the Modyo webhook configuration at the same moment: put the new value, then update Modyo; the receiver re-reads the secret after a failed check (at most every few seconds), so it accepts the new value without a deploy.',
    });

    const receiver = this.fn('Receiver', {
      handler: 'webhook-receiver',
      description: 'Modyo webhooks: authenticates, archives the raw event, queues the normalised event',
      invokedBy: 'api-gateway',
      outboundCalls: {},
      concurrency: 'webhookReceiver',
      environment: contractEnvironment(WebhookReceiverEnv, {
        WEBHOOK_SECRET_ID: this.webhookSecret.secretArn,
        ARCHIVE_BUCKET_NAME: this.archiveBucket.bucketName,
        EVENTS_QUEUE_URL: this.events.queue.queueUrl,
        IDENTITY_QUEUE_URL: props.provisioningQueue.queueUrl,
        IDEMPOTENCY_TABLE_NAME: props.idempotencyTable.tableName,
        HASH_DEDUP_SECONDS: String(WEBHOOK_LIMITS.hashDedupSeconds),
        REFRESH_INTERVAL_SECONDS: String(WEBHOOK_LIMITS.secretRefreshSeconds),
      }),
    });
    this.webhookSecret.grantRead(receiver);
    // Only new raw objects under raw/: the receiver never reads, lists or deletes the archive.
    receiver.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.archiveBucket.arnForObjects('raw/*')] }));
    Validations.of(receiver.role as iam.IRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.archiveBucket.node.defaultChild as s3.CfnBucket)}.Arn>/raw/*]`,
      reason: 'Each webhook is archived as a new object under raw/type=<type>/dt=<day>/<eventId>.json: the key is only known per event, so PutObject is scoped to the raw/ prefix of this one bucket.',
    });
    props.dataKey.grant(receiver, 'kms:GenerateDataKey');
    grantSendOnly(this.events.queue, receiver);
    grantSendOnly(props.provisioningQueue, receiver);
    props.idempotencyTable.grantItemActions(receiver, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
    this.receiver = receiver;
  }

  /** For monitoring: the archive and its access-log bucket. */
  get buckets(): s3.Bucket[] {
    return [this.archiveBucket, this.accessLogsBucket];
  }
}
