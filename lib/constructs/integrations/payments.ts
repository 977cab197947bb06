import { Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { OUTBOX_GRACE_SECONDS, OUTBOX_INDEX, PaymentsApiEnv, PaymentsOutboxEnv } from '../../../lambda/payments/contract';
import type { EnvironmentOf } from '../../../lambda/shared/env';
import type { HttpCallLimits } from '../../../lambda/shared/outbound-limits';
import type { ConnectTable } from '../connect-table';
import { contractEnvironment } from '../connect-function';
import type { IntegrationSecret } from '../integration-secret';
import { grantSendOnly, type QueueWithDlq } from '../queue-with-dlq';
import { IntegrationFeature, type IntegrationFeatureProps, thirdPartyRotation } from './integration-feature';

/** Payment notifications wait on the provider (8 s deadline per call) and stay under API Gateway's 29 s. */
const PAYMENTS_TIMEOUT = Duration.seconds(20);
/** A provider call: one attempt (the provider or the buyer retries a 5xx); WebPay's commit and status read make two, 16 s. */
const PROVIDER_CALLS: HttpCallLimits = { timeoutMs: 8_000, maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 };
/** Payment events are read by the organisation's systems, outside this app: a generous visibility for them. */
const PAYMENT_EVENTS_VISIBILITY = Duration.minutes(5);

export interface PaymentsProps extends IntegrationFeatureProps {
  readonly idempotencyTable: ConnectTable;
}

/**
 * Payments through the configured providers (Khipu, WebPay Plus; one more is one more secret and environment block
 * here and one adapter in lambda/payments): the API takes the providers' notifications, verifies them with the
 * provider and records each payment once; its events go to a FIFO queue for the organisation's systems, with an
 * outbox relay (every minute) for the events whose in-line send failed. Build it only with a provider configured.
 *
 * Secrets: connect/<env>/khipu {"receiverId", "apiKey"}; connect/<env>/webpay {"commerceCode", "apiKeySecret"}.
 */
export class Payments extends IntegrationFeature {
  /** POST /payments/khipu/notify, GET|POST /payments/webpay/return */
  readonly api: lambda.IFunction;
  readonly table: ConnectTable;
  /** Payment events for the organisation's systems (FIFO: a re-sent event is dropped within five minutes). */
  readonly events: QueueWithDlq;
  readonly khipuSecret?: IntegrationSecret;
  readonly webpaySecret?: IntegrationSecret;

  constructor(scope: Construct, id: string, props: PaymentsProps) {
    super(scope, id, props);
    const { integrations } = this.config;
    this.table = this.createTable('Table', { partitionKey: { name: 'paymentId', type: dynamodb.AttributeType.STRING } });
    // Sparse: only records whose event is not queued yet carry `outbox`.
    this.table.addGlobalSecondaryIndex({
      indexName: OUTBOX_INDEX,
      partitionKey: { name: 'outbox', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'updatedAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    this.events = this.queue('Events', { visibilityTimeout: PAYMENT_EVENTS_VISIBILITY, fifo: true });

    // Typed by the contract: a provider's variables are optional there, required together (checked at synth).
    let khipuEnvironment: Partial<EnvironmentOf<typeof PaymentsApiEnv>> = {};
    if (integrations.khipu) {
      this.khipuSecret = this.secret('KhipuCredentials', 'khipu', {
        description: 'Khipu merchant credentials: {"receiverId", "apiKey"}. Put the real value with put-secret-value.',
        generateKey: 'placeholder',
        rotation: thirdPartyRotation("Khipu (the merchant account's API key)"),
      });
      khipuEnvironment = { KHIPU_SECRET_ID: this.khipuSecret.secretArn, KHIPU_API_BASE_URL: integrations.khipu.apiBaseUrl };
    }
    let webpayEnvironment: Partial<EnvironmentOf<typeof PaymentsApiEnv>> = {};
    if (integrations.webpay) {
      this.webpaySecret = this.secret('WebpayCredentials', 'webpay', {
        description: 'WebPay Plus commerce credentials: {"commerceCode", "apiKeySecret"}. Put the real value with put-secret-value.',
        generateKey: 'placeholder',
        rotation: thirdPartyRotation("Transbank (the commerce code's API key secret)"),
      });
      // The schema requires paymentResultUrl with webpay; the outcome is a query parameter of the one page.
      const resultPage = (outcome: string) => {
        const url = new URL(integrations.paymentResultUrl as string);
        url.searchParams.set('outcome', outcome);
        return url.toString();
      };
      webpayEnvironment = {
        WEBPAY_SECRET_ID: this.webpaySecret.secretArn,
        WEBPAY_API_BASE_URL: integrations.webpay.apiBaseUrl,
        WEBPAY_RESULT_URL_PAID: resultPage('paid'),
        WEBPAY_RESULT_URL_REJECTED: resultPage('rejected'),
        WEBPAY_RESULT_URL_ABORTED: resultPage('aborted'),
      };
    }

    const api = this.fn('Api', {
      handler: 'payments/api',
      description: 'Payment-provider notifications (Khipu notify, WebPay return): verified with the provider, recorded once',
      invokedBy: 'api-gateway',
      timeout: PAYMENTS_TIMEOUT,
      outboundCalls: { http: PROVIDER_CALLS },
      concurrency: 'paymentsApi',
      environment: contractEnvironment(PaymentsApiEnv, {
        ...khipuEnvironment,
        ...webpayEnvironment,
        PAYMENTS_TABLE_NAME: this.table.tableName,
        PAYMENT_EVENTS_QUEUE_URL: this.events.queue.queueUrl,
        IDEMPOTENCY_TABLE_NAME: props.idempotencyTable.tableName,
      }),
    });
    this.khipuSecret?.grantRead(api);
    this.webpaySecret?.grantRead(api);
    this.table.grantItemActions(api, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    props.idempotencyTable.grantItemActions(api, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
    grantSendOnly(this.events.queue, api);
    this.api = api;

    // The outbox relay: queues the events whose in-line send failed. One run at a time, every minute.
    const outbox = this.fn('Outbox', {
      handler: 'payments/outbox',
      description: 'Payment outbox relay: queues payment events whose in-line send failed',
      invokedBy: 'schedule',
      timeout: Duration.seconds(50),
      outboundCalls: {},
      concurrency: 'paymentsOutbox',
      environment: contractEnvironment(PaymentsOutboxEnv, {
        PAYMENTS_TABLE_NAME: this.table.tableName,
        PAYMENT_EVENTS_QUEUE_URL: this.events.queue.queueUrl,
        OUTBOX_GRACE_SECONDS: String(OUTBOX_GRACE_SECONDS),
      }),
    });
    this.table.grantIndexQuery(outbox, OUTBOX_INDEX);
    this.table.grantItemActions(outbox, 'dynamodb:UpdateItem');
    grantSendOnly(this.events.queue, outbox);
    // A missed or failed tick is redone by the next one a minute later; retrying the old tick would only overlap it.
    outbox.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
    new events.Rule(this, 'OutboxSchedule', {
      description: 'Runs the payment outbox relay every minute',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(outbox, { retryAttempts: 0 })],
    });
  }
}
