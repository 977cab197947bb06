import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { deduplicationId, messageGroupId } from './core';
import type { QueuedProfileUpdate } from './contract';

/**
 * Queues a profile update. On a FIFO queue (`.fifo`) updates of one realm user share a message group, so they are
 * applied in order, and the request id with the update deduplicates a caller's retry within SQS's five-minute
 * window (a reused key with another update is not a duplicate: the worker refuses it instead).
 */
export function profileUpdateQueue(sqs: SQSClient, queueUrl: string) {
  const fifo = queueUrl.endsWith('.fifo');
  return async (message: QueuedProfileUpdate): Promise<void> => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(message),
        ...(fifo ? { MessageGroupId: messageGroupId(message.update), MessageDeduplicationId: deduplicationId(message.requestId, message.update) } : {}),
      }),
    );
  };
}
