/**
 * The forwarder through its entry point, against local-aws-sqs, dynalite (idempotency), the local Secrets Manager
 * and a fake CRM endpoint that records what it receives.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createIdempotencyTable, type LocalServer, type RecordedRequest, type RequestHandler, startDynamoDb, startHttpServer, startSecretsManager, startSqs, useLocalEndpoints } from '../../test/support/local-aws';
import type { NormalisedModyoEvent } from '../shared/modyo-events';
import { createQueueWithDlq, drainQueue, lambdaContext, receive } from './test-support';

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

let sqsServer: LocalServer;
let dynamo: LocalServer;
let secretsManager: Awaited<ReturnType<typeof startSecretsManager>>;
let crm: LocalServer & { requests: RecordedRequest[] };
let sqs: SQSClient;
let queueUrl: string;
let dlqUrl: string;
let forwarder: SqsHandler;
/** What the CRM answers next, one entry per request; then 200. */
let script: Array<ReturnType<RequestHandler>> = [];

function userEvent(eventId: string, type = 'user_updated'): NormalisedModyoEvent {
  return {
    schemaVersion: 1,
    eventId,
    type,
    category: 'realm_user',
    shape: 'full',
    occurredAt: '2025-05-01T10:00:00Z',
    receivedAt: '2025-05-01T10:00:01Z',
    realmUid: 'clients',
    user: { id: '77', email: 'ana@example.com', firstName: 'Ana' },
    archiveKey: `raw/2025/05/01/${eventId}.json`,
  };
}

/** The CRM accepts the credentials currently in the secret. */
function authorised(request: RecordedRequest): boolean {
  const credentials = JSON.parse(secretsManager.secrets['crm/credentials']);
  if (credentials.type === 'bearer') return request.headers.authorization === `Bearer ${credentials.token}`;
  return request.headers[credentials.header.toLowerCase()] === credentials.value;
}

async function enqueue(...events: unknown[]): Promise<void> {
  for (const event of events) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: typeof event === 'string' ? event : JSON.stringify(event) }));
}

const drain = () => drainQueue(sqs, queueUrl, forwarder);
const failures = (responses: SQSBatchResponse[]) => responses.flatMap((response) => response.batchItemFailures);
const forwardedIds = () => crm.requests.map((request) => request.headers['idempotency-key']);

beforeAll(async () => {
  [sqsServer, dynamo] = await Promise.all([startSqs(), startDynamoDb()]);
  secretsManager = await startSecretsManager({ 'crm/credentials': JSON.stringify({ type: 'bearer', token: 'crm-token-1' }) });
  crm = await startHttpServer((request) => {
    const next = script.shift();
    if (next) return next;
    return authorised(request) ? { status: 202 } : { status: 401 };
  });
  useLocalEndpoints({ SQS: sqsServer.endpoint, DYNAMODB: dynamo.endpoint, SECRETS_MANAGER: secretsManager.endpoint });
  sqs = new SQSClient({});
  ({ queueUrl, dlqUrl } = await createQueueWithDlq(sqs, 'modyo-user-events', 2));
  await createIdempotencyTable(dynamo.endpoint, 'idempotency');
  Object.assign(process.env, {
    CRM_ENDPOINT_URL: `${crm.endpoint}/events`,
    CRM_CREDENTIALS_SECRET_ID: 'crm/credentials',
    IDEMPOTENCY_TABLE_NAME: 'idempotency',
    HTTP_TIMEOUT_MS: '150',
    HTTP_MAX_ATTEMPTS: '3',
    HTTP_BASE_DELAY_MS: '1',
    HTTP_MAX_DELAY_MS: '20',
  });
  jest.isolateModules(() => {
    forwarder = require('./forwarder/index').handler;
  });
});

afterAll(async () => {
  await Promise.all([sqsServer.stop(), dynamo.stop(), secretsManager.stop(), crm.stop()]);
});

beforeEach(() => {
  crm.requests.length = 0;
  script = [];
});

it('forwards a user event with its idempotency key and credentials, and skips other events', async () => {
  await enqueue(userEvent('evt-1'), { ...userEvent('evt-login', 'login'), user: undefined });
  expect(failures(await drain())).toEqual([]);
  expect(crm.requests).toHaveLength(1);
  const [request] = crm.requests;
  expect(request).toMatchObject({ method: 'POST', url: '/events', headers: { 'idempotency-key': 'evt-1', authorization: 'Bearer crm-token-1', 'content-type': 'application/json' } });
  expect(JSON.parse(request.body)).toEqual({
    eventId: 'evt-1',
    type: 'user_updated',
    occurredAt: '2025-05-01T10:00:00Z',
    realmUid: 'clients',
    user: { modyoUserId: '77', email: 'ana@example.com', firstName: 'Ana' },
  });
});

