import { Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ConnectTable } from '../constructs/connect-table';
import { CustomerSync } from '../constructs/integrations/customer-sync';
import type { IntegrationFeature, IntegrationFeatureProps } from '../constructs/integrations/integration-feature';
import { ModyoAdminAccess } from '../constructs/integrations/modyo-admin-access';
import { Notifications } from '../constructs/integrations/notifications';
import { Payments } from '../constructs/integrations/payments';
import { configuredPaymentProviders } from '../config/payments';
import { WebhookIngest } from '../constructs/integrations/webhook-ingest';
import type { QueueWithDlq } from '../constructs/queue-with-dlq';

/** The environment's config, network, keys and log retention (what every feature is built on), and: */
export interface IntegrationsStackProps extends StackProps, IntegrationFeatureProps {
  /** The Identity stack's queue of Modyo user lifecycle events; the webhook receiver sends to it. */
  readonly provisioningQueue: sqs.IQueue;
}

/** The Lambda handlers behind the API's integration routes. */
export interface IntegrationApiHandlers {
  /** POST /webhooks/modyo */
  readonly webhookReceiver: lambda.IFunction;
  /** POST /customer-sync/profile-updates */
  readonly customerSyncInbound: lambda.IFunction;
  /** POST /notifications, GET /notifications/{id} */
  readonly notificationsApi: lambda.IFunction;
  /** The payment providers' callback and return routes; absent when no payment provider is configured. */
  readonly payments?: lambda.IFunction;
  /** POST /payments, GET /payments, GET /payments/{id}; absent when no payment provider is configured. */
  readonly paymentsCheckout?: lambda.IFunction;
}

/**
 * The integration features, one construct each (lib/constructs/integrations/): webhook ingest, customer sync,
 * notifications and, with a provider configured, payments; plus what they share: the environment's idempotency
 * table and the Modyo admin API token. Each feature owns its functions, queues, tables, secrets and grants.
 */
export class IntegrationsStack extends Stack {
  readonly apiHandlers: IntegrationApiHandlers;
  readonly idempotencyTable: ConnectTable;
  readonly webhooks: WebhookIngest;
  readonly customerSync: CustomerSync;
  readonly notifications: Notifications;
  readonly payments?: Payments;

  /** For monitoring: every queue, function, bucket and table of this stack. */
  readonly queues: QueueWithDlq[];
  readonly functions: lambda.Function[];
  readonly buckets: s3.Bucket[];
  readonly tables: ConnectTable[];

  constructor(scope: Construct, id: string, props: IntegrationsStackProps) {
    super(scope, id, props);
    const { config } = props;
    // Declared before any grant: KMS grants then go into this stack's role policies instead of the key policies
    // of the Security stack (which would make Security depend on this stack: a cycle).
    for (const key of new Set([props.dataKey, props.logsKey, props.secretsKey])) {
      if (Stack.of(key) !== this) this.addStackDependency(Stack.of(key));
    }
    const platform: IntegrationFeatureProps = props;

    // The environment's one idempotency table (Powertools idempotency and the webhook delivery ledger).
    this.idempotencyTable = new ConnectTable(this, 'IdempotencyTable', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiration',
      encryptionKey: props.dataKey,
      retain: config.kind === 'production',
    });
    const { idempotencyTable } = this;
    const modyoAdmin = new ModyoAdminAccess(this, 'ModyoAdmin', platform);

    this.webhooks = new WebhookIngest(this, 'Webhook', { ...platform, idempotencyTable, provisioningQueue: props.provisioningQueue });
    this.customerSync = new CustomerSync(this, 'CustomerSync', { ...platform, idempotencyTable, modyoAdmin, modyoEvents: this.webhooks.events });
    this.notifications = new Notifications(this, 'Notifications', { ...platform, modyoAdmin });
    if (configuredPaymentProviders(config.integrations).length > 0) {
      this.payments = new Payments(this, 'Payments', { ...platform, idempotencyTable, profileUpdates: this.customerSync.profileUpdates });
    }

    const features: IntegrationFeature[] = [this.webhooks, this.customerSync, this.notifications, ...(this.payments ? [this.payments] : [])];
    this.queues = features.flatMap((feature) => feature.queues);
    this.functions = features.flatMap((feature) => feature.functions);
    this.tables = [idempotencyTable, ...features.flatMap((feature) => feature.tables)];
    this.buckets = this.webhooks.buckets;
    this.apiHandlers = {
      webhookReceiver: this.webhooks.receiver,
      customerSyncInbound: this.customerSync.inbound,
      notificationsApi: this.notifications.api,
      payments: this.payments?.api,
      paymentsCheckout: this.payments?.checkout,
    };
  }
}
