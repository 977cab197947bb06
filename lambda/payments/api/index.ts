/**
 * Lambda entry point: payment-provider notifications and returns (API Gateway REST proxy integration), one route
 * per configured provider (its adapter's `route`), e.g.
 *   POST /payments/khipu/notify   (Khipu notify_url, form: notification_token, api_version)
 *   GET|POST /payments/webpay/return (WebPay Plus return_url: token_ws, or TBK_TOKEN/TBK_ORDEN_COMPRA/TBK_ID_SESION)
 * Environment and IAM: contract.ts (PaymentsApiEnv); each configured provider is served.
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { awsClientConfig } from '../../shared/aws-clients';
import { retryPolicyFromEnv } from '../../shared/http-retry';
import { parseEnv } from '../../shared/env';
import { withLambdaContext } from '../../shared/logger';
import { COMMIT_RESULT_TTL_SECONDS, PaymentsApiEnv } from '../contract';
import { PaymentEventQueue, segmentationFrom } from '../events';
import { createPaymentHandler } from './handler';
import { invocationDeadlineFrom, withProviderDeadline } from '../provider';
import { PaymentStore } from '../store';
import { configuredProviders } from '../wiring';

const env = parseEnv(PaymentsApiEnv);
/** Kept after the last provider call for recording the outcome, queueing its event and answering. */
const RESERVE_AFTER_PROVIDER_MS = 3000;
// The stack's outbound limits (HTTP_TIMEOUT_MS, checked against the function's timeout) give each provider call its deadline.
const { timeoutMs } = retryPolicyFromEnv({ timeoutMs: 8000 });
const dynamo = new DynamoDBClient(awsClientConfig());

const providers = configuredProviders(env, timeoutMs);
const sqs = new SQSClient(awsClientConfig());

// The Lambda context gives the in-progress marker an expiry, so a commit cut short by a timeout can be retried.
const idempotencyConfig = new IdempotencyConfig({ expiresAfterSeconds: COMMIT_RESULT_TTL_SECONDS });

const verifyOnce = makeIdempotent(
  async ({ provider, reference }: { provider: string; reference: string }) => {
    const adapter = providers.find((candidate) => candidate.name === provider);
    if (!adapter) throw new Error(`unknown provider ${provider}`);
    return adapter.verify(reference);
  },
  {
    persistenceStore: new DynamoDBPersistenceLayer({ tableName: env.IDEMPOTENCY_TABLE_NAME, awsSdkV3Client: dynamo }),
    config: idempotencyConfig,
  },
);

const handleNotification = createPaymentHandler({
  providers,
  store: new PaymentStore(dynamo, env.PAYMENTS_TABLE_NAME),
  events: new PaymentEventQueue(sqs, env.PAYMENT_EVENTS_QUEUE_URL),
  segmentation: segmentationFrom(sqs, env.PROFILE_UPDATES_QUEUE_URL, env.PAYMENT_SEGMENTATION_FIELDS),
  verifyOnce,
  now: () => new Date(),
});

export const handler = withLambdaContext(
  (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    idempotencyConfig.registerLambdaContext(context);
    const deadline = invocationDeadlineFrom(context, RESERVE_AFTER_PROVIDER_MS);
    return deadline === undefined ? handleNotification(event) : withProviderDeadline(deadline, () => handleNotification(event));
  },
);
