/**
 * Modyo webhook receiver: POST /webhooks/modyo (API Gateway REST, Lambda proxy). Environment, headers, limits and
 * IAM: contract.ts.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClientConfig, CACHED_MIDDLEWARE, withoutCallLogging } from '../shared/aws-clients';
import { parseEnv } from '../shared/env';
import { withLambdaContext } from '../shared/logger';
import { secrets } from '../shared/secrets';
import { WEBHOOK_HEADERS, WEBHOOK_LIMITS, WebhookReceiverEnv } from './contract';
import { WebhookSecretSource } from './credentials';
import { DeliveryLedger } from './ledger';
import { EventQueue, RawArchive } from './adapters';
import { createWebhookHandler } from './handler';

const env = parseEnv(WebhookReceiverEnv);
// Four or five AWS calls per accepted event are most of its CPU: no per-call log filtering, and every client
// resolves its middleware once (bench/webhook.ts).
const sqs = withoutCallLogging(new SQSClient({ ...awsClientConfig(), ...CACHED_MIDDLEWARE }));

export const handler = withLambdaContext(
  createWebhookHandler({
    secrets: new WebhookSecretSource(secrets, env.WEBHOOK_SECRET_ID, env.REFRESH_INTERVAL_SECONDS * 1000),
    ledger: new DeliveryLedger(withoutCallLogging(new DynamoDBClient({ ...awsClientConfig(), ...CACHED_MIDDLEWARE })), env.IDEMPOTENCY_TABLE_NAME, {
      lockSeconds: WEBHOOK_LIMITS.inProgressLockSeconds,
    }),
    dedupe: {
      modyoIdSeconds: WEBHOOK_LIMITS.dedupRetentionDays * 24 * 3600,
      bodyHashSeconds: env.HASH_DEDUP_SECONDS,
    },
    archive: new RawArchive(withoutCallLogging(new S3Client({ ...awsClientConfig(), ...CACHED_MIDDLEWARE })), env.ARCHIVE_BUCKET_NAME),
    events: new EventQueue(sqs, env.EVENTS_QUEUE_URL),
    identity: new EventQueue(sqs, env.IDENTITY_QUEUE_URL),
    headers: WEBHOOK_HEADERS,
  }),
);
