/** SQS consumer of normalised Modyo events (from the webhook receiver): forwards user events to the CRM/CDP. Environment and IAM: ../contract.ts (ForwarderEnv). */
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { awsClientConfig } from '../../shared/aws-clients';
import { retryPolicyFromEnv } from '../../shared/http-retry';
import { parseEnv } from '../../shared/env';
import { withLambdaContext } from '../../shared/logger';
import { secrets } from '../../shared/secrets';
import { CrmClient } from '../crm-client';
import { forwarderHandler } from './handler';
import { CrmCredentials, ForwarderEnv } from '../contract';

const env = parseEnv(ForwarderEnv);
const secretId = env.CRM_CREDENTIALS_SECRET_ID;

async function credentials(options?: { refresh?: boolean }): Promise<CrmCredentials> {
  if (options?.refresh) secrets.invalidate(secretId);
  const parsed = CrmCredentials.safeParse(await secrets.getJson(secretId));
  if (!parsed.success) throw new Error(`Secret ${secretId} is not a CRM credentials JSON object`);
  return parsed.data;
}

export const handler = withLambdaContext(
  forwarderHandler({
    crm: new CrmClient(env.CRM_ENDPOINT_URL, credentials, retryPolicyFromEnv({ timeoutMs: 5_000, maxAttempts: 3, maxDelayMs: 3_000 })),
    persistenceStore: new DynamoDBPersistenceLayer({ tableName: env.IDEMPOTENCY_TABLE_NAME, clientConfig: awsClientConfig() }),
  }),
);
