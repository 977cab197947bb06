import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { ForwarderEnv, InboundEnv, WorkerEnv } from '../../../lambda/customer-sync/contract';
import type { ConnectTable } from '../connect-table';
import { contractEnvironment } from '../connect-function';
import type { IntegrationSecret } from '../integration-secret';
import { grantSendOnly, type QueueWithDlq } from '../queue-with-dlq';
import { IntegrationFeature, type IntegrationFeatureProps, thirdPartyRotation, visibilityFor } from './integration-feature';
import { HTTP_WORKER_BATCH, HTTP_WORKER_CALLS, HTTP_WORKER_TIMEOUT, type ModyoAdminAccess } from './modyo-admin-access';

export interface CustomerSyncProps extends IntegrationFeatureProps {
  readonly idempotencyTable: ConnectTable;
  readonly modyoAdmin: ModyoAdminAccess;
  /** The webhook receiver's normalised Modyo events, which the forwarder sends on to the CRM/CDP. */
  readonly modyoEvents: QueueWithDlq;
}

const IDEMPOTENT_WRITES = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];

/**
 * Customer data both ways between Modyo Customers and the CRM/CDP: profile updates in (the inbound API queues them
 * FIFO per realm user, the worker applies them through the Modyo admin API) and Modyo user events out (the
 * forwarder posts them to the configured CRM endpoint).
 *
 * Secret: connect/<env>/crm-credentials {"type":"bearer","token"} | {"type":"basic","username","password"} |
 * {"type":"api-key","header","value"}.
 */
export class CustomerSync extends IntegrationFeature {
  /** POST /customer-sync/profile-updates */
  readonly inbound: lambda.IFunction;
  readonly profileUpdates: QueueWithDlq;
  readonly crmCredentials: IntegrationSecret;

  constructor(scope: Construct, id: string, props: CustomerSyncProps) {
    super(scope, id, props);
    const { idempotencyTable, modyoAdmin } = props;
    this.profileUpdates = this.queue('ProfileUpdates', { visibilityTimeout: visibilityFor(HTTP_WORKER_TIMEOUT), fifo: true });

    const inbound = this.fn('Inbound', {
      handler: 'customer-sync/inbound',
      description: 'CRM/CDP profile updates: validates and queues them (FIFO per realm user)',
      invokedBy: 'api-gateway',
      outboundCalls: {},
      concurrency: 'customerSyncInbound',
      environment: contractEnvironment(InboundEnv, { PROFILE_UPDATES_QUEUE_URL: this.profileUpdates.queue.queueUrl }),
    });
    grantSendOnly(this.profileUpdates.queue, inbound);
    this.inbound = inbound;

    const worker = this.fn('Worker', {
      handler: 'customer-sync/worker',
      description: 'Applies queued profile updates to Modyo Customers through the admin API',
      invokedBy: 'sqs',
      timeout: HTTP_WORKER_TIMEOUT,
      outboundCalls: { http: HTTP_WORKER_CALLS },
      concurrency: 'customerSyncWorker',
      environment: contractEnvironment(WorkerEnv, { ...modyoAdmin.environment, IDEMPOTENCY_TABLE_NAME: idempotencyTable.tableName }),
    });
    modyoAdmin.grantCall(worker);
    idempotencyTable.grantItemActions(worker, ...IDEMPOTENT_WRITES);
    this.consume(worker, this.profileUpdates, HTTP_WORKER_BATCH, 'customerSyncWorker');

    // The schema requires crmEndpoint: every environment forwards Modyo user events to its CRM/CDP.
    this.crmCredentials = this.secret('CrmCredentials', 'crm-credentials', {
      description:
        'CRM/CDP credentials: {"type":"bearer","token"} | {"type":"basic","username","password"} | {"type":"api-key","header","value"}. Put the real value with put-secret-value.',
      generateKey: 'placeholder',
      rotation: thirdPartyRotation('the CRM/CDP'),
    });
    const forwarder = this.fn('Forwarder', {
      handler: 'customer-sync/forwarder',
      description: 'Forwards Modyo user events to the CRM/CDP',
      invokedBy: 'sqs',
      timeout: HTTP_WORKER_TIMEOUT,
      outboundCalls: { http: HTTP_WORKER_CALLS },
      concurrency: 'customerSyncForwarder',
      environment: contractEnvironment(ForwarderEnv, {
        CRM_ENDPOINT_URL: this.config.integrations.crmEndpoint,
        CRM_CREDENTIALS_SECRET_ID: this.crmCredentials.secretArn,
        IDEMPOTENCY_TABLE_NAME: idempotencyTable.tableName,
      }),
    });
    this.crmCredentials.grantRead(forwarder);
    idempotencyTable.grantItemActions(forwarder, ...IDEMPOTENT_WRITES);
    this.consume(forwarder, props.modyoEvents, HTTP_WORKER_BATCH, 'customerSyncForwarder');
  }
}