it('sends an event once: a replayed delivery does not reach the CRM again', async () => {
  await enqueue(userEvent('evt-2'));
  const [record] = await receive(sqs, queueUrl);
  expect(await forwarder({ Records: [record] }, lambdaContext)).toEqual({ batchItemFailures: [] });
  // The first delivery reached the CRM (more than one request only if a slow answer under load ran into the 150 ms
  // HTTP timeout and was retried, with the same Idempotency-Key); the replay makes no request at all.
  const firstDelivery = forwardedIds();
  expect(new Set(firstDelivery)).toEqual(new Set(['evt-2']));
  expect(await forwarder({ Records: [{ ...record, messageId: 'second-delivery' }] }, lambdaContext)).toEqual({ batchItemFailures: [] });
  expect(forwardedIds()).toEqual(firstDelivery);
});

it('retries 429 (Retry-After), 500, a timeout and a reset within one invocation', async () => {
  script = [{ status: 429, headers: { 'retry-after': '0' } }, 'hang'];
  await enqueue(userEvent('evt-3'));
  expect(failures(await drain())).toEqual([]);
  script = ['reset', { status: 500 }];
  await enqueue(userEvent('evt-4'));
  expect(failures(await drain())).toEqual([]);
  expect(forwardedIds()).toEqual(['evt-3', 'evt-3', 'evt-3', 'evt-4', 'evt-4', 'evt-4']);
});

it('re-reads rotated credentials after a 401', async () => {
  secretsManager.secrets['crm/credentials'] = JSON.stringify({ type: 'api-key', header: 'X-Api-Key', value: 'key-2' });
  script = [{ status: 401 }, { status: 202 }];
  await enqueue(userEvent('evt-5'));
  expect(failures(await drain())).toEqual([]);
  expect(crm.requests.map((request) => [request.headers.authorization, request.headers['x-api-key']])).toEqual([
    ['Bearer crm-token-1', undefined],
    [undefined, 'key-2'],
  ]);
});

it('fails only the event the CRM refuses (409), which reaches the DLQ after maxReceiveCount; bad messages too', async () => {
  script = [{ status: 409 }, { status: 409 }];
  await enqueue(userEvent('evt-6'), '{"not":"an event"}');
  const responses = await drain();
  expect(responses.map((response) => response.batchItemFailures.length)).toEqual([2, 2]);
  const dead = await receive(sqs, dlqUrl);
  expect(dead.map((record) => record.body).sort()).toEqual([JSON.stringify(userEvent('evt-6')), '{"not":"an event"}'].sort());
  // Once the CRM recovers, a redriven event goes through.
  await enqueue(JSON.parse(dead.find((record) => record.body.includes('evt-6'))!.body));
  expect(failures(await drain())).toEqual([]);
  expect(forwardedIds()).toEqual(['evt-6', 'evt-6', 'evt-6']);
});

describe('malformed messages: each one is reported failed, alone; nothing is reported processed that was not', () => {
  const { brokenEnvelopes, NOT_AN_OBJECT_BODIES, sqsRecord } = require('../../test/support/sqs-records') as typeof import('../../test/support/sqs-records');
  const queue = 'modyo-events.fifo';
  const withoutField = (field: keyof NormalisedModyoEvent) => {
    const event: Record<string, unknown> = { ...userEvent(`evt-no-${field}`) };
    delete event[field];
    return JSON.stringify(event);
  };
  /** Every way a message of the events queue can be wrong, by the NormalisedModyoEvent contract. */
  const malformed: Record<string, string> = {
    ...NOT_AN_OBJECT_BODIES,
    'JSON object, not an event': '{"not":"an event"}',
    ...Object.fromEntries((['schemaVersion', 'eventId', 'type', 'category', 'shape', 'occurredAt', 'receivedAt', 'archiveKey'] as const).map((field) => [`no ${field}`, withoutField(field)])),
    'schemaVersion 2': JSON.stringify({ ...userEvent('evt-v2'), schemaVersion: 2 }),
    'occurredAt not a date-time': JSON.stringify({ ...userEvent('evt-bad-time'), occurredAt: 'yesterday' }),
    'user without an id': JSON.stringify({ ...userEvent('evt-user-no-id'), user: { email: 'ana@example.com' } }),
    // The defect of issue 11 item 12: reported processed, it reached neither the CRM nor the DLQ.
    'user_updated without a user': JSON.stringify({ ...userEvent('evt-no-user'), user: undefined }),
    'user_deleted without a user': JSON.stringify({ ...userEvent('evt-deleted-no-user', 'user_deleted'), user: undefined }),
    // The receiver queues catalogued types only: anything else on this queue is a producer defect.
    'type outside the catalogue': JSON.stringify(userEvent('evt-uncatalogued', 'user_teleported')),
  };

  it('fails exactly the malformed records of a batch, forwards the good ones and skips catalogued non-user events', async () => {
    const ids = Object.keys(malformed).map((_name, index) => `bad-${index}`);
    const records = [
      // A broken envelope first: the batch's first record used to decide FIFO-ness and crash the whole batch.
      ...brokenEnvelopes('envelope', JSON.stringify(userEvent('evt-envelope')), { queue }),
      sqsRecord('good-1', JSON.stringify(userEvent('evt-good-1')), { queue }),
      ...Object.values(malformed).map((body, index) => sqsRecord(ids[index], body, { queue })),
      sqsRecord('skipped-login', JSON.stringify({ ...userEvent('evt-login-2', 'login'), user: undefined }), { queue }),
      sqsRecord('skipped-page', JSON.stringify({ ...userEvent('evt-page', 'page_published'), user: undefined, category: 'page' }), { queue }),
      sqsRecord('good-2', JSON.stringify(userEvent('evt-good-2', 'user_created')), { queue }),
    ];
    const response = await forwarder({ Records: records }, lambdaContext);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['envelope-no-attributes', 'envelope-no-arn', 'envelope-body-not-string', ...ids]);
    expect(forwardedIds()).toEqual(['evt-good-1', 'evt-good-2']);
  });

  it('a malformed message on a FIFO queue holds back only the later messages of its own group', async () => {
    const records = [
      sqsRecord('a-1', JSON.stringify({ ...userEvent('evt-a1'), user: undefined }), { queue, groupId: 'user-a' }),
      sqsRecord('b-1', JSON.stringify(userEvent('evt-b1')), { queue, groupId: 'user-b' }),
      sqsRecord('a-2', JSON.stringify(userEvent('evt-a2')), { queue, groupId: 'user-a' }),
      sqsRecord('b-2', JSON.stringify(userEvent('evt-b2')), { queue, groupId: 'user-b' }),
    ];
    const response = await forwarder({ Records: records }, lambdaContext);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['a-1', 'a-2']);
    expect(forwardedIds()).toEqual(['evt-b1', 'evt-b2']);
  });

  it('a user_updated without a user ends in the DLQ after maxReceiveCount, never reported processed', async () => {
    await enqueue({ ...userEvent('evt-lost'), user: undefined });
    const responses = await drain();
    expect(responses.map((response) => response.batchItemFailures.length)).toEqual([1, 1]);
    const dead = await receive(sqs, dlqUrl);
    expect(dead.map((record) => JSON.parse(record.body).eventId)).toEqual(['evt-lost']);
    expect(crm.requests).toHaveLength(0);
  });
});

