/**
 * Lambda entry point: the outbox relay, run on a schedule (EventBridge, every minute). Queues the events of payment
 * records that reached a final state but whose in-line send failed (the record still carries `outbox = pending`),
 * so no payment event is lost. A record whose send fails again stays pending for the next run; the run then fails
 * so the Lambda error alarm fires.
 *
 * Environment and IAM: contract.ts (PaymentsOutboxEnv).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { logger, withLambdaContext } from '../../shared/logger';
import { awsClientConfig } from '../../shared/aws-clients';
import { parseEnv } from '../../shared/env';
import { isFinal, paymentEvent } from '../core';
import { PaymentEventQueue, paymentPublisher, segmentationFrom } from '../events';
import { type FinalPaymentStatus, PaymentEvent, PaymentRecord, PaymentsOutboxEnv } from '../contract';
import { PaymentStore } from '../store';

const env = parseEnv(PaymentsOutboxEnv);
const store = new PaymentStore(new DynamoDBClient(awsClientConfig()), env.PAYMENTS_TABLE_NAME);
const sqs = new SQSClient(awsClientConfig());
// The event and, for a paid realm user's payment, the segmentation update: the marker goes once both are queued.
const publish = paymentPublisher({
  events: new PaymentEventQueue(sqs, env.PAYMENT_EVENTS_QUEUE_URL),
  store,
  segmentation: segmentationFrom(sqs, env.PROFILE_UPDATES_QUEUE_URL, env.PAYMENT_SEGMENTATION_FIELDS),
});
const graceMs = env.OUTBOX_GRACE_SECONDS * 1000;

export const handler = withLambdaContext(relay);

async function relay(): Promise<{ sent: number; failed: number }> {
  const pending = await store.pendingEvents(new Date(Date.now() - graceMs).toISOString(), 100);
  let sent = 0;
  let failed = 0;
  for (const item of pending) {
    // Every pending record is either queued or counted failed (the run then fails and the error alarm fires): a
    // record that cannot make a valid event is never skipped in silence, nor queued as a broken event.
    const paymentId = typeof item?.paymentId === 'string' ? item.paymentId : undefined;
    const problem = unsendable(item);
    if (problem) {
      failed += 1;
      logger.error('Outbox relay found a pending record it cannot queue; it stays in the outbox', { paymentId, problem });
      continue;
    }
    try {
      const record = item as PaymentRecord & { status: FinalPaymentStatus };
      await publish(record, record.updatedAt ?? record.createdAt);
      sent += 1;
    } catch (error) {
      failed += 1;
      logger.error('Outbox relay could not queue a payment event', { paymentId, error: (error as Error).name });
    }
  }
  logger.info('Outbox relay run', { pending: pending.length, sent, failed });
  if (failed > 0) throw new Error(`${failed} payment events could not be queued; they stay in the outbox`);
  return { sent, failed };
}

/** Why a pending record can never become a payment event (field names and rules only), or undefined when it can. */
function unsendable(item: unknown): string | undefined {
  const parsed = PaymentRecord.safeParse(item);
  if (!parsed.success) return `not a payment record (${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.code}`).join('; ')})`;
  if (!isFinal(parsed.data)) return 'pending but not in a final state';
  const event = PaymentEvent.safeParse(paymentEvent(parsed.data, parsed.data.updatedAt ?? parsed.data.createdAt));
  if (!event.success) return `no valid event (${event.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.code}`).join('; ')})`;
  return undefined;
}
