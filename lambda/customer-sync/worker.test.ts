/**
 * The inbound API and the worker through their entry points, against local-aws-sqs (FIFO queue with a DLQ),
 * dynalite (idempotency), the local Secrets Manager and the fake Modyo admin API.
 */
import { DeleteMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type FakeModyo, startFakeModyo } from '../../test/support/fake-modyo';
import { createIdempotencyTable, type LocalServer, startDynamoDb, startSecretsManager, startSqs, useLocalEndpoints } from '../../test/support/local-aws';
import { createQueueWithDlq, drainQueue, lambdaContext, receive } from './test-support';

type ApiHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

let sqsServer: LocalServer;
let dynamo: LocalServer;
let secretsManager: Awaited<ReturnType<typeof startSecretsManager>>;
let modyo: FakeModyo;
let sqs: SQSClient;
let queueUrl: string;
let dlqUrl: string;
let inbound: ApiHandler;
let worker: SqsHandler;

function postAs(clientId: string, body: unknown, headers: Record<string, string> = {}): Promise<APIGatewayProxyResult> {
  return inbound({
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { authorizer: { claims: { client_id: clientId } } },
  } as unknown as APIGatewayProxyEvent);
}

const post = (body: unknown, headers: Record<string, string> = {}) => postAs('crm-client', body, headers);

const drain = () => drainQueue(sqs, queueUrl, worker);

const creates = () => modyo.handled('POST', /\/users$/).length;

beforeAll(async () => {
  [sqsServer, dynamo, modyo] = await Promise.all([startSqs(), startDynamoDb(), startFakeModyo({ token: 'admin-token', realms: ['clients'] })]);
  secretsManager = await startSecretsManager({ 'modyo/admin-token': 'admin-token' });
  useLocalEndpoints({ SQS: sqsServer.endpoint, DYNAMODB: dynamo.endpoint, SECRETS_MANAGER: secretsManager.endpoint });
  sqs = new SQSClient({});
  ({ queueUrl, dlqUrl } = await createQueueWithDlq(sqs, 'profile-updates.fifo', 2));
  await createIdempotencyTable(dynamo.endpoint, 'idempotency');
  Object.assign(process.env, {
    PROFILE_UPDATES_QUEUE_URL: queueUrl,
    MODYO_BASE_URL: modyo.endpoint,
    MODYO_TOKEN_SECRET_ID: 'modyo/admin-token',
    IDEMPOTENCY_TABLE_NAME: 'idempotency',
    HTTP_TIMEOUT_MS: '150',
    HTTP_MAX_ATTEMPTS: '4',
    HTTP_BASE_DELAY_MS: '1',
    HTTP_MAX_DELAY_MS: '20',
  });
  jest.isolateModules(() => {
    inbound = require('./inbound/index').handler;
    worker = require('./worker/index').handler;
  });
});

afterAll(async () => {
  await Promise.all([sqsServer.stop(), dynamo.stop(), secretsManager.stop(), modyo.stop()]);
});

beforeEach(() => modyo.reset());

describe('inbound API', () => {
  it('queues a valid update and answers 202 with the request id', async () => {
    const response = await post({ realmUid: 'clients', action: 'upsert', user: { externalId: 'crm-1', email: 'ana@example.com' }, profile: { firstName: 'Ana' } });
    expect(response.statusCode).toBe(202);
    const { requestId } = JSON.parse(response.body);
    const [record] = await receive(sqs, queueUrl);
    const message = JSON.parse(record.body);
    expect(message).toMatchObject({ schemaVersion: 1, requestId, clientId: 'crm-client', update: { realmUid: 'clients', action: 'upsert' } });
    expect(record.attributes.MessageGroupId).toMatch(/^[0-9a-f]{64}$/);
    expect(record.body).not.toContain(record.attributes.MessageGroupId);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle }));
  });

  it('answers 400 naming the bad fields, 415 for another media type, 413 for a large body', async () => {
    const bad = await post({ realmUid: 'clients', action: 'merge', user: {} });
    expect(bad.statusCode).toBe(400);
    const fields = JSON.parse(bad.body).error.details.map((detail: { field: string }) => detail.field);
    expect(fields).toEqual(expect.arrayContaining(['action', 'user']));
    expect((await post('not json')).statusCode).toBe(400);
    expect((await post({ realmUid: 'clients', action: 'upsert', user: { email: 'a@example.com' } }, { 'Content-Type': 'text/plain' })).statusCode).toBe(415);
    expect((await post({ realmUid: 'clients', action: 'upsert', user: { email: 'a@example.com' }, profile: { firstName: 'x'.repeat(70_000) } })).statusCode).toBe(413);
    expect((await post({ realmUid: 'clients', action: 'upsert', user: { email: 'a@example.com' } }, { 'Idempotency-Key': 'short' })).statusCode).toBe(400);
  });
});

