/**
 * Notifications API entry point (API Gateway REST, Lambda proxy; Cognito authorizer in front).
 *   POST /notifications       body: NotificationRequest (schema.ts), optional header Idempotency-Key
 *   GET  /notifications/{id}
 * Environment:
 *   NOTIFICATIONS_TABLE_NAME  table with pk/sk (strings), TTL attribute `expiresAt`
 *                             IAM: dynamodb:PutItem, GetItem, UpdateItem, Query on it
 *   DELIVERY_QUEUE_URL        standard queue of delivery messages; IAM: sqs:SendMessage on it
 *   RETENTION_DAYS            optional, default 90: how long records and idempotency keys are kept
 *   CORS_ALLOWED_ORIGINS      JSON array of the Widget origins whose browser calls get CORS headers
 */
import { randomUUID } from 'node:crypto';
import { allowedOriginsFromEnv, withCors } from '../shared/http';
import { requiredEnv } from '../shared/secrets';
import { notificationsApi } from './api';
import { positiveNumberEnv } from './env';
import { DeliveryQueue } from './queue';
import { NotificationStore } from './store';

export const handler = withCors(
  notificationsApi({
    store: new NotificationStore(requiredEnv('NOTIFICATIONS_TABLE_NAME')),
    queue: new DeliveryQueue(requiredEnv('DELIVERY_QUEUE_URL')),
    now: () => new Date(),
    newId: randomUUID,
    retentionDays: positiveNumberEnv('RETENTION_DAYS', 90),
  }),
  allowedOriginsFromEnv(),
);
