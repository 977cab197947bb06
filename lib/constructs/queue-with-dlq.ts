import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface QueueWithDlqProps {
  /** Customer managed key for both queues. */
  readonly encryptionKey: kms.IKey;
  /** At least 6x the consumer's timeout (AWS guidance for Lambda event sources), so a slow batch is not redelivered mid-flight. */
  readonly visibilityTimeout: Duration;
  /** Deliveries before a message moves to the DLQ. */
  readonly maxReceiveCount?: number;
  readonly fifo?: boolean;
}

/**
 * The one queue construct: every queue has a DLQ with redrive, KMS encryption, TLS-only access, and the DLQ keeps
 * messages for the 14-day maximum so an SRE has two weeks to inspect and redrive.
 */
export class QueueWithDlq extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: QueueWithDlqProps) {
    super(scope, id);
    const common = {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      dataKeyReuse: Duration.hours(1),
      enforceSSL: true,
      fifo: props.fifo,
      contentBasedDeduplication: props.fifo ? true : undefined,
    };
    this.deadLetterQueue = new sqs.Queue(this, 'Dlq', {
      ...common,
      retentionPeriod: Duration.days(14),
      // Marks it as a dead-letter queue (Control Tower CT.SQS.PR.1). `byQueue` naming its source would be a
      // dependency cycle (the source queue's redrive policy names the DLQ); `allowAll` is SQS's own default, and who
      // may point a queue at it is still decided by IAM.
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      ...common,
      retentionPeriod: Duration.days(4),
      visibilityTimeout: props.visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });
  }
}

/**
 * Lets `grantee` send to `queue` and nothing else: SendMessage (SendMessageBatch is authorised by it) and, for a
 * KMS-encrypted queue, the two key actions SQS needs from a producer. (`grantSendMessages` would add wildcard
 * kms:ReEncrypt* / kms:GenerateDataKey* and queue reads a producer does not need.)
 */
export function grantSendOnly(queue: sqs.IQueue, grantee: iam.IGrantable): void {
  iam.Grant.addToPrincipal({ grantee, actions: ['sqs:SendMessage'], resourceArns: [queue.queueArn] });
  queue.encryptionMasterKey?.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
}
