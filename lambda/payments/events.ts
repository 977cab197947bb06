/**
 * Publishing a payment's final state: its event (lambda/shared/sqs.ts decides FIFO) and, for a realm user's paid
 * payment with segmentation configured, the customer-sync profile update of their custom fields. The outbox marker
 * is removed only after both are queued, so the relay re-sends whatever failed (both are deduplicated downstream).
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { profileUpdateQueue } from '../customer-sync/queue';
import type { QueuedProfileUpdate } from '../customer-sync/contract';
import { logger } from '../shared/logger';
import { QueueSender } from '../shared/sqs';
import { isFinal, paymentEvent, segmentationUpdate } from './core';
import { type FinalPaymentStatus, type PaymentEvent, type PaymentRecord, SEGMENTATION_FACTS, SEGMENTATION_FIELD_KEY, type SegmentationFields } from './contract';
import type { PaymentStore } from './store';

export class PaymentEventQueue {
  private readonly sender: QueueSender;

  constructor(client: SQSClient, queueUrl: string) {
    this.sender = new QueueSender(queueUrl, client);
  }

  /** On a FIFO queue a re-sent event inside the 5-minute window is dropped by SQS; otherwise consumers dedupe on eventId. */
  async send(event: PaymentEvent): Promise<void> {
    await this.sender.send({ body: event, group: event.paymentId, deduplicationId: event.eventId, attributes: { type: event.type } });
  }
}

export interface PublisherDependencies {
  readonly events: Pick<PaymentEventQueue, 'send'>;
  readonly store: Pick<PaymentStore, 'clearOutbox'>;
  /** customer-sync's queue, with the configured fields; absent: no segmentation. */
  readonly segmentation?: { readonly enqueue: (update: QueuedProfileUpdate) => Promise<void>; readonly fields: SegmentationFields };
}

/**
 * PAYMENT_SEGMENTATION_FIELDS read without zod (cold start): a JSON object of custom field key → fact; anything else
 * stops the cold start naming the variable (the stack writes it from config, which the config schema checked).
 */
export function segmentationFields(json: string | undefined): SegmentationFields | undefined {
  if (json === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    value = undefined;
  }
  const valid =
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.entries(value).every(([key, fact]) => SEGMENTATION_FIELD_KEY.test(key) && (SEGMENTATION_FACTS as readonly unknown[]).includes(fact));
  if (!valid) throw new Error('Environment variable PAYMENT_SEGMENTATION_FIELDS must be a JSON object of Modyo custom field key → payment fact');
  return value as SegmentationFields;
}

/** The segmentation half of the publisher, built from the environment's two variables (both or neither). */
export function segmentationFrom(sqs: SQSClient, queueUrl: string | undefined, fieldsJson: string | undefined): PublisherDependencies['segmentation'] {
  const fields = segmentationFields(fieldsJson);
  return queueUrl && fields ? { enqueue: profileUpdateQueue(sqs, queueUrl), fields } : undefined;
}

/** Queues what a record in a final state owes; throws when something could not be queued (the marker stays). */
export function paymentPublisher(deps: PublisherDependencies) {
  return async function publish(record: PaymentRecord & { status: FinalPaymentStatus }, occurredAt: string): Promise<void> {
    await deps.events.send(paymentEvent(record, occurredAt));
    const update = deps.segmentation && segmentationUpdate(record, deps.segmentation.fields);
    if (update) {
      await deps.segmentation!.enqueue(update);
      logger.info('Segmentation update queued for the paying realm user', { paymentId: record.paymentId, realmUid: record.realmUid });
    }
    await deps.store.clearOutbox(record.paymentId, record.updatedAt);
  };
}
export type Publish = ReturnType<typeof paymentPublisher>;

/** Publishes if the record owes it; a failure is logged and left to the outbox relay (the state is already true). */
export async function publishOwed(publish: Publish, record: PaymentRecord, now: () => Date): Promise<void> {
  if (record.outbox !== 'pending' || !isFinal(record)) return;
  try {
    await publish(record, record.updatedAt ?? now().toISOString());
  } catch (error) {
    logger.error('Payment event not queued; the outbox relay will send it', { paymentId: record.paymentId, error: (error as Error).name });
  }
}
