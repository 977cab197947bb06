import type { SQSClient } from '@aws-sdk/client-sqs';
import { QueueSender } from '../shared/sqs';
import type { QueuedProfileUpdate } from './contract';
import { deduplicationId, messageGroupId } from './core';

/**
 * Queues a profile update (lambda/shared/sqs.ts decides FIFO). On a FIFO queue updates of one realm user share a
 * message group, so they are applied in order, and the request id with the update deduplicates a caller's retry
 * within SQS's five-minute window (a reused key with another update is not a duplicate: the worker refuses it).
 */
export function profileUpdateQueue(sqs: SQSClient, queueUrl: string) {
  const sender = new QueueSender(queueUrl, sqs);
  return (message: QueuedProfileUpdate): Promise<void> =>
    sender.send({ body: message, group: messageGroupId(message.update), deduplicationId: deduplicationId(message.requestId, message.update) });
}
