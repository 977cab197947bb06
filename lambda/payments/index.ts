/**
 * Lambda entry point: payment-provider notifications (API Gateway REST proxy integration).
 *   POST /payments/khipu/notify   (Khipu notify_url, form: notification_token, api_version)
 *   GET|POST /payments/webpay/return (WebPay Plus return_url: token_ws, or TBK_TOKEN/TBK_ORDEN_COMPRA/TBK_ID_SESION)
 *
 * Environment:
 *   PAYMENTS_TABLE_NAME        payment records (dynamodb:GetItem, dynamodb:UpdateItem)
 *   PAYMENT_EVENTS_QUEUE_URL   payment events (sqs:SendMessage; kms:GenerateDataKey/Decrypt if the queue uses a CMK)
 *   IDEMPOTENCY_TABLE_NAME     stored WebPay commit results (dynamodb:GetItem/PutItem/UpdateItem/DeleteItem)
 *   KHIPU_SECRET_ID            Secrets Manager id, JSON {"receiverId", "apiKey"} (secretsmanager:GetSecretValue);
 *                              Khipu is served only when set
 *   KHIPU_API_BASE_URL         e.g. https://khipu.com/api/2.0
 *   WEBPAY_SECRET_ID           JSON {"commerceCode", "apiKeySecret"}; WebPay is served only when set
 *   WEBPAY_API_BASE_URL        e.g. https://webpay3g.transbank.cl (integration: https://webpay3gint.transbank.cl)
 *   WEBPAY_RESULT_URL_PAID / _REJECTED / _ABORTED   pages the buyer is redirected to (`?paymentId=` is added)
 *   PROVIDER_TIMEOUT_MS        deadline of each provider call (default 8000)
 *   WEBPAY_COMMIT_RESULT_TTL_SECONDS  how long a commit result is kept for replays (default 7 days)
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { awsClientConfig } from '../shared/aws-clients';
import { requiredEnv, secrets } from '../shared/secrets';
import { PaymentEventQueue } from './events';
import { createPaymentHandler } from './handler';
import { type KhipuCredentials, khipuProvider } from './khipu';
import type { PaymentProvider } from './provider';
import { PaymentStore } from './store';
import { type WebpayCredentials, webpayProvider } from './webpay';

// HTTP_TIMEOUT_MS is what the stack sets (its outbound limits, checked against the function's timeout).
const timeoutMs = Number(process.env.HTTP_TIMEOUT_MS ?? process.env.PROVIDER_TIMEOUT_MS) || 8000;
const dynamo = new DynamoDBClient(awsClientConfig());

function fromSecret<T>(secretId: string) {
  return { credentials: () => secrets.getJson<T>(secretId), credentialsRejected: () => secrets.invalidate(secretId) };
}

const providers: PaymentProvider[] = [];
if (process.env.KHIPU_SECRET_ID) {
  providers.push(khipuProvider({ baseUrl: requiredEnv('KHIPU_API_BASE_URL'), timeoutMs, ...fromSecret<KhipuCredentials>(process.env.KHIPU_SECRET_ID) }));
}
if (process.env.WEBPAY_SECRET_ID) {
  providers.push(
    webpayProvider({
      baseUrl: requiredEnv('WEBPAY_API_BASE_URL'),
      timeoutMs,
      resultPages: { paid: requiredEnv('WEBPAY_RESULT_URL_PAID'), rejected: requiredEnv('WEBPAY_RESULT_URL_REJECTED'), aborted: requiredEnv('WEBPAY_RESULT_URL_ABORTED') },
      ...fromSecret<WebpayCredentials>(process.env.WEBPAY_SECRET_ID),
    }),
  );
}
if (providers.length === 0) throw new Error('No payment provider configured: set KHIPU_SECRET_ID and/or WEBPAY_SECRET_ID');

// The Lambda context gives the in-progress marker an expiry, so a commit cut short by a timeout can be retried.
const idempotencyConfig = new IdempotencyConfig({ expiresAfterSeconds: Number(process.env.WEBPAY_COMMIT_RESULT_TTL_SECONDS ?? 7 * 24 * 3600) });

const verifyOnce = makeIdempotent(
  async ({ provider, reference }: { provider: string; reference: string }) => {
    const adapter = providers.find((candidate) => candidate.name === provider);
    if (!adapter) throw new Error(`unknown provider ${provider}`);
    return adapter.verify(reference);
  },
  {
    persistenceStore: new DynamoDBPersistenceLayer({ tableName: requiredEnv('IDEMPOTENCY_TABLE_NAME'), awsSdkV3Client: dynamo }),
    config: idempotencyConfig,
  },
);

const handleNotification = createPaymentHandler({
  providers,
  store: new PaymentStore(dynamo, requiredEnv('PAYMENTS_TABLE_NAME')),
  events: new PaymentEventQueue(new SQSClient(awsClientConfig()), requiredEnv('PAYMENT_EVENTS_QUEUE_URL')),
  verifyOnce,
  now: () => new Date(),
});

export const handler = (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
  idempotencyConfig.registerLambdaContext(context);
  return handleNotification(event);
};
