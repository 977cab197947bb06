/**
 * Modyo webhook receiver: POST /webhooks/modyo (API Gateway REST, Lambda proxy).
 *
 * Environment:
 *   WEBHOOK_SECRET_ID               Secrets Manager id of {"sharedSecret": "...", "signingKey"?: "..."}   secretsmanager:GetSecretValue (+ kms:Decrypt on its key)
 *   ARCHIVE_BUCKET_NAME             raw bodies, `raw/type=<type>/dt=<day>/<eventId>.json`                 s3:PutObject on arn:...:<bucket>/raw/* (+ kms:GenerateDataKey if SSE-KMS)
 *   EVENTS_QUEUE_URL                every normalised event of a known type                                 sqs:SendMessage (+ kms:GenerateDataKey, kms:Decrypt if SSE-KMS)
 *   IDENTITY_QUEUE_URL              user_created/updated/enabled/disabled/deleted, also                    sqs:SendMessage
 *   IDEMPOTENCY_TABLE_NAME          deliveries seen (pk `id`, TTL `expiration`)                            dynamodb:PutItem, GetItem, UpdateItem, DeleteItem
 *   WEBHOOK_SECRET_HEADER           default x-connect-webhook-secret
 *   WEBHOOK_SIGNATURE_HEADER        default x-connect-signature (hex HMAC-SHA256 of `timestamp.body`, optional `sha256=` prefix)
 *   WEBHOOK_TIMESTAMP_HEADER        default x-connect-timestamp (Unix seconds)
 *   SECRET_REFRESH_INTERVAL_SECONDS default 5: least time between two forced re-reads of the secret after a failed check
 *   IN_PROGRESS_LOCK_SECONDS        default 60 (longer than the function timeout): when a crashed attempt may be redone
 *   DEDUP_RETENTION_DAYS            default 7: how long a completed delivery with Modyo's own id is recognised as a duplicate
 *   HASH_DEDUP_SECONDS              default 300: the same for a payload without an id (known by the hash of its body), which
 *                                   may be a genuine repeat: long enough for Modyo's retries only
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from '../shared/aws-clients';
import { requiredEnv, secrets } from '../shared/secrets';
import { WebhookSecretSource } from './credentials';
import { DeliveryLedger } from './ledger';
import { EventQueue, RawArchive } from './outbox';
import { createWebhookHandler } from './receiver';

const numberEnv = (name: string, fallback: number): number => (process.env[name] ? Number(process.env[name]) : fallback);
const sqs = new SQSClient(awsClientConfig());

export const handler = createWebhookHandler({
  secrets: new WebhookSecretSource(secrets, requiredEnv('WEBHOOK_SECRET_ID'), numberEnv('SECRET_REFRESH_INTERVAL_SECONDS', 5) * 1000),
  ledger: new DeliveryLedger(DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig())), requiredEnv('IDEMPOTENCY_TABLE_NAME'), {
    lockSeconds: numberEnv('IN_PROGRESS_LOCK_SECONDS', 60),
  }),
  dedupe: {
    modyoIdSeconds: numberEnv('DEDUP_RETENTION_DAYS', 7) * 24 * 3600,
    bodyHashSeconds: numberEnv('HASH_DEDUP_SECONDS', 300),
  },
  archive: new RawArchive(new S3Client(awsClientConfig()), requiredEnv('ARCHIVE_BUCKET_NAME')),
  events: new EventQueue(sqs, requiredEnv('EVENTS_QUEUE_URL')),
  identity: new EventQueue(sqs, requiredEnv('IDENTITY_QUEUE_URL')),
  headers: {
    secret: process.env.WEBHOOK_SECRET_HEADER || 'x-connect-webhook-secret',
    signature: process.env.WEBHOOK_SIGNATURE_HEADER || 'x-connect-signature',
    timestamp: process.env.WEBHOOK_TIMESTAMP_HEADER || 'x-connect-timestamp',
  },
});
