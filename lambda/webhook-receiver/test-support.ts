/**
 * Reusable pieces for the webhook receiver's tests and benchmark: Modyo payloads of both shapes, signed headers,
 * and a local environment (S3, SQS, DynamoDB, Secrets Manager on loopback) with the real handler loaded into it.
 * Not part of the Lambda bundle (index.ts does not import it).
 */
import { CreateBucketCommand, GetObjectCommand, ListObjectsCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createIdempotencyTable, LOCAL_REGION, type LocalServer, startDynamoDb, startS3, startSecretsManager, startSqs, useLocalEndpoints } from '../../test/support/local-aws';
import { startServersInChildProcess } from '../../test/support/local-aws-process';
import { heldMessages } from '../../test/support/sqs-receive';
import { signatureFor } from './core';
import { key } from './ledger';

export const SECRET_HEADER = 'x-connect-webhook-secret';
export const SIGNATURE_HEADER = 'x-connect-signature';
export const TIMESTAMP_HEADER = 'x-connect-timestamp';

/** A full log form payload (the names beyond the documented ones follow MODYO_FIELDS). */
export function fullLogPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 1001,
    log_type: 'user_created',
    trigger_entity: 'admin',
    trigger_uid: 'admin-7',
    loggeable_type: 'Realms::User',
    loggeable_id: 'user-42',
    created_at: '2025-03-04T10:20:30.000-03:00',
    options: { realm_uid: 'customers', user: { email: 'ana@example.com', username: 'ana', first_name: 'Ana', last_name: 'Soto' } },
    ...overrides,
  };
}

/** A compact form payload. */
export function compactPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { e_c: 'realm', e_a: 'login', realm_uid: 'customers', uid: 'user-42', ts: 1741094430, ...overrides };
}

/**
 * A full-shape payload with exactly the fields Modyo's webhook docs list for it (core/webhooks.md; see
 * ../shared/reference/modyo.md "More facts"), as a log record serialises them: unset columns are null. Here a realm
 * user created by an admin of the account, with the realm trigger name.
 */
export function documentedFullPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 880_001,
    account_id: 12,
    site_id: null,
    user_id: 7,
    type: null,
    user_type: 'Admin::User',
    value_1: null,
    value_2: null,
    value_3: null,
    request_ip: '203.0.113.7',
    request_user_agent: 'Mozilla/5.0',
    loggeable_id: 4321,
    loggeable_type: 'Realms::User',
    options: {},
    created_at: '2026-11-30T12:34:56.000Z',
    space_id: null,
    log_type_id: 57,
    realm_id: 3,
    trigger_uid: 'admin-7',
    trigger_name: 'user_created_log',
    trigger_entity: 'admin',
    trigger_entity_id: 7,
    trigger_entry_uuid: null,
    trigger_content_uuid: null,
    trigger_entry_space_uid: null,
    ...overrides,
  };
}

/** A compact-shape payload with exactly the fields the docs list for it: an end user of a realm on a site. */
export function documentedCompactPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ip: '198.51.100.23', ua: 'Mozilla/5.0', e_c: 'realm', e_a: 'user_login_log', uid: 4321, idsite: 5, account_id: 12, realm_id: 3, realm_uid: 'customers', ...overrides };
}

const LOAD_TYPES = ['user_created', 'user_updated', 'login', 'page_published', 'signup'] as const;

/** The i-th payload of a load run: both shapes, several types, each with a distinct id. */
export function generatedPayload(index: number, runId = 'run'): Record<string, unknown> {
  const type = LOAD_TYPES[index % LOAD_TYPES.length];
  const user = `user-${index}`;
  return index % 2 === 0
    ? fullLogPayload({ id: `${runId}-${index}`, log_type: type, loggeable_id: user, options: { realm_uid: 'customers', user: { email: `${user}@example.com` } } })
    : compactPayload({ event_id: `${runId}-${index}`, e_a: type, uid: user, ts: 1741094430 + index });
}

/** Headers of a signed delivery. */
export function signedHeaders(signingKey: string, body: string, nowSeconds = Math.floor(Date.now() / 1000)): Record<string, string> {
  const timestamp = String(nowSeconds);
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: `sha256=${signatureFor(signingKey, timestamp, Buffer.from(body))}` };
}

