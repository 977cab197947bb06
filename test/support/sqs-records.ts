/**
 * SQS records as Lambda's event source mapping delivers them (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html),
 * built directly, so a worker test can feed its entry point any body, and records with a broken envelope.
 */
import type { SQSRecord } from 'aws-lambda';

export interface RecordOptions {
  /** Queue name; a `.fifo` name gives the record a MessageGroupId (its own group unless `groupId` is set). */
  readonly queue?: string;
  readonly groupId?: string;
}

export function sqsRecord(messageId: string, body: string, options: RecordOptions = {}): SQSRecord {
  const queue = options.queue ?? 'queue';
  const fifo = queue.endsWith('.fifo');
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1714557600000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1714557600001',
      ...(fifo ? { MessageGroupId: options.groupId ?? `group-${messageId}`, MessageDeduplicationId: `dedup-${messageId}`, SequenceNumber: '1' } : {}),
    },
    messageAttributes: {},
    md5OfBody: 'md5',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:${queue}`,
    awsRegion: 'us-east-1',
  };
}

/** Bodies no worker's contract accepts: not JSON, and JSON of every type but an object. */
export const NOT_AN_OBJECT_BODIES: Readonly<Record<string, string>> = {
  'not JSON': 'not json {',
  'empty body': '',
  'JSON string': '"user_updated"',
  'JSON number': '42',
  'JSON boolean': 'true',
  'JSON null': 'null',
  'JSON array': '[{"schemaVersion":1}]',
};

/** Records whose envelope is broken (what lambda/shared/batch.ts must fail alone): each keeps a valid body. */
export function brokenEnvelopes(prefix: string, body: string, options: RecordOptions = {}): SQSRecord[] {
  const withoutAttributes = { ...sqsRecord(`${prefix}-no-attributes`, body, options) } as Partial<SQSRecord>;
  delete withoutAttributes.attributes;
  const withoutArn = { ...sqsRecord(`${prefix}-no-arn`, body, options) } as Partial<SQSRecord>;
  delete withoutArn.eventSourceARN;
  const numericBody = { ...sqsRecord(`${prefix}-body-not-string`, body, options), body: 42 as unknown as string };
  return [withoutAttributes as SQSRecord, withoutArn as SQSRecord, numericBody];
}
