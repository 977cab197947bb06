import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { messageGroupId } from './core';
import type { QueuedProfileUpdate } from './schema';

/**
 * Queues a profile update. On a FIFO queue (`.fifo`) updates of one realm user share a message group, so they are
 * applied in order, and the request id deduplicates a caller's retry within SQS's five-minute window.
 */
export function profileUpdateQueue(sqs: SQSClient, queueUrl: string) {
  const fifo = queueUrl.endsWith('.fifo');
  return async (message: QueuedProfileUpdate): Promise<void> => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(message),
        ...(fifo ? { MessageGroupId: messageGroupId(message.update), MessageDeduplicationId: message.requestId } : {}),
      }),
    );
  };
}
