/**
 * Notifications delivery worker entry point: SQS consumer of the delivery queue (standard, with a DLQ), reporting
 * partial batch failures. Environment and IAM: contract.ts (NotificationsWorkerEnv). One HTTP attempt per send by
 * default: the POST is not idempotent (a timeout or 5xx may come after Modyo accepted it), so retries are left to
 * SQS redelivery and the delivery lease; the stack's HTTP_* limits say otherwise only for a route that
 * de-duplicates on `external_id`.
 */
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { jsonBody, MalformedRecord, processQueueBatch } from '../../shared/batch';
import { retryPolicyFromEnv } from '../../shared/http-retry';
import { parseEnv } from '../../shared/env';
import { withLambdaContext } from '../../shared/logger';
import { ModyoAdminClient, tokenFromSecret } from '../../shared/modyo-admin';
import { secrets } from '../../shared/secrets';
import { deliver, type DeliveryDeps } from './handler';
import { ModyoMessaging } from '../modyo-messaging';
import { DeliveryMessage, NotificationsWorkerEnv } from '../contract';
import { NotificationStore } from '../store';

const env = parseEnv(NotificationsWorkerEnv);
// HTTP_* (the stack's outbound limits, checked against the function's timeout) override these defaults.
const http = retryPolicyFromEnv({ timeoutMs: 5000, maxAttempts: 1 });
const client = new ModyoAdminClient({
  baseUrl: env.MODYO_BASE_URL,
  token: tokenFromSecret(secrets, env.MODYO_TOKEN_SECRET_ID),
  timeoutMs: http.timeoutMs,
  maxAttempts: http.maxAttempts,
  baseDelayMs: http.baseDelayMs,
  maxDelayMs: http.maxDelayMs,
});

const deps: DeliveryDeps = {
  store: new NotificationStore(env.NOTIFICATIONS_TABLE_NAME),
  messaging: new ModyoMessaging(client, env.MODYO_ADMIN_ROUTES.messagingDeliveries),
  now: () => new Date(),
  leaseMs: env.DELIVERY_LEASE_SECONDS * 1000,
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
export const handler = withLambdaContext(async (event: SQSEvent, context: Context) => processQueueBatch(event, context, handleRecord));
