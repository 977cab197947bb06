/** Test helpers of customer sync: SQS messages turned into Lambda events the way the event source mapping does. */
import { CreateQueueCommand, DeleteMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { receiveHeld } from '../../test/support/sqs-receive';

export const lambdaContext = {
  functionName: 'customer-sync-test',
  awsRequestId: 'test-request',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;


/** A queue with a DLQ after `maxReceiveCount` receives; returns both URLs. */
export async function createQueueWithDlq(sqs: SQSClient, name: string, maxReceiveCount = 2): Promise<{ queueUrl: string; dlqUrl: string }> {
  const fifo = name.endsWith('.fifo');
  const fifoAttributes: Record<string, string> = fifo ? { FifoQueue: 'true' } : {};
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: fifo ? name.replace('.fifo', '-dlq.fifo') : `${name}-dlq`, Attributes: fifoAttributes }));
  const dlqArn = `arn:aws:sqs:us-east-1:123456789012:${dlq.QueueUrl?.split('/').pop()}`;
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: { ...fifoAttributes, VisibilityTimeout: '30', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }) },
    }),
  );
  return { queueUrl: queue.QueueUrl as string, dlqUrl: dlq.QueueUrl as string };
}

export async function receive(sqs: SQSClient, queueUrl: string, visibilityTimeout = 30): Promise<SQSRecord[]> {
  const messages = await receiveHeld(sqs, { QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'], AttributeNames: ['All'], VisibilityTimeout: visibilityTimeout });
  return messages.map((message) => ({
    messageId: message.MessageId as string,
    receiptHandle: message.ReceiptHandle as string,
    body: message.Body as string,
    attributes: message.Attributes as unknown as SQSRecord['attributes'],
    messageAttributes: {},
    md5OfBody: message.MD5OfBody as string,
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:queue',
    awsRegion: 'us-east-1',
  }));
}

/**
 * One poll of the event source mapping: receive a batch, invoke, delete what succeeded. The batch is received
 * with a visibility timeout of 1 s, so the failed messages are visible again soon (local-aws-sqs ignores 0).
 */
export async function pollOnce(
  sqs: SQSClient,
  queueUrl: string,
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>,
): Promise<{ records: SQSRecord[]; response: SQSBatchResponse }> {
  const records = await receive(sqs, queueUrl, 1);
  if (records.length === 0) return { records, response: { batchItemFailures: [] } };
  const response = await handler({ Records: records }, lambdaContext);
  const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
  const succeeded = records.filter((record) => !failed.has(record.messageId));
  if (succeeded.length) {
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: succeeded.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })) }));
  }
  return { records, response };
}

/** Polls until the queue is empty, waiting out the visibility timeout after failures; returns each answer. */
export async function drainQueue(sqs: SQSClient, queueUrl: string, handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>, maxPolls = 6): Promise<SQSBatchResponse[]> {
  const responses: SQSBatchResponse[] = [];
  for (let i = 0; i < maxPolls; i += 1) {
    const { records, response } = await pollOnce(sqs, queueUrl, handler);
    if (records.length === 0) break;
    responses.push(response);
    if (response.batchItemFailures.length > 0) await new Promise((resolve) => setTimeout(resolve, 1_050));
  }
  return responses;
}