describe('worker', () => {
  beforeEach(async () => {
    await drain();
  });

  it('creates a missing user with its custom fields, then a replayed request changes nothing', async () => {
    const body = { realmUid: 'clients', action: 'upsert', user: { externalId: 'crm-42', email: 'bea@example.com' }, profile: { firstName: 'Bea' }, customFields: { segment: 'gold' } };
    const first = await post(body, { 'Idempotency-Key': 'crm-request-0001' });
    expect(first).toMatchObject({ statusCode: 202, body: expect.stringContaining('"requestId":"crm-client:crm-request-0001"') });
    const [record] = await receive(sqs, queueUrl);
    expect(await worker({ Records: [record] }, lambdaContext)).toEqual({ batchItemFailures: [] });
    expect(modyo.users).toEqual([expect.objectContaining({ email: 'bea@example.com', external_id: 'crm-42', first_name: 'Bea', custom_fields: { segment: 'gold' }, active: true })]);
    expect(creates()).toBe(1);

    // The same message delivered again (the Lambda died before SQS deleted it): the idempotency record answers.
    const requestsBefore = modyo.requests.length;
    expect(await worker({ Records: [{ ...record, messageId: 'second-delivery' }] }, lambdaContext)).toEqual({ batchItemFailures: [] });
    expect(modyo.requests.length).toBe(requestsBefore);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle }));

    // A new request with the same content finds the user and makes no call that changes it.
    await post(body);
    expect((await drain()).flatMap((response) => response.batchItemFailures)).toEqual([]);
    expect(creates()).toBe(1);
    expect(modyo.handled('PATCH')).toHaveLength(0);
  });

  it('updates custom fields and disables, then enables, in order', async () => {
    modyo.users.push({ id: 7, realm_uid: 'clients', email: 'cy@example.com', external_id: 'crm-7', custom_fields: { segment: 'silver', score: 1 }, active: true });
    await post({ realmUid: 'clients', action: 'disable', user: { modyoUserId: '7' }, customFields: { segment: 'gold' } });
    await post({ realmUid: 'clients', action: 'enable', user: { modyoUserId: '7' } });
    expect((await drain()).flatMap((response) => response.batchItemFailures)).toEqual([]);
    expect(modyo.users[0]).toMatchObject({ custom_fields: { segment: 'gold', score: 1 }, active: true });
    const calls = modyo.requests.filter((request) => request.method !== 'GET').map((request) => `${request.method} ${request.url}`);
    expect(calls).toEqual([
      'PATCH /api/admin/customers/clients/users/7',
      'POST /api/admin/customers/clients/users/7/deactivate',
      'POST /api/admin/customers/clients/users/7/activate',
    ]);
  });

  it('retries transient Modyo failures (500, 429, timeout, reset, 401 with a rotated token) within one invocation', async () => {
    // The search: a 401 (token re-read from Secrets Manager), then 500, 429 and a hang before it succeeds.
    modyo.inject({ outcome: { status: 401, body: { errors: ['token expired'] } } });
    modyo.inject({ outcome: { status: 500, body: { errors: ['boom'] } } });
    modyo.inject({ outcome: { status: 429, body: { errors: ['slow down'] }, headers: { 'retry-after': '0' } } });
    modyo.inject({ outcome: 'hang' });
    await post({ realmUid: 'clients', action: 'upsert', user: { email: 'dee@example.com' } });
    const secretReads = secretsManager.calls();
    const [record] = await receive(sqs, queueUrl);
    // The create: a connection reset, then success.
    modyo.requests.length = 0;
    modyo.inject({ match: (request) => request.method === 'POST', outcome: 'reset' });
    expect(await worker({ Records: [record] }, lambdaContext)).toEqual({ batchItemFailures: [] });
    expect(modyo.users).toEqual([expect.objectContaining({ email: 'dee@example.com' })]);
    expect(creates()).toBe(1);
    expect(secretsManager.calls()).toBe(secretReads + 1);
    expect(modyo.requests.map((request) => request.method)).toEqual(['GET', 'GET', 'GET', 'GET', 'GET', 'POST', 'POST']);
    await drain();
  });

  it('reports only the failed message of a batch; it succeeds on a later receive', async () => {
    modyo.users.push({ id: 9, realm_uid: 'clients', email: 'eve@example.com', custom_fields: {}, active: true });
    // Exhaust the four attempts of the first call that names user 9, once.
    modyo.inject({ match: (request) => request.url.includes('/users/9'), outcome: { status: 503, body: { errors: ['maintenance'] } }, times: 4 });
    await post({ realmUid: 'clients', action: 'disable', user: { modyoUserId: '9' } });
    await post({ realmUid: 'clients', action: 'upsert', user: { email: 'fay@example.com' } });
    const [first, ...later] = await drain();
    expect(first.batchItemFailures).toHaveLength(1);
    expect(later.flatMap((response) => response.batchItemFailures)).toEqual([]);
    expect(modyo.users.map((user) => [user.email, user.active])).toEqual([
      ['eve@example.com', false],
      ['fay@example.com', true],
    ]);
  });

  it('sends a permanent failure (409, unknown user, bad message) to the DLQ after maxReceiveCount, never dropping it', async () => {
    modyo.users.push({ id: 11, realm_uid: 'clients', email: 'taken@example.com', custom_fields: {}, active: true });
    modyo.users.push({ id: 12, realm_uid: 'clients', email: 'gil@example.com', custom_fields: {}, active: true });
    await post({ realmUid: 'clients', action: 'upsert', user: { modyoUserId: '12' }, profile: { email: 'taken@example.com' } });
    await post({ realmUid: 'clients', action: 'enable', user: { externalId: 'nobody' } });
    const responses = await drain();
    expect(responses.map((response) => response.batchItemFailures.length)).toEqual([2, 2]);
    const dead = await receive(sqs, dlqUrl);
    expect(dead.map((record) => JSON.parse(record.body).update.user)).toEqual([{ modyoUserId: '12' }, { externalId: 'nobody' }]);
    expect(modyo.users.find((user) => user.id === 12)?.email).toBe('gil@example.com');

    const garbage = { ...dead[0], messageId: 'garbage', body: '{"schemaVersion":2}' };
    expect(await worker({ Records: [garbage] }, lambdaContext)).toEqual({ batchItemFailures: [{ itemIdentifier: 'garbage' }] });
  });

  it("keeps another client's request with the same Idempotency-Key apart: both are applied", async () => {
    const first = await postAs('crm-client', { realmUid: 'clients', action: 'upsert', user: { email: 'ida@example.com' } }, { 'Idempotency-Key': 'shared-key-0001' });
    const second = await postAs('cdp-client', { realmUid: 'clients', action: 'upsert', user: { email: 'jon@example.com' } }, { 'Idempotency-Key': 'shared-key-0001' });
    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    expect(JSON.parse(first.body).requestId).not.toBe(JSON.parse(second.body).requestId);
    expect((await drain()).flatMap((response) => response.batchItemFailures)).toEqual([]);
    expect(modyo.users.map((user) => user.email)).toEqual(['ida@example.com', 'jon@example.com']);
  });

  it('does not silently drop a reused Idempotency-Key with another update: it is refused and reaches the DLQ', async () => {
    modyo.users.push({ id: 21, realm_uid: 'clients', email: 'kim@example.com', first_name: 'Kim', custom_fields: {}, active: true });
    const headers = { 'Idempotency-Key': 'reused-key-0001' };
    await post({ realmUid: 'clients', action: 'upsert', user: { modyoUserId: '21' }, profile: { firstName: 'Kimberly' } }, headers);
    // The same request again (a true retry) is deduplicated; the same key with another update is not.
    await post({ realmUid: 'clients', action: 'upsert', user: { modyoUserId: '21' }, profile: { firstName: 'Kimberly' } }, headers);
    await post({ realmUid: 'clients', action: 'disable', user: { modyoUserId: '21' } }, headers);
    const responses = await drain();
    expect(responses.map((response) => response.batchItemFailures.length)).toEqual([1, 1]);
    expect(modyo.users[0]).toMatchObject({ first_name: 'Kimberly', active: true });
    const dead = await receive(sqs, dlqUrl);
    expect(dead.map((record) => JSON.parse(record.body).update)).toEqual([{ realmUid: 'clients', action: 'disable', user: { modyoUserId: '21' } }]);
    await Promise.all(dead.map((record) => sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: record.receiptHandle }))));
  });
});

