/** Queues payment events for downstream systems (standard or FIFO queue). */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { PaymentEvent } from './contract';

export class PaymentEventQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(event: PaymentEvent): Promise<void> {
    const fifo = this.queueUrl.endsWith('.fifo');
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(event),
        MessageAttributes: { type: { DataType: 'String', StringValue: event.type } },
        // On a FIFO queue a re-sent event inside the 5-minute window is dropped by SQS; otherwise consumers dedupe on eventId.
        ...(fifo ? { MessageGroupId: event.paymentId, MessageDeduplicationId: event.eventId } : {}),
      }),
    );
  }
}
