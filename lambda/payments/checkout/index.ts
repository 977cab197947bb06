/**
 * Lambda entry point: checkout and "my payments" (API Gateway REST proxy integration, Cognito authorizer):
 *   POST /payments (payments.create), GET /payments and GET /payments/{id} (payments.read).
 * Environment and IAM: contract.ts (PaymentsCheckoutEnv); every configured provider is offered.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { awsClientConfig } from '../../shared/aws-clients';
import { parseEnv } from '../../shared/env';
import { retryPolicyFromEnv } from '../../shared/http-retry';
import { withLambdaContext } from '../../shared/logger';
import { CHECKOUT_RESULT_TTL_SECONDS, PaymentsCheckoutEnv } from '../contract';
import { invocationDeadlineFrom, withProviderDeadline } from '../provider';
import { PaymentStore } from '../store';
import { configuredProviders } from '../wiring';
import { type CheckoutInput, createCheckoutHandler } from './handler';

const env = parseEnv(PaymentsCheckoutEnv);
/** Kept after the last provider call for storing the created payment and answering. */
const RESERVE_AFTER_PROVIDER_MS = 3000;
// The stack's outbound limits (HTTP_TIMEOUT_MS, checked against the function's timeout) give each provider call its deadline.
const { timeoutMs } = retryPolicyFromEnv({ timeoutMs: 8000 });
const dynamo = new DynamoDBClient(awsClientConfig());

// Keyed by owner + Idempotency-Key; the body must match (another body under the key is a 422). The Lambda context
// gives the in-progress marker an expiry, so a checkout cut short by a timeout can be retried.
const idempotencyConfig = new IdempotencyConfig({ eventKeyJmesPath: 'key', payloadValidationJmesPath: 'body', expiresAfterSeconds: CHECKOUT_RESULT_TTL_SECONDS });
const persistenceStore = new DynamoDBPersistenceLayer({ tableName: env.IDEMPOTENCY_TABLE_NAME, awsSdkV3Client: dynamo });

const handleRequest = createCheckoutHandler({
  providers: configuredProviders(env, timeoutMs),
  store: new PaymentStore(dynamo, env.PAYMENTS_TABLE_NAME),
  resultUrl: env.PAYMENT_RESULT_URL,
  once: (run) => makeIdempotent((input: CheckoutInput) => run(input), { persistenceStore, config: idempotencyConfig }),
  random: (bytes) => randomBytes(bytes),
  newId: randomUUID,
  now: () => new Date(),
});

export const handler = withLambdaContext((event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
  idempotencyConfig.registerLambdaContext(context);
  const deadline = invocationDeadlineFrom(context, RESERVE_AFTER_PROVIDER_MS);
  return deadline === undefined ? handleRequest(event) : withProviderDeadline(deadline, () => handleRequest(event));
});
