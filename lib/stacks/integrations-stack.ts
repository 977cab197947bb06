import { Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ForwarderEnv, InboundEnv, WorkerEnv } from '../../lambda/customer-sync/contract';
import { NotificationsApiEnv, NotificationsWorkerEnv } from '../../lambda/notifications/contract';
import { OUTBOX_GRACE_SECONDS, OUTBOX_INDEX, PaymentsApiEnv, PaymentsOutboxEnv } from '../../lambda/payments/contract';
import { WEBHOOK_LIMITS, WebhookReceiverEnv } from '../../lambda/webhook-receiver/contract';
import type { HttpCallLimits } from '../../lambda/shared/outbound-limits';
import type { EnvironmentConfig } from '../config/schema';
import { ConnectFunction, type ConnectFunctionProps, contractEnvironment } from '../constructs/connect-function';
import { ConnectTable, type ConnectTableProps } from '../constructs/connect-table';
import { IntegrationSecret, type IntegrationSecretProps } from '../constructs/integration-secret';
import { QueueWithDlq } from '../constructs/queue-with-dlq';
import { AccessLogsBucket, SecureBucket } from '../constructs/secure-bucket';
import { type ConcurrencyFunction, functionConcurrency } from '../lambda-concurrency';

export interface IntegrationsStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  readonly dataKey: kms.IKey;
  readonly logsKey: kms.IKey;
  readonly secretsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
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
  /** POST /payments/khipu/notify, GET|POST /payments/webpay/return; absent when no payment provider is configured. */
  readonly payments?: lambda.IFunction;
}

/**
 * Lets `grantee` send to `queue` and nothing else: SendMessage (SendMessageBatch is authorised by it) and, for a
 * KMS-encrypted queue, the two key actions SQS needs from a producer. (`grantSendMessages` would add wildcard
 * kms:ReEncrypt* / kms:GenerateDataKey* and queue reads a producer does not need.)
 */
export function grantSendOnly(queue: sqs.IQueue, grantee: iam.IGrantable): void {
  iam.Grant.addToPrincipal({ grantee, actions: ['sqs:SendMessage'], resourceArns: [queue.queueArn] });
  queue.encryptionMasterKey?.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
}

/** SQS consumers: a slow batch must never be redelivered mid-flight, so visibility is six times the timeout (AWS guidance). */
function visibilityFor(consumerTimeout: Duration): Duration {
  return Duration.seconds(consumerTimeout.toSeconds() * 6);
}

/** Consumers that call Modyo or the CRM: three tries of 5 s with backoff per message, a few messages per batch. */
const HTTP_WORKER_TIMEOUT = Duration.seconds(60);
/** Their Modyo admin API / CRM calls: 3 x 5 s + 2 x 3 s backoff = 21 s at most, well inside the 60 s (checked by ConnectFunction). */
const HTTP_WORKER_CALLS: HttpCallLimits = { timeoutMs: 5_000, maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 3_000 };
/** A notification send: one attempt of 5 s (the POST is not idempotent: SQS redelivery and the delivery lease retry it). */
const DELIVERY_CALLS: HttpCallLimits = { timeoutMs: 5_000, maxAttempts: 1, baseDelayMs: 200, maxDelayMs: 1_000 };
const HTTP_WORKER_BATCH = 5;
/** Notification deliveries: two tries of 5 s per message, processed in parallel within a batch. */
const DELIVERY_WORKER_TIMEOUT = Duration.seconds(30);
/** A delivery attempt's lease: at least the worker's timeout, at most the queue's visibility timeout. */
const DELIVERY_LEASE = Duration.seconds(60);
/** Payment notifications wait on the provider (8 s deadline per call) and stay under API Gateway's 29 s. */
const PAYMENTS_TIMEOUT = Duration.seconds(20);
const PROVIDER_TIMEOUT_MS = 8_000;
/** A provider call: one attempt (the provider or the buyer retries a 5xx); WebPay's commit and status read make two, 16 s. */
const PROVIDER_CALLS: HttpCallLimits = { timeoutMs: PROVIDER_TIMEOUT_MS, maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 };
/** Payment events are read by the organisation's systems, outside this app: a generous visibility for them. */
const PAYMENT_EVENTS_VISIBILITY = Duration.minutes(5);

