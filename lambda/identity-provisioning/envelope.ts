import type { SQSRecord } from 'aws-lambda';

/**
 * What is wrong with a record's SQS envelope, or undefined when nothing is. Lambda's SQS event contract: a string
 * `messageId` and `body`, an `attributes` object, the queue's `eventSourceARN`, and on a FIFO queue a
 * `MessageGroupId` among the attributes (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html). The reason
 * names fields only, never values.
 */
export function envelopeProblem(record: Partial<SQSRecord>, fifo: boolean): string | undefined {
  if (typeof record.body !== 'string') return 'body is missing or not a string';
  if (record.attributes === null || typeof record.attributes !== 'object') return 'attributes are missing';
  if (typeof record.eventSourceARN !== 'string' || record.eventSourceARN === '') return 'eventSourceARN is missing';
  if (fifo && typeof record.attributes.MessageGroupId !== 'string') return 'attributes.MessageGroupId is missing on a FIFO queue';
  return undefined;
}
