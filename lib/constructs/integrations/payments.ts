import { Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import {
  OUTBOX_GRACE_SECONDS,
  OUTBOX_INDEX,
  OWNER_INDEX,
  PaymentsApiEnv,
  PaymentsCheckoutEnv,
  PaymentsExpiryEnv,
  PaymentsOutboxEnv,
} from '../../../lambda/payments/contract';
import type { HttpCallLimits } from '../../../lambda/shared/outbound-limits';
import type { ConnectTable } from '../connect-table';
import { contractEnvironment } from '../connect-function';
import type { IntegrationSecret } from '../integration-secret';
import { grantSendOnly, type QueueWithDlq } from '../queue-with-dlq';
import { IntegrationFeature, type IntegrationFeatureProps, thirdPartyRotation } from './integration-feature';
import { paymentProviders } from './payment-providers';

/**
 * Provider notifications wait on the provider (8 s deadline per call) and stay under API Gateway's 29 s: two calls
 * (WebPay's commit then status read; Pay-me's and Tigo's token then status read), 16 s. A longer chain (a token
 * refused and asked again) is cut at the invocation's deadline, 3 s before the timeout (provider.ts
 * withProviderDeadline), so it ends as a 504 the provider retries, never as a killed function.
 */
const PAYMENTS_TIMEOUT = Duration.seconds(20);
const PROVIDER_CALLS: HttpCallLimits = { timeoutMs: 8_000, maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 };
/**
 * Checkout makes up to three provider calls in a row (Pay-me: token, charge, nonce), 6 s each (18 s), plus the
 * writes, under API Gateway's 29 s integration timeout; a longer chain is cut at the invocation's deadline.
 */
const CHECKOUT_TIMEOUT = Duration.seconds(25);
const CHECKOUT_CALLS: HttpCallLimits = { timeoutMs: 6_000, maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 };
/** The expiry job stops taking payments while it has less than three calls' time left (expiry/handler.ts). */
const EXPIRY_TIMEOUT = Duration.seconds(120);
/** Payment events are read by the organisation's systems, outside this app: a generous visibility for them. */
const PAYMENT_EVENTS_VISIBILITY = Duration.minutes(5);

export interface PaymentsProps extends IntegrationFeatureProps {
  readonly idempotencyTable: ConnectTable;
  /** customer-sync's profile updates queue: a paid realm user's payment updates their configured custom fields. */
  readonly profileUpdates: QueueWithDlq;
}

/**
 * Payments through the configured providers (Khipu, WebPay Plus, Bancard, PayU, Pay-me, Tigo Money; one more is one
 * adapter in lambda/payments/providers, its variables in contract.ts and wiring.ts, and its secret in
 * payment-providers.ts): checkout creates the record and the payment at the provider; the providers' notifications
 * are verified with the provider and recorded once; "my payments" lists a caller's own; the expiry job closes what
 * the providers never finished. Events go to a FIFO queue for the organisation's systems, with an outbox relay
 * (every minute) for the events whose in-line send failed. Build it only with a provider configured.
 *
 * Secrets (connect/<env>/<provider>): khipu {"receiverId", "apiKey"}; webpay {"commerceCode", "apiKeySecret"};
 * bancard {"publicKey", "privateKey"}; payu {"apiKey", "apiLogin"}; payme {"clientId", "clientSecret"};
 * tigo-money {"clientId", "clientSecret", "masterMerchantPin"}.
 */
export class Payments extends IntegrationFeature {
  /** The providers' callback and return routes (each adapter's route). */
  readonly api: lambda.IFunction;
  /** POST /payments, GET /payments, GET /payments/{id} */
  readonly checkout: lambda.IFunction;
  readonly table: ConnectTable;
  /** Payment events for the organisation's systems (FIFO: a re-sent event is dropped within five minutes). */
  readonly events: QueueWithDlq;
  readonly providerSecrets: IntegrationSecret[];

  constructor(scope: Construct, id: string, props: PaymentsProps) {
    super(scope, id, props);
    const { integrations } = this.config;
    const options = integrations.payments;
    // The table's construct id (and so its logical id) stays: it holds every payment record.
    this.table = this.createTable('Table', { partitionKey: { name: 'paymentId', type: dynamodb.AttributeType.STRING } });
    // Sparse: only records owing an event (`pending`) or waiting for their provider (`open`) carry `outbox`.
    this.table.addGlobalSecondaryIndex({
      indexName: OUTBOX_INDEX,
      partitionKey: { name: 'outbox', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'updatedAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    // A caller's payments, newest first (GET /payments). One index added in this change: DynamoDB creates one GSI
    // per table update (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.OnlineOps.html).
    this.table.addGlobalSecondaryIndex({
      indexName: OWNER_INDEX,
      partitionKey: { name: 'owner', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'createdAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    this.events = this.queue('Events', { visibilityTimeout: PAYMENT_EVENTS_VISIBILITY, fifo: true });

    const providers = paymentProviders(integrations, (secretId, name, description, issuer) =>
      this.secret(secretId, name, { description, generateKey: 'placeholder', rotation: thirdPartyRotation(issuer) }),
    );
    this.providerSecrets = providers.secrets;
    const segmentation = Object.keys(options.segmentationFields).length > 0;
    // Who publishes final states: the event, and the segmentation update of a paid realm user's payment.
    const publisher = {
      PAYMENTS_TABLE_NAME: this.table.tableName,
      PAYMENT_EVENTS_QUEUE_URL: this.events.queue.queueUrl,
      PROFILE_UPDATES_QUEUE_URL: segmentation ? props.profileUpdates.queue.queueUrl : undefined,
      PAYMENT_SEGMENTATION_FIELDS: segmentation ? JSON.stringify(options.segmentationFields) : undefined,
    };
    const grantPublish = (fn: lambda.IFunction) => {
      grantSendOnly(this.events.queue, fn);
      if (segmentation) grantSendOnly(props.profileUpdates.queue, fn);
      this.table.grantItemActions(fn, 'dynamodb:UpdateItem');
    };
    const grantProviders = (fn: lambda.IFunction) => providers.secrets.forEach((secret) => secret.grantRead(fn));

    const api = this.fn('Api', {
      handler: 'payments/api',
      description: 'Payment-provider notifications and returns: verified with the provider, recorded once',
      invokedBy: 'api-gateway',
      timeout: PAYMENTS_TIMEOUT,
      outboundCalls: { http: PROVIDER_CALLS },
      concurrency: 'paymentsApi',
      environment: contractEnvironment(PaymentsApiEnv, { ...providers.environment, ...publisher, IDEMPOTENCY_TABLE_NAME: props.idempotencyTable.tableName }),
    });
    grantProviders(api);
    this.table.grantItemActions(api, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    props.idempotencyTable.grantItemActions(api, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
    grantPublish(api);
    this.api = api;

    const checkout = this.fn('Checkout', {
      handler: 'payments/checkout',
      description: 'Checkout (POST /payments) and my payments (GET /payments, GET /payments/{id})',
      invokedBy: 'api-gateway',
      timeout: CHECKOUT_TIMEOUT,
      outboundCalls: { http: CHECKOUT_CALLS },
      concurrency: 'paymentsCheckout',
      environment: contractEnvironment(PaymentsCheckoutEnv, {
        ...providers.environment,
        PAYMENTS_TABLE_NAME: this.table.tableName,
        IDEMPOTENCY_TABLE_NAME: props.idempotencyTable.tableName,
        // The schema requires paymentResultUrl with any provider.
        PAYMENT_RESULT_URL: integrations.paymentResultUrl as string,
      }),
    });
    grantProviders(checkout);
    this.table.grantItemActions(checkout, 'dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    this.table.grantIndexQuery(checkout, OWNER_INDEX);
    props.idempotencyTable.grantItemActions(checkout, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
    this.checkout = checkout;

    // The outbox relay: queues the events whose in-line send failed. One run at a time, every minute.
    const outbox = this.fn('Outbox', {
      handler: 'payments/outbox',
      description: 'Payment outbox relay: queues payment events whose in-line send failed',
      invokedBy: 'schedule',
      timeout: Duration.seconds(50),
      outboundCalls: {},
      concurrency: 'paymentsOutbox',
      environment: contractEnvironment(PaymentsOutboxEnv, { ...publisher, OUTBOX_GRACE_SECONDS: String(OUTBOX_GRACE_SECONDS) }),
    });
    this.table.grantIndexQuery(outbox, OUTBOX_INDEX);
    grantPublish(outbox);
    this.schedule('Outbox', outbox, 1, 'Runs the payment outbox relay every minute');

    // The expiry job: payments the providers never finished are asked about, closed or reversed. One at a time.
    const expiry = this.fn('Expiry', {
      handler: 'payments/expiry',
      description: 'Payment expiry: closes (or reverses) payments left created/pending beyond their provider window',
      invokedBy: 'schedule',
      timeout: EXPIRY_TIMEOUT,
      outboundCalls: { http: PROVIDER_CALLS },
      concurrency: 'paymentsExpiry',
      environment: contractEnvironment(PaymentsExpiryEnv, {
        ...providers.environment,
        ...publisher,
        EXPIRY_BATCH_LIMIT: String(options.expiry.batchLimit),
        EXPIRY_DEFAULT_AFTER_SECONDS: String(options.expiry.defaultAfterSeconds),
      }),
    });
    grantProviders(expiry);
    this.table.grantIndexQuery(expiry, OUTBOX_INDEX);
    this.table.grantItemActions(expiry, 'dynamodb:GetItem');
    grantPublish(expiry);
    this.schedule('Expiry', expiry, options.expiry.everyMinutes, `Runs the payment expiry job every ${options.expiry.everyMinutes} minutes`);
  }

  /** Runs `fn` every `minutes`; a missed or failed tick is redone by the next one (retrying it would only overlap). */
  private schedule(id: string, fn: lambda.Function, minutes: number, description: string): void {
    fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
    new events.Rule(this, `${id}Schedule`, {
      description,
      schedule: events.Schedule.rate(Duration.minutes(minutes)),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
    });
  }
}