/**
 * The integration handlers and their data: the raw Modyo event archive, the environment's idempotency table, the
 * notification and payment tables, the queues between receivers and workers (each with a DLQ), the secrets the
 * handlers read (values put by SREs, never in a template) and the functions, each with exactly the permissions
 * its entry point lists.
 *
 * Secrets (put the real value with `aws secretsmanager put-secret-value --secret-id <name> --secret-string ...`):
 *   connect/<env>/webhook-secret     {"sharedSecret", "signingKey"?}   generated; share with Modyo's webhook config
 *   connect/<env>/modyo-admin-token  {"token"}                         Modyo admin API token
 *   connect/<env>/crm-credentials    {"type":"bearer","token"} | {"type":"basic","username","password"} | {"type":"api-key","header","value"}
 *   connect/<env>/khipu              {"receiverId", "apiKey"}
 *   connect/<env>/webpay             {"commerceCode", "apiKeySecret"}
 */
export class IntegrationsStack extends Stack {
  readonly apiHandlers: IntegrationApiHandlers;
  readonly archiveBucket: SecureBucket;
  readonly accessLogsBucket: AccessLogsBucket;
  readonly idempotencyTable: ConnectTable;
  readonly notificationsTable: ConnectTable;
  readonly paymentsTable?: ConnectTable;
  /** Normalised Modyo events (FIFO, grouped by user) from the webhook receiver. */
  readonly modyoEventsQueue: QueueWithDlq;
  readonly profileUpdatesQueue: QueueWithDlq;
  readonly deliveryQueue: QueueWithDlq;
  /** Payment events for the organisation's systems (FIFO: a re-sent event is dropped within five minutes). */
  readonly paymentEventsQueue?: QueueWithDlq;
  readonly webhookSecret: IntegrationSecret;
  readonly modyoTokenSecret: IntegrationSecret;
  readonly crmCredentialsSecret?: IntegrationSecret;
  readonly khipuSecret?: IntegrationSecret;
  readonly webpaySecret?: IntegrationSecret;

  /** For monitoring: every queue, function, bucket and table of this stack. */
  readonly queues: QueueWithDlq[] = [];
  readonly functions: lambda.Function[] = [];
  readonly buckets: s3.Bucket[];
  readonly tables: ConnectTable[] = [];

