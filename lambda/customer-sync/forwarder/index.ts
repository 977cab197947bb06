/**
 * SQS consumer of normalised Modyo events (from the webhook receiver): forwards user events to the CRM/CDP.
 * Environment: CRM_ENDPOINT_URL (HTTPS URL that takes one JSON event per POST), CRM_CREDENTIALS_SECRET_ID
 * (JSON: {"type":"bearer","token"} | {"type":"basic","username","password"} | {"type":"api-key","header","value"}),
 * IDEMPOTENCY_TABLE_NAME; optional HTTP_TIMEOUT_MS, HTTP_MAX_ATTEMPTS, HTTP_BASE_DELAY_MS, HTTP_MAX_DELAY_MS
 * (defaults 5000, 3, 200, 3000).
 * IAM: secretsmanager:GetSecretValue on the credentials secret (+ kms:Decrypt on its key); dynamodb:GetItem,
 * PutItem, UpdateItem, DeleteItem on the idempotency table; SQS event source permissions on the queue.
 */
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { awsClientConfig } from '../../shared/aws-clients';
import { retryPolicyFromEnv } from '../../shared/http-retry';
import { requiredEnv, secrets } from '../../shared/secrets';
import { CrmClient } from '../crm-client';
import { forwarderHandler } from '../forwarder-handler';
import { CrmCredentials } from '../schema';

const secretId = requiredEnv('CRM_CREDENTIALS_SECRET_ID');

async function credentials(options?: { refresh?: boolean }): Promise<CrmCredentials> {
  if (options?.refresh) secrets.invalidate(secretId);
  const parsed = CrmCredentials.safeParse(await secrets.getJson(secretId));
  if (!parsed.success) throw new Error(`Secret ${secretId} is not a CRM credentials JSON object`);
  return parsed.data;
}

export const handler = forwarderHandler({
  crm: new CrmClient(requiredEnv('CRM_ENDPOINT_URL'), credentials, retryPolicyFromEnv({ timeoutMs: 5_000, maxAttempts: 3, maxDelayMs: 3_000 })),
  persistenceStore: new DynamoDBPersistenceLayer({ tableName: requiredEnv('IDEMPOTENCY_TABLE_NAME'), clientConfig: awsClientConfig() }),
});
