/** Queues payment events for downstream systems (lambda/shared/sqs.ts decides FIFO). */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { QueueSender } from '../shared/sqs';
import type { PaymentEvent } from './contract';

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
