import { Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { NotificationsApiEnv, NotificationsWorkerEnv } from '../../../lambda/notifications/contract';
import type { HttpCallLimits } from '../../../lambda/shared/outbound-limits';
import type { ConnectTable } from '../connect-table';
import { contractEnvironment } from '../connect-function';
import { grantSendOnly, type QueueWithDlq } from '../queue-with-dlq';
import { IntegrationFeature, type IntegrationFeatureProps, visibilityFor } from './integration-feature';
import type { ModyoAdminAccess } from './modyo-admin-access';

/** Notification deliveries: two tries of 5 s per message, processed in parallel within a batch. */
const DELIVERY_WORKER_TIMEOUT = Duration.seconds(30);
/** A notification send: one attempt of 5 s (the POST is not idempotent: SQS redelivery and the delivery lease retry it). */
const DELIVERY_CALLS: HttpCallLimits = { timeoutMs: 5_000, maxAttempts: 1, baseDelayMs: 200, maxDelayMs: 1_000 };
/** A delivery attempt's lease: at least the worker's timeout, at most the queue's visibility timeout. */
const DELIVERY_LEASE = Duration.seconds(60);

export interface NotificationsProps extends IntegrationFeatureProps {
  readonly modyoAdmin: ModyoAdminAccess;
}

/**
 * Notifications to realm users through Modyo messaging: the API accepts a request (one delivery per recipient,
 * recorded in the table and queued) and answers its state; the worker sends each delivery and records the outcome.
 */
export class Notifications extends IntegrationFeature {
  /** POST /notifications, GET /notifications/{id} */
  readonly api: lambda.IFunction;
  readonly table: ConnectTable;
  readonly deliveries: QueueWithDlq;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id, props);
    this.table = this.createTable('Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
    });
    this.deliveries = this.queue('Deliveries', { visibilityTimeout: visibilityFor(DELIVERY_WORKER_TIMEOUT) });

    const api = this.fn('Api', {
      handler: 'notifications/api',
      description: 'Notifications API: accepts requests (one delivery per recipient) and answers their state',
      invokedBy: 'api-gateway',
      outboundCalls: {},
      concurrency: 'notificationsApi',
      environment: contractEnvironment(NotificationsApiEnv, {
        NOTIFICATIONS_TABLE_NAME: this.table.tableName,
        DELIVERY_QUEUE_URL: this.deliveries.queue.queueUrl,
        // Widgets read delivery states from the browser: the handler echoes these origins (API Gateway answers only the preflight).
        CORS_ALLOWED_ORIGINS: JSON.stringify(this.config.api.corsOrigins),
      }),
    });
    this.table.grantItemActions(api, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query');
    grantSendOnly(this.deliveries.queue, api);
    this.api = api;

    const worker = this.fn('Worker', {
      handler: 'notifications/worker',
      description: 'Delivers queued notifications through the Modyo messaging API and records each outcome',
      invokedBy: 'sqs',
      timeout: DELIVERY_WORKER_TIMEOUT,
      outboundCalls: { http: DELIVERY_CALLS },
      concurrency: 'notificationsWorker',
      environment: contractEnvironment(NotificationsWorkerEnv, {
        ...props.modyoAdmin.environment,
        NOTIFICATIONS_TABLE_NAME: this.table.tableName,
        DELIVERY_LEASE_SECONDS: String(DELIVERY_LEASE.toSeconds()),
      }),
    });
    props.modyoAdmin.grantCall(worker);
    this.table.grantItemActions(worker, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    this.consume(worker, this.deliveries, 10, 'notificationsWorker');
  }
}
