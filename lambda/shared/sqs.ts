/**
 * The one SQS sender of every handler. Whether a queue is FIFO, and what a FIFO message's group and deduplication
 * ids look like, is decided here and nowhere else: a queue whose URL ends `.fifo` gets the message's group (order
 * holds within it) and deduplication id (SQS drops a re-send within five minutes), each made a valid FIFO token; a
 * standard queue gets neither (its consumers deduplicate on their own ids). Each producer only says which of its
 * fields is the group and which the deduplication id.
 */
import { createHash } from 'node:crypto';
import { type MessageAttributeValue, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig } from './aws-clients';

export interface OutgoingMessage {
  /** Sent as JSON. */
  readonly body: unknown;
  /** FIFO queues: messages of one group are delivered in order. Required on a FIFO queue. */
  readonly group?: string;
  /** FIFO queues: a message re-sent with the same id within five minutes is dropped (else the body's hash decides). */
  readonly deduplicationId?: string;
  /** String message attributes, e.g. the event type, for subscription filters and consumers. */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** FIFO group and deduplication ids allow 128 printable ASCII characters: longer or other values are hashed. */
export function fifoToken(value: string): string {
  return /^[\x21-\x7e]{1,128}$/.test(value) ? value : createHash('sha256').update(value).digest('hex');
}

/** SendMessageBatch takes at most ten entries. */
const BATCH_SIZE = 10;

export class QueueSender {
  readonly fifo: boolean;

  constructor(
    readonly queueUrl: string,
    private readonly client: SQSClient = new SQSClient(awsClientConfig()),
  ) {
    this.fifo = queueUrl.endsWith('.fifo');
  }

  /** Resolves when SQS has taken the message. */
  async send(message: OutgoingMessage): Promise<void> {
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, ...this.entry(message) }));
  }

  /** Resolves only when SQS has taken every message; an entry SQS refused makes it throw (naming the codes only). */
  async sendAll(messages: readonly OutgoingMessage[]): Promise<void> {
    for (let start = 0; start < messages.length; start += BATCH_SIZE) {
      const batch = messages.slice(start, start + BATCH_SIZE);
      const result = await this.client.send(
        new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: batch.map((message, index) => ({ Id: String(index), ...this.entry(message) })) }),
      );
      if (result.Failed && result.Failed.length > 0) {
        const codes = result.Failed.map((failure) => failure.Code).join(', ');
        throw new Error(`SQS refused ${result.Failed.length} of ${batch.length} messages: ${codes}`);
      }
    }
  }

  private entry(message: OutgoingMessage) {
    const attributes = message.attributes
      ? Object.fromEntries(Object.entries(message.attributes).map(([name, value]): [string, MessageAttributeValue] => [name, { DataType: 'String', StringValue: value }]))
      : undefined;
    let fifo = {};
    if (this.fifo) {
      if (message.group === undefined) throw new Error('A message for a FIFO queue needs its group');
      fifo = { MessageGroupId: fifoToken(message.group), ...(message.deduplicationId !== undefined ? { MessageDeduplicationId: fifoToken(message.deduplicationId) } : {}) };
    }
    return { MessageBody: JSON.stringify(message.body), ...(attributes ? { MessageAttributes: attributes } : {}), ...fifo };
  }
}
