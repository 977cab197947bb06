/** Queues delivery messages on the (standard) delivery queue, ten per SendMessageBatch call (lambda/shared/sqs.ts). */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { QueueSender } from '../shared/sqs';
import type { DeliveryMessage } from './contract';

export class DeliveryQueue {
  private readonly sender: QueueSender;

  constructor(queueUrl: string, client?: SQSClient) {
    this.sender = new QueueSender(queueUrl, client);
  }

  /** Resolves only when SQS has taken every message; an entry SQS refused makes it throw (the caller answers 503). */
  async send(messages: readonly DeliveryMessage[]): Promise<void> {
    await this.sender.sendAll(messages.map((message) => ({ body: message })));
  }
}
