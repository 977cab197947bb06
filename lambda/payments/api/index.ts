/**
 * Lambda entry point: payment-provider notifications (API Gateway REST proxy integration).
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
import { secrets } from '../../shared/secrets';
import { COMMIT_RESULT_TTL_SECONDS, PaymentsApiEnv } from '../contract';
import { PaymentEventQueue } from '../events';
import { createPaymentHandler } from './handler';
import { type KhipuCredentials, khipuProvider } from '../khipu';
import type { PaymentProvider } from '../provider';
import { PaymentStore } from '../store';
import { type WebpayCredentials, webpayProvider } from '../webpay';

const env = parseEnv(PaymentsApiEnv);
// The stack's outbound limits (HTTP_TIMEOUT_MS, checked against the function's timeout) give each provider call its deadline.
const { timeoutMs } = retryPolicyFromEnv({ timeoutMs: 8000 });
const dynamo = new DynamoDBClient(awsClientConfig());

function fromSecret<T>(secretId: string) {
  return { credentials: () => secrets.getJson<T>(secretId), credentialsRejected: () => secrets.invalidate(secretId) };
}

const providers: PaymentProvider[] = [];
if (env.KHIPU_SECRET_ID && env.KHIPU_API_BASE_URL) {
  providers.push(khipuProvider({ baseUrl: env.KHIPU_API_BASE_URL, timeoutMs, ...fromSecret<KhipuCredentials>(env.KHIPU_SECRET_ID) }));
}
if (env.WEBPAY_SECRET_ID && env.WEBPAY_API_BASE_URL && env.WEBPAY_RESULT_URL_PAID && env.WEBPAY_RESULT_URL_REJECTED && env.WEBPAY_RESULT_URL_ABORTED) {
  providers.push(
    webpayProvider({
      baseUrl: env.WEBPAY_API_BASE_URL,
      timeoutMs,
      resultPages: { paid: env.WEBPAY_RESULT_URL_PAID, rejected: env.WEBPAY_RESULT_URL_REJECTED, aborted: env.WEBPAY_RESULT_URL_ABORTED },
      ...fromSecret<WebpayCredentials>(env.WEBPAY_SECRET_ID),
    }),
  );
}

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
  events: new PaymentEventQueue(new SQSClient(awsClientConfig()), env.PAYMENT_EVENTS_QUEUE_URL),
  verifyOnce,
  now: () => new Date(),
});

export const handler = withLambdaContext(
  (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    idempotencyConfig.registerLambdaContext(context);
    return handleNotification(event);
  },
);
