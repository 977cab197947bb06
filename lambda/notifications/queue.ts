/** Queues delivery messages on the (standard) delivery queue, ten per SendMessageBatch call. */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig } from '../shared/aws-clients';
import type { DeliveryMessage } from './contract';

export class DeliveryQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly client: SQSClient = new SQSClient(awsClientConfig()),
  ) {}

  /** Resolves only when SQS has taken every message; an entry SQS refused makes it throw (the caller answers 503). */
  async send(messages: readonly DeliveryMessage[]): Promise<void> {
    for (let start = 0; start < messages.length; start += 10) {
      const batch = messages.slice(start, start + 10);
      const result = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((message, index) => ({ Id: String(index), MessageBody: JSON.stringify(message) })),
        }),
      );
      if (result.Failed && result.Failed.length > 0) {
        const codes = result.Failed.map((failure) => failure.Code).join(', ');
        throw new Error(`SQS refused ${result.Failed.length} of ${batch.length} delivery messages: ${codes}`);
      }
    }
  }
}