describe('outbound calls that never answer (issue 11 item 14)', () => {
  const { sqsRecord } = require('../../test/support/sqs-records') as typeof import('../../test/support/sqs-records');
  const { awsCallWorstCaseMs, awsCallLimitsFromEnv, httpCallWorstCaseMs } = require('../shared/outbound-limits') as typeof import('../shared/outbound-limits');
  const queue = 'modyo-events.fifo';

  /** Runs `work` with a forwarder loaded under extra environment (the SDK reads endpoints lazily), then restores it. */
  async function withForwarder<T>(env: Record<string, string>, work: (handler: SqsHandler) => Promise<T>): Promise<T> {
    const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
    Object.assign(process.env, env);
    try {
      let loaded: SqsHandler | undefined;
      jest.isolateModules(() => {
        loaded = require('./forwarder/index').handler;
      });
      return await work(loaded as SqsHandler);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  }

  it('a CRM that never answers fails the message within the HTTP limits, not at the function timeout', async () => {
    script = ['hang', 'hang', 'hang'];
    const started = Date.now();
    const response = await forwarder({ Records: [sqsRecord('hung-crm', JSON.stringify(userEvent('evt-hung-crm')), { queue })] }, lambdaContext);
    const elapsed = Date.now() - started;
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'hung-crm' }]);
    expect(crm.requests).toHaveLength(3);
    // HTTP_TIMEOUT_MS 150, 3 attempts, backoff at most 20 ms: 490 ms at most, plus this machine's slack.
    expect(elapsed).toBeLessThan(httpCallWorstCaseMs({ timeoutMs: 150, maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 20 }) + 1_000);
  });

  it('an AWS endpoint (the idempotency table) that never answers fails the message within the AWS limits', async () => {
    const hanging = await startHttpServer(() => 'hang');
    try {
      const limits = { AWS_CONNECTION_TIMEOUT_MS: '200', AWS_REQUEST_TIMEOUT_MS: '300', AWS_MAX_ATTEMPTS: '2', AWS_RETRY_BASE_DELAY_MS: '10', AWS_RETRY_MAX_DELAY_MS: '50' };
      const started = Date.now();
      const response = await withForwarder({ AWS_ENDPOINT_URL_DYNAMODB: hanging.endpoint, ...limits }, (stuck) =>
        stuck({ Records: [sqsRecord('hung-table', JSON.stringify(userEvent('evt-hung-table')), { queue })] }, lambdaContext),
      );
      const elapsed = Date.now() - started;
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'hung-table' }]);
      expect(hanging.requests.length).toBeGreaterThanOrEqual(2); // both attempts reached it, neither was answered
      expect(crm.requests).toHaveLength(0);
      expect(elapsed).toBeLessThan(awsCallWorstCaseMs(awsCallLimitsFromEnv(limits)) + 1_000);
    } finally {
      await hanging.stop();
    }
  });
});
