/**
 * Notifications delivery worker entry point: SQS consumer of the delivery queue (standard, with a DLQ), reporting
 * partial batch failures (event source mapping with `ReportBatchItemFailures`).
 * Environment:
 *   NOTIFICATIONS_TABLE_NAME  IAM: dynamodb:GetItem, UpdateItem on it
 *   MODYO_BASE_URL            account URL, e.g. https://example.modyo.cloud
 *   MODYO_TOKEN_SECRET_ID     Secrets Manager secret: the admin API token, or {"token": "..."}
 *                             IAM: secretsmanager:GetSecretValue on it (+ kms:Decrypt on its key)
 *   MODYO_ADMIN_ROUTES        optional JSON; `messagingDeliveries` is the send route (Modyo publishes none;
 *                             default /api/admin/messaging/deliveries, may contain {realm_uid})
 *   HTTP_TIMEOUT_MS, HTTP_MAX_ATTEMPTS, HTTP_BASE_DELAY_MS, HTTP_MAX_DELAY_MS  set by the stack from the function's
 *                             outbound limits; they override MODYO_TIMEOUT_MS / MODYO_MAX_ATTEMPTS
 *   AWS_CONNECTION_TIMEOUT_MS, AWS_REQUEST_TIMEOUT_MS, AWS_MAX_ATTEMPTS, AWS_RETRY_*  the AWS clients' limits
 *   MODYO_TIMEOUT_MS          optional, default 5000: per HTTP attempt
 *   MODYO_MAX_ATTEMPTS        optional, default 1: in-call tries of the send. The POST is not idempotent (a
 *                             timeout or 5xx may come after Modyo accepted it), so retries are left to SQS
 *                             redelivery and the delivery lease; raise it only for a route that de-duplicates
 *                             on `external_id`.
 *   DELIVERY_LEASE_SECONDS    optional, default 60: >= the function timeout, <= the queue's visibility timeout
 * Queue-side IAM: sqs:ReceiveMessage, DeleteMessage, GetQueueAttributes (granted by the event source mapping).
 */
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { jsonBody, MalformedRecord, processQueueBatch } from '../shared/batch';
import { retryPolicyFromEnv } from '../shared/http-retry';
import { ModyoAdminClient, modyoAdminRoutes, tokenFromSecret } from '../shared/modyo-admin';
import { requiredEnv, secrets } from '../shared/secrets';
import { deliver, type DeliveryDeps } from './delivery';
import { positiveNumberEnv } from './env';
import { ModyoMessaging } from './modyo-messaging';
import { DeliveryMessage } from './schema';
import { NotificationStore } from './store';

// HTTP_* (the stack's outbound limits, checked against the function's timeout) override the MODYO_* defaults.
const http = retryPolicyFromEnv({ timeoutMs: positiveNumberEnv('MODYO_TIMEOUT_MS', 5000), maxAttempts: positiveNumberEnv('MODYO_MAX_ATTEMPTS', 1) });
const client = new ModyoAdminClient({
  baseUrl: requiredEnv('MODYO_BASE_URL'),
  token: tokenFromSecret(secrets, requiredEnv('MODYO_TOKEN_SECRET_ID')),
  timeoutMs: http.timeoutMs,
  maxAttempts: http.maxAttempts,
  baseDelayMs: http.baseDelayMs,
  maxDelayMs: http.maxDelayMs,
});

const deps: DeliveryDeps = {
  store: new NotificationStore(requiredEnv('NOTIFICATIONS_TABLE_NAME')),
  messaging: new ModyoMessaging(client, modyoAdminRoutes(process.env.MODYO_ADMIN_ROUTES).messagingDeliveries),
  now: () => new Date(),
  leaseMs: positiveNumberEnv('DELIVERY_LEASE_SECONDS', 60) * 1000,
  // Sends Modyo accepted whose `sent` write failed: a redelivery to this container records them, never resends.
  unrecorded: new Map(),
};

async function handleRecord(record: SQSRecord): Promise<void> {
  const parsed = DeliveryMessage.safeParse(jsonBody(record));
  // Can never succeed: fail it on every try so it ends in the DLQ, where it can be looked at (logged by the batch).
  if (!parsed.success) throw new MalformedRecord('unreadable_delivery_message');
  await deliver(parsed.data, deps);
}

// The shared wiring: one malformed record (body or envelope) fails alone, never the batch.
export const handler = async (event: SQSEvent, context: Context) => processQueueBatch(event, context, handleRecord);
