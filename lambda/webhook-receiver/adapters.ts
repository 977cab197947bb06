/** The webhook receiver's adapters: the raw event archive (S3) and the event queues (SQS). */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { NormalisedModyoEvent } from '../shared/modyo-events';
import { QueueSender } from '../shared/sqs';

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
 * Sends normalised events to one queue (lambda/shared/sqs.ts decides FIFO): on a FIFO queue one user's events stay
 * in order (grouped by user, else realm, else event) and the event id deduplicates a re-send; on a standard queue
 * consumers deduplicate on eventId.
 */
export class EventQueue {
  private readonly sender: QueueSender;

  constructor(client: SQSClient, queueUrl: string) {
    this.sender = new QueueSender(queueUrl, client);
  }

  async send(event: NormalisedModyoEvent): Promise<void> {
    await this.sender.send({ body: event, group: event.user?.id ?? event.realmUid ?? event.eventId, deduplicationId: event.eventId, attributes: { eventType: event.type } });
  }
}