describe('inbound API, queue down', () => {
  it('answers 503 queue_unavailable with a retry hint, not 500', async () => {
    let down: ApiHandler | undefined;
    const previous = process.env.PROFILE_UPDATES_QUEUE_URL;
    process.env.PROFILE_UPDATES_QUEUE_URL = `${queueUrl.replace(/[^/]+$/, '')}missing-queue.fifo`;
    jest.isolateModules(() => {
      down = require('./inbound/index').handler;
    });
    process.env.PROFILE_UPDATES_QUEUE_URL = previous;
    const response = await (down as ApiHandler)({
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'retry-me-0001' },
      body: JSON.stringify({ realmUid: 'clients', action: 'upsert', user: { email: 'lea@example.com' } }),
      isBase64Encoded: false,
      requestContext: { authorizer: { claims: { client_id: 'crm-client' } } },
    } as unknown as APIGatewayProxyEvent);
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'retry-after': expect.stringMatching(/^\d+$/) });
    expect(JSON.parse(response.body).error).toMatchObject({ code: 'queue_unavailable', message: expect.stringContaining('Idempotency-Key') });
  });
});

describe('worker, malformed messages', () => {
  const { brokenEnvelopes, NOT_AN_OBJECT_BODIES, sqsRecord } = require('../../test/support/sqs-records') as typeof import('../../test/support/sqs-records');
  const queue = 'profile-updates.fifo';
  const message = (requestId: string, update: Record<string, unknown> = { realmUid: 'clients', action: 'upsert', user: { email: `${requestId}@example.com` } }) => ({
    schemaVersion: 1,
    requestId,
    receivedAt: '2025-05-01T10:00:00Z',
    clientId: 'crm-client',
    update,
  });
  const without = (field: string) => {
    const body: Record<string, unknown> = message(`no-${field}`);
    delete body[field];
    return JSON.stringify(body);
  };
  /** Every way a queued profile update can be wrong, by the QueuedProfileUpdate contract (a strict schema). */
  const malformed: Record<string, string> = {
    ...NOT_AN_OBJECT_BODIES,
    ...Object.fromEntries(['schemaVersion', 'requestId', 'receivedAt', 'update'].map((field) => [`no ${field}`, without(field)])),
    'schemaVersion 2': JSON.stringify({ ...message('v2'), schemaVersion: 2 }),
    'unknown field': JSON.stringify({ ...message('extra'), priority: 'high' }),
    'update not an object': JSON.stringify({ ...message('scalar'), update: 'upsert' }),
    'unknown action': JSON.stringify(message('merge', { realmUid: 'clients', action: 'merge', user: { email: 'a@example.com' } })),
    'no identity': JSON.stringify(message('nobody', { realmUid: 'clients', action: 'upsert', user: {} })),
    'realm uid unusable in a path': JSON.stringify(message('path', { realmUid: '../admin', action: 'upsert', user: { email: 'a@example.com' } })),
  };

  it('fails exactly the malformed records of a batch and applies the good ones', async () => {
    const ids = Object.keys(malformed).map((_name, index) => `bad-${index}`);
    const records = [
      ...brokenEnvelopes('envelope', JSON.stringify(message('envelope-0001')), { queue }),
      sqsRecord('good-1', JSON.stringify(message('good-0001')), { queue }),
      ...Object.values(malformed).map((body, index) => sqsRecord(ids[index], body, { queue })),
      sqsRecord('good-2', JSON.stringify(message('good-0002')), { queue }),
    ];
    const response = await worker({ Records: records }, lambdaContext);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['envelope-no-attributes', 'envelope-no-arn', 'envelope-body-not-string', ...ids]);
    expect(modyo.users.map((user) => user.email)).toEqual(['good-0001@example.com', 'good-0002@example.com']);
  });
});