  constructor(scope: Construct, id: string, props: IntegrationsStackProps) {
    super(scope, id, props);
    const { config, dataKey } = props;
    const production = config.kind === 'production';
    const integrations = config.integrations;
    // Declared before any grant: KMS grants then go into this stack's role policies instead of the key policies
    // of the Security stack (which would make Security depend on this stack: a cycle).
    for (const key of new Set([props.dataKey, props.logsKey, props.secretsKey])) {
      if (Stack.of(key) !== this) this.addStackDependency(Stack.of(key));
    }

    const fn = (fnId: string, fnProps: Omit<ConnectFunctionProps, 'vpc' | 'logRetention' | 'logsKey'>) => {
      const created = new ConnectFunction(this, fnId, { ...fnProps, vpc: props.vpc, logRetention: props.logRetention, logsKey: props.logsKey });
      this.functions.push(created);
      return created;
    };
    const queue = (queueId: string, queueProps: { visibilityTimeout: Duration; fifo?: boolean }) => {
      const created = new QueueWithDlq(this, queueId, { encryptionKey: dataKey, ...queueProps });
      this.queues.push(created);
      return created;
    };
    const table = (tableId: string, tableProps: Omit<ConnectTableProps, 'encryptionKey' | 'retain'>) => {
      const created = new ConnectTable(this, tableId, { ...tableProps, encryptionKey: dataKey, retain: production });
      this.tables.push(created);
      return created;
    };
    const secret = (secretId: string, name: string, secretProps: Omit<IntegrationSecretProps, 'secretName' | 'encryptionKey' | 'retain'>) =>
      new IntegrationSecret(this, secretId, { ...secretProps, secretName: `connect/${config.name}/${name}`, encryptionKey: props.secretsKey, retain: production });
    const sqsConsumer = (consumer: lambda.Function, source: QueueWithDlq, batchSize: number, maxConcurrency: number) =>
      consumer.addEventSource(new SqsEventSource(source.queue, { batchSize, maxConcurrency, reportBatchItemFailures: true }));
    const thirdPartyRotation = (issuer: string) =>
      `Issued by ${issuer}, not by AWS: no rotation Lambda can mint a new one. It is rotated at the issuer and put here with put-secret-value; the handler re-reads it after a rejected call, so a rotation needs no deploy.`;

    // Concurrency from config (lambdaConcurrency, defaults in lib/lambda-concurrency.ts): API handlers absorb bursts;
    // workers are capped to protect Modyo, the CRM and the providers, by their reservation and their event source.
    const concurrency = (name: ConcurrencyFunction) => functionConcurrency(config, name);

    // --- Data ---------------------------------------------------------------------------------------------------
    this.accessLogsBucket = new AccessLogsBucket(this, 'AccessLogs', { retain: production, expireAfterDays: config.logRetentionDays });
    this.archiveBucket = new SecureBucket(this, 'RawEventArchive', {
      encryptionKey: dataKey,
      accessLogsBucket: this.accessLogsBucket,
      retain: production,
      infrequentAccessAfterDays: 30,
      // Raw events hold personal data (Modyo user payloads): kept only as long as config says.
      expireAfterDays: config.integrations.archiveRetentionDays,
    });
    this.buckets = [this.archiveBucket, this.accessLogsBucket];

    // The environment's one idempotency table (Powertools idempotency and the webhook delivery ledger).
    this.idempotencyTable = table('IdempotencyTable', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING }, timeToLiveAttribute: 'expiration' });
    this.notificationsTable = table('NotificationsTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
    });

    this.modyoEventsQueue = queue('ModyoEvents', { visibilityTimeout: visibilityFor(HTTP_WORKER_TIMEOUT), fifo: true });
    this.profileUpdatesQueue = queue('ProfileUpdates', { visibilityTimeout: visibilityFor(HTTP_WORKER_TIMEOUT), fifo: true });
    this.deliveryQueue = queue('NotificationDeliveries', { visibilityTimeout: visibilityFor(DELIVERY_WORKER_TIMEOUT) });

    // --- Secrets ------------------------------------------------------------------------------------------------
    this.webhookSecret = secret('WebhookSecret', 'webhook-secret', {
      description: 'Shared secret Modyo sends in the webhook header: {"sharedSecret", "signingKey"?}. Generated; copy it into the Modyo webhook configuration.',
      generateKey: 'sharedSecret',
      rotation:
        'Rotated by hand, because the same value must be changed in the Modyo webhook configuration at the same moment: put the new value, then update Modyo; the receiver re-reads the secret after a failed check (at most every few seconds), so it accepts the new value without a deploy.',
    });
    this.modyoTokenSecret = secret('ModyoAdminToken', 'modyo-admin-token', {
      description: 'Modyo admin API token: {"token"} (or the bare token). Put the real value with put-secret-value.',
      generateKey: 'placeholder',
      rotation: thirdPartyRotation('the Modyo platform (an admin API token of the account)'),
    });

    // The routes are checked at synth by the handlers' own parser (ModyoAdminEnv): an unknown route name stops synth.
    const routes = { ...config.modyo.adminApiRoutes, ...(config.modyo.messagingPath ? { messagingDeliveries: config.modyo.messagingPath } : {}) };
    const modyoEnvironment = {
      MODYO_BASE_URL: config.modyo.accountUrl,
      MODYO_TOKEN_SECRET_ID: this.modyoTokenSecret.secretArn,
      ...(Object.keys(routes).length > 0 ? { MODYO_ADMIN_ROUTES: JSON.stringify(routes) } : {}),
    };

    // --- Webhook receiver ---------------------------------------------------------------------------------------
    const webhookReceiver = fn('WebhookReceiver', {
      handler: 'webhook-receiver',
      description: 'Modyo webhooks: authenticates, archives the raw event, queues the normalised event',
      invokedBy: 'api-gateway',
      outboundCalls: {},
      reservedConcurrency: concurrency('webhookReceiver').reserved,
      environment: contractEnvironment(WebhookReceiverEnv, {
        WEBHOOK_SECRET_ID: this.webhookSecret.secretArn,
        ARCHIVE_BUCKET_NAME: this.archiveBucket.bucketName,
        EVENTS_QUEUE_URL: this.modyoEventsQueue.queue.queueUrl,
        IDENTITY_QUEUE_URL: props.provisioningQueue.queueUrl,
        IDEMPOTENCY_TABLE_NAME: this.idempotencyTable.tableName,
        HASH_DEDUP_SECONDS: String(WEBHOOK_LIMITS.hashDedupSeconds),
        REFRESH_INTERVAL_SECONDS: String(WEBHOOK_LIMITS.secretRefreshSeconds),
      }),
    });
    this.webhookSecret.grantRead(webhookReceiver);
    // Only new raw objects under raw/: the receiver never reads, lists or deletes the archive.
    webhookReceiver.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.archiveBucket.arnForObjects('raw/*')] }));
    Validations.of(webhookReceiver.role as iam.IRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.archiveBucket.node.defaultChild as s3.CfnBucket)}.Arn>/raw/*]`,
      reason: 'Each webhook is archived as a new object under raw/type=<type>/dt=<day>/<eventId>.json: the key is only known per event, so PutObject is scoped to the raw/ prefix of this one bucket.',
    });
    dataKey.grant(webhookReceiver, 'kms:GenerateDataKey');
    grantSendOnly(this.modyoEventsQueue.queue, webhookReceiver);
    grantSendOnly(props.provisioningQueue, webhookReceiver);
    this.idempotencyTable.grantItemActions(webhookReceiver, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');

    // --- Customer sync ------------------------------------------------------------------------------------------
    const customerSyncInbound = fn('CustomerSyncInbound', {
      handler: 'customer-sync/inbound',
      description: 'CRM/CDP profile updates: validates and queues them (FIFO per realm user)',
      invokedBy: 'api-gateway',
      outboundCalls: {},
      reservedConcurrency: concurrency('customerSyncInbound').reserved,
      environment: contractEnvironment(InboundEnv, { PROFILE_UPDATES_QUEUE_URL: this.profileUpdatesQueue.queue.queueUrl }),
    });
    grantSendOnly(this.profileUpdatesQueue.queue, customerSyncInbound);

    const customerSyncWorker = fn('CustomerSyncWorker', {
      handler: 'customer-sync/worker',
      description: 'Applies queued profile updates to Modyo Customers through the admin API',
      invokedBy: 'sqs',
      timeout: HTTP_WORKER_TIMEOUT,
      outboundCalls: { http: HTTP_WORKER_CALLS },
      reservedConcurrency: concurrency('customerSyncWorker').reserved,
      environment: contractEnvironment(WorkerEnv, { ...modyoEnvironment, IDEMPOTENCY_TABLE_NAME: this.idempotencyTable.tableName }),
    });
    this.modyoTokenSecret.grantRead(customerSyncWorker);
    this.idempotencyTable.grantItemActions(customerSyncWorker, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
    sqsConsumer(customerSyncWorker, this.profileUpdatesQueue, HTTP_WORKER_BATCH, concurrency('customerSyncWorker').limit);

    if (integrations.crmEndpoint) {
      this.crmCredentialsSecret = secret('CrmCredentials', 'crm-credentials', {
        description:
          'CRM/CDP credentials: {"type":"bearer","token"} | {"type":"basic","username","password"} | {"type":"api-key","header","value"}. Put the real value with put-secret-value.',
        generateKey: 'placeholder',
        rotation: thirdPartyRotation('the CRM/CDP'),
      });
      const forwarder = fn('CustomerSyncForwarder', {
        handler: 'customer-sync/forwarder',
        description: 'Forwards Modyo user events to the CRM/CDP',
        invokedBy: 'sqs',
        timeout: HTTP_WORKER_TIMEOUT,
        outboundCalls: { http: HTTP_WORKER_CALLS },
        reservedConcurrency: concurrency('customerSyncForwarder').reserved,
        environment: contractEnvironment(ForwarderEnv, {
          CRM_ENDPOINT_URL: integrations.crmEndpoint,
          CRM_CREDENTIALS_SECRET_ID: this.crmCredentialsSecret.secretArn,
          IDEMPOTENCY_TABLE_NAME: this.idempotencyTable.tableName,
        }),
      });
      this.crmCredentialsSecret.grantRead(forwarder);
      this.idempotencyTable.grantItemActions(forwarder, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
      sqsConsumer(forwarder, this.modyoEventsQueue, HTTP_WORKER_BATCH, concurrency('customerSyncForwarder').limit);
    }

    // --- Notifications ------------------------------------------------------------------------------------------
    const notificationsApi = fn('NotificationsApi', {
      handler: 'notifications',
      description: 'Notifications API: accepts requests (one delivery per recipient) and answers their state',
      invokedBy: 'api-gateway',
      outboundCalls: {},
      reservedConcurrency: concurrency('notificationsApi').reserved,
      environment: contractEnvironment(NotificationsApiEnv, {
        NOTIFICATIONS_TABLE_NAME: this.notificationsTable.tableName,
        DELIVERY_QUEUE_URL: this.deliveryQueue.queue.queueUrl,
        // Widgets read delivery states from the browser: the handler echoes these origins (API Gateway answers only the preflight).
        CORS_ALLOWED_ORIGINS: JSON.stringify(config.api.corsOrigins),
      }),
    });
    this.notificationsTable.grantItemActions(notificationsApi, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query');
    grantSendOnly(this.deliveryQueue.queue, notificationsApi);

    const notificationsWorker = fn('NotificationsWorker', {
      handler: 'notifications',
      entry: 'worker.ts',
      description: 'Delivers queued notifications through the Modyo messaging API and records each outcome',
      invokedBy: 'sqs',
      timeout: DELIVERY_WORKER_TIMEOUT,
      outboundCalls: { http: DELIVERY_CALLS },
      reservedConcurrency: concurrency('notificationsWorker').reserved,
      environment: contractEnvironment(NotificationsWorkerEnv, {
        ...modyoEnvironment,
        NOTIFICATIONS_TABLE_NAME: this.notificationsTable.tableName,
        DELIVERY_LEASE_SECONDS: String(DELIVERY_LEASE.toSeconds()),
      }),
    });
    this.modyoTokenSecret.grantRead(notificationsWorker);
    this.notificationsTable.grantItemActions(notificationsWorker, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    sqsConsumer(notificationsWorker, this.deliveryQueue, 10, concurrency('notificationsWorker').limit);

    // --- Payments (only with at least one provider configured) --------------------------------------------------
    let payments: lambda.IFunction | undefined;
    if (integrations.khipu || integrations.webpay) {
      const paymentsTable = table('PaymentsTable', { partitionKey: { name: 'paymentId', type: dynamodb.AttributeType.STRING } });
      // Sparse: only records whose event is not queued yet carry `outbox`.
      paymentsTable.addGlobalSecondaryIndex({
        indexName: OUTBOX_INDEX,
        partitionKey: { name: 'outbox', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'updatedAt', type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
      this.paymentsTable = paymentsTable;
      const paymentEvents = queue('PaymentEvents', { visibilityTimeout: PAYMENT_EVENTS_VISIBILITY, fifo: true });
      this.paymentEventsQueue = paymentEvents;

      const providerEnvironment: Record<string, string> = {};
      if (integrations.khipu) {
        this.khipuSecret = secret('KhipuCredentials', 'khipu', {
          description: 'Khipu merchant credentials: {"receiverId", "apiKey"}. Put the real value with put-secret-value.',
          generateKey: 'placeholder',
          rotation: thirdPartyRotation('Khipu (the merchant account\'s API key)'),
        });
        Object.assign(providerEnvironment, { KHIPU_SECRET_ID: this.khipuSecret.secretArn, KHIPU_API_BASE_URL: integrations.khipu.apiBaseUrl });
      }
      if (integrations.webpay) {
        this.webpaySecret = secret('WebpayCredentials', 'webpay', {
          description: 'WebPay Plus commerce credentials: {"commerceCode", "apiKeySecret"}. Put the real value with put-secret-value.',
          generateKey: 'placeholder',
          rotation: thirdPartyRotation('Transbank (the commerce code\'s API key secret)'),
        });
        // The schema requires paymentResultUrl with webpay; the outcome is a query parameter of the one page.
        const resultPage = (outcome: string) => {
          const url = new URL(integrations.paymentResultUrl as string);
          url.searchParams.set('outcome', outcome);
          return url.toString();
        };
        Object.assign(providerEnvironment, {
          WEBPAY_SECRET_ID: this.webpaySecret.secretArn,
          WEBPAY_API_BASE_URL: integrations.webpay.apiBaseUrl,
          WEBPAY_RESULT_URL_PAID: resultPage('paid'),
          WEBPAY_RESULT_URL_REJECTED: resultPage('rejected'),
          WEBPAY_RESULT_URL_ABORTED: resultPage('aborted'),
        });
      }

      const paymentsApi = fn('PaymentsApi', {
        handler: 'payments',
        description: 'Payment-provider notifications (Khipu notify, WebPay return): verified with the provider, recorded once',
        invokedBy: 'api-gateway',
        timeout: PAYMENTS_TIMEOUT,
        outboundCalls: { http: PROVIDER_CALLS },
        reservedConcurrency: concurrency('paymentsApi').reserved,
        environment: contractEnvironment(PaymentsApiEnv, {
          ...providerEnvironment,
          PAYMENTS_TABLE_NAME: paymentsTable.tableName,
          PAYMENT_EVENTS_QUEUE_URL: paymentEvents.queue.queueUrl,
          IDEMPOTENCY_TABLE_NAME: this.idempotencyTable.tableName,
        }),
      });
      this.khipuSecret?.grantRead(paymentsApi);
      this.webpaySecret?.grantRead(paymentsApi);
      paymentsTable.grantItemActions(paymentsApi, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
      this.idempotencyTable.grantItemActions(paymentsApi, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
      grantSendOnly(paymentEvents.queue, paymentsApi);
      payments = paymentsApi;

      // The outbox relay: queues the events whose in-line send failed. One run at a time, every minute.
      const outbox = fn('PaymentsOutbox', {
        handler: 'payments',
        entry: 'outbox.ts',
        description: 'Payment outbox relay: queues payment events whose in-line send failed',
        invokedBy: 'schedule',
        timeout: Duration.seconds(50),
        outboundCalls: {},
        reservedConcurrency: concurrency('paymentsOutbox').reserved,
        environment: contractEnvironment(PaymentsOutboxEnv, {
          PAYMENTS_TABLE_NAME: paymentsTable.tableName,
          PAYMENT_EVENTS_QUEUE_URL: paymentEvents.queue.queueUrl,
          OUTBOX_GRACE_SECONDS: String(OUTBOX_GRACE_SECONDS),
        }),
      });
      paymentsTable.grantIndexQuery(outbox, OUTBOX_INDEX);
      paymentsTable.grantItemActions(outbox, 'dynamodb:UpdateItem');
      grantSendOnly(paymentEvents.queue, outbox);
      // A missed or failed tick is redone by the next one a minute later; retrying the old tick would only overlap it.
      outbox.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
      new events.Rule(this, 'PaymentsOutboxSchedule', {
        description: 'Runs the payment outbox relay every minute',
        schedule: events.Schedule.rate(Duration.minutes(1)),
        targets: [new targets.LambdaFunction(outbox, { retryAttempts: 0 })],
      });
    }

    this.apiHandlers = { webhookReceiver, customerSyncInbound, notificationsApi, payments };
  }
}
