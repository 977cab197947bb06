/**
 * SQS consumer of the profile updates queue: applies each update to Modyo Customers.
 * Environment: MODYO_BASE_URL (account URL), MODYO_TOKEN_SECRET_ID (admin API token: the string, or {"token"}),
 * MODYO_ADMIN_ROUTES (optional JSON overriding ModyoAdminRoutes), IDEMPOTENCY_TABLE_NAME; optional HTTP_TIMEOUT_MS,
 * HTTP_MAX_ATTEMPTS, HTTP_BASE_DELAY_MS, HTTP_MAX_DELAY_MS (defaults 5000, 3, 200, 3000).
 * IAM: secretsmanager:GetSecretValue on the token secret (+ kms:Decrypt on its key); dynamodb:GetItem, PutItem,
 * UpdateItem, DeleteItem on the idempotency table; SQS event source permissions on the queue.
 */
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { awsClientConfig } from '../../shared/aws-clients';
import { retryPolicyFromEnv } from '../../shared/http-retry';
import { ModyoAdminClient, modyoAdminRoutes, tokenFromSecret } from '../../shared/modyo-admin';
import { requiredEnv, secrets } from '../../shared/secrets';
import { RealmUsers } from '../modyo-customers';
import { workerHandler } from '../worker-handler';

const policy = retryPolicyFromEnv({ timeoutMs: 5_000, maxAttempts: 3, maxDelayMs: 3_000 });
const client = new ModyoAdminClient({
  baseUrl: requiredEnv('MODYO_BASE_URL'),
  token: tokenFromSecret(secrets, requiredEnv('MODYO_TOKEN_SECRET_ID')),
  timeoutMs: policy.timeoutMs,
  maxAttempts: policy.maxAttempts,
  baseDelayMs: policy.baseDelayMs,
  maxDelayMs: policy.maxDelayMs,
});

export const handler = workerHandler({
  users: new RealmUsers(client, modyoAdminRoutes(process.env.MODYO_ADMIN_ROUTES)),
  persistenceStore: new DynamoDBPersistenceLayer({ tableName: requiredEnv('IDEMPOTENCY_TABLE_NAME'), clientConfig: awsClientConfig() }),
});
