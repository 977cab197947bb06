/** SQS consumer of the profile updates queue: applies each update to Modyo Customers. Environment and IAM: ../contract.ts (WorkerEnv). */
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { awsClientConfig } from '../../shared/aws-clients';
import { retryPolicyFromEnv } from '../../shared/http-retry';
import { parseEnv } from '../../shared/env';
import { withLambdaContext } from '../../shared/logger';
import { ModyoAdminClient, tokenFromSecret } from '../../shared/modyo-admin';
import { secrets } from '../../shared/secrets';
import { WorkerEnv } from '../contract';
import { RealmUsers } from '../modyo-customers';
import { workerHandler } from './handler';

const env = parseEnv(WorkerEnv);
const policy = retryPolicyFromEnv({ timeoutMs: 5_000, maxAttempts: 3, maxDelayMs: 3_000 });
const client = new ModyoAdminClient({
  baseUrl: env.MODYO_BASE_URL,
  token: tokenFromSecret(secrets, env.MODYO_TOKEN_SECRET_ID),
  timeoutMs: policy.timeoutMs,
  maxAttempts: policy.maxAttempts,
  baseDelayMs: policy.baseDelayMs,
  maxDelayMs: policy.maxDelayMs,
});

export const handler = withLambdaContext(
  workerHandler({
    users: new RealmUsers(client, env.MODYO_ADMIN_ROUTES),
    persistenceStore: new DynamoDBPersistenceLayer({ tableName: env.IDEMPOTENCY_TABLE_NAME, clientConfig: awsClientConfig() }),
  }),
);
