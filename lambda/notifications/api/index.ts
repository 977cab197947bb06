/**
 * Notifications API entry point (API Gateway REST, Lambda proxy; Cognito authorizer in front).
 *   POST /notifications       body: NotificationRequest (contract.ts), optional header Idempotency-Key
 *   GET  /notifications/{id}
 * Environment and IAM: contract.ts (NotificationsApiEnv).
 */
import { randomUUID } from 'node:crypto';
import { parseEnv } from '../../shared/env';
import { withLambdaContext } from '../../shared/logger';
import { withCors } from '../../shared/http';
import { notificationsApi } from './handler';
import { NotificationsApiEnv, RETENTION_DAYS } from '../contract';
import { DeliveryQueue } from '../queue';
import { NotificationStore } from '../store';

const env = parseEnv(NotificationsApiEnv);

export const handler = withLambdaContext(
  withCors(
    notificationsApi({
      store: new NotificationStore(env.NOTIFICATIONS_TABLE_NAME),
      queue: new DeliveryQueue(env.DELIVERY_QUEUE_URL),
      now: () => new Date(),
      newId: randomUUID,
      retentionDays: RETENTION_DAYS,
    }),
    env.CORS_ALLOWED_ORIGINS,
  ),
);
