import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createHash } from 'node:crypto';
import type { NormalisedModyoEvent } from '../shared/modyo-events';

/** Keeps the raw body exactly as Modyo sent it; encryption is the bucket's default (SSE). */
export class RawArchive {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, rawBody: Buffer, eventId: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: rawBody, ContentType: 'application/json', Metadata: { 'event-id': eventId } }),
    );
  }
}

/**
 * Sends normalised events to one queue. Standard queues get the event as is (consumers deduplicate on eventId);
 * FIFO queues (URL ending `.fifo`) also get per-user ordering and eventId as the deduplication id.
 */
export class EventQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(event: NormalisedModyoEvent): Promise<void> {
    const fifo = this.queueUrl.endsWith('.fifo')
      ? { MessageGroupId: fifoToken(event.user?.id ?? event.realmUid ?? event.eventId), MessageDeduplicationId: fifoToken(event.eventId) }
      : {};
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(event),
        MessageAttributes: { eventType: { DataType: 'String', StringValue: event.type } },
        ...fifo,
      }),
    );
  }
}

/** FIFO group and deduplication ids allow 128 printable ASCII characters: longer or other values are hashed. */
export function fifoToken(value: string): string {
  return /^[\x21-\x7e]{1,128}$/.test(value) ? value : createHash('sha256').update(value).digest('hex');
}