/** A POST as API Gateway would hand it to the function. */
export function webhookRequest(body: string, headers: Record<string, string>): APIGatewayProxyEvent {
  return {
    resource: '/webhooks/modyo', path: '/webhooks/modyo', httpMethod: 'POST', headers, multiValueHeaders: {},
    queryStringParameters: null, multiValueQueryStringParameters: null, pathParameters: null, stageVariables: null,
    body, isBase64Encoded: false, requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}

export interface WebhookEnvironment {
  readonly handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  readonly sharedSecret: string;
  /** Live secret values by id: change one to simulate a rotation. */
  readonly secrets: Record<string, string>;
  readonly secretId: string;
  readonly bucket: string;
  readonly eventsQueueUrl: string;
  readonly identityQueueUrl: string;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly ddb: DynamoDBDocumentClient;
  readonly tableName: string;
  secretReads(): number;
  /** Every archived key under `raw/`. */
  archivedKeys(): Promise<string[]>;
  archivedBody(key: string): Promise<string>;
  /** Receives (and deletes) every message now on the queue. */
  drain(queueUrl: string): Promise<Array<Record<string, unknown>>>;
  ledgerItem(eventId: string): Promise<Record<string, unknown> | undefined>;
  putLedgerItem(item: Record<string, unknown>): Promise<void>;
  createQueue(name: string): Promise<string>;
  createBucket(): Promise<void>;
  stop(): Promise<void>;
}

export interface EnvironmentOptions {
  /** Extra environment variables for the handler. */
  readonly env?: Record<string, string>;
  /**
   * Run S3, SQS and DynamoDB in a child process, so that a load test measures the handler rather than the
   * servers competing with it for one event loop.
   */
  readonly serversInChildProcess?: boolean;
}

/**
 * Starts the local servers, creates the bucket, queues, table and secret, points the SDK at them, sets the
 * handler's environment and loads the real entry point (`index.ts`). Call once per test file / process.
 */
export async function startWebhookEnvironment(loadHandler: () => { handler: WebhookEnvironment['handler'] }, options: EnvironmentOptions = {}): Promise<WebhookEnvironment> {
  const bucket = 'connect-webhook-archive';
  const tableName = 'idempotency';
  const secretId = 'connect/modyo-webhook';
  const sharedSecret = 'a-shared-secret-of-enough-length';
  const smServer = await startSecretsManager({ [secretId]: JSON.stringify({ sharedSecret }) });
  const servers: LocalServer[] = [smServer];
  const endpoints = { s3: '', sqs: '', dynamodb: '' };
  if (options.serversInChildProcess) {
    const child = await startServersInChildProcess({ s3: [bucket], sqs: true, dynamodb: true });
    Object.assign(endpoints, child.endpoints);
    servers.push({ endpoint: '', stop: child.stop });
  } else {
    const started = await Promise.all([startS3([bucket]), startSqs(), startDynamoDb()]);
    [endpoints.s3, endpoints.sqs, endpoints.dynamodb] = started.map((server) => server.endpoint);
    servers.push(...started);
  }
  useLocalEndpoints({ S3: endpoints.s3, SQS: endpoints.sqs, DYNAMODB: endpoints.dynamodb, SECRETS_MANAGER: smServer.endpoint });

  // s3rver's own credentials, path-style addressing, checksums only when required (TOOLCHAIN.md).
  const s3 = new S3Client({
    endpoint: endpoints.s3, region: LOCAL_REGION, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  const sqs = new SQSClient({ endpoint: endpoints.sqs });
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: endpoints.dynamodb }));
  const createQueue = async (name: string) => (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl as string;
  await createIdempotencyTable(endpoints.dynamodb, tableName);
  const [eventsQueueUrl, identityQueueUrl] = await Promise.all([createQueue('modyo-events'), createQueue('identity-provisioning')]);

  Object.assign(process.env, {
    WEBHOOK_SECRET_ID: secretId,
    ARCHIVE_BUCKET_NAME: bucket,
    EVENTS_QUEUE_URL: eventsQueueUrl,
    IDENTITY_QUEUE_URL: identityQueueUrl,
    IDEMPOTENCY_TABLE_NAME: tableName,
    REFRESH_INTERVAL_SECONDS: '0',
    HASH_DEDUP_SECONDS: '300',
    ...options.env,
  });
  const { handler } = loadHandler();

  return {
    handler,
    sharedSecret,
    secrets: smServer.secrets,
    secretId,
    bucket,
    eventsQueueUrl,
    identityQueueUrl,
    s3,
    sqs,
    ddb,
    tableName,
    secretReads: smServer.calls,
    async archivedKeys() {
      // ListObjects (v1) paged by Marker: s3rver's ListObjectsV2 cannot continue a truncated listing (its
      // continuation token uses DES, which Node 20's OpenSSL no longer offers).
      const keys: string[] = [];
      for (let truncated = true; truncated; ) {
        const page = await s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: 'raw/', Marker: keys.at(-1) }));
        keys.push(...(page.Contents ?? []).map((object) => object.Key as string));
        truncated = page.IsTruncated === true;
      }
      return keys;
    },
    async archivedBody(objectKey) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey }));
      return (await object.Body?.transformToString()) ?? '';
    },
    async drain(queueUrl) {
      const messages: Array<Record<string, unknown>> = [];
      const deletions: Array<Promise<unknown>> = [];
      const deadline = Date.now() + 30_000;
      for (;;) {
        // Stop only when the queue says none are left to receive (a short-poll receive may come back empty while
        // messages remain, as SQS's own does).
        // Asking for exactly what is held, as sqs-receive.ts says why.
        const held = await heldMessages(sqs, queueUrl);
        if (held === 0 || Date.now() > deadline) break;
        // Received messages stay hidden for 5 minutes, so deleting them can overlap the next receive.
        const batch = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: Math.min(held, 10), WaitTimeSeconds: 0, VisibilityTimeout: 300 }));
        if (!batch.Messages?.length) continue;
        messages.push(...batch.Messages.map((message) => JSON.parse(message.Body as string)));
        const Entries = batch.Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle as string }));
        deletions.push(sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries })));
      }
      await Promise.all(deletions);
      return messages;
    },
    async ledgerItem(eventId) {
      return (await ddb.send(new GetCommand({ TableName: tableName, Key: { id: key(eventId) }, ConsistentRead: true }))).Item;
    },
    async putLedgerItem(item) {
      await ddb.send(new PutCommand({ TableName: tableName, Item: item }));
    },
    createQueue,
    async createBucket() {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    },
    async stop() {
      s3.destroy();
      sqs.destroy();
      ddb.destroy();
      await Promise.all(servers.map((server) => server.stop()));
    },
  };
}
