/**
 * The notifications API and worker through their entry points, against dynalite, local-aws-sqs (queue + DLQ),
 * the local Secrets Manager endpoint (Modyo token) and a local Modyo messaging server. The SQS event source
 * mapping is played by `drain`: receive, invoke the worker, delete what succeeded, let failures come back.
 */
import { awsCallLimitsFromEnv } from '../shared/outbound-limits';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type LocalServer, type RecordedRequest, startDynamoDb, startHttpServer, startSecretsManager, startSqs, useLocalEndpoints } from '../../test/support/local-aws';
import { heldMessages, receiveHeld } from '../../test/support/sqs-receive';

const TABLE = 'notifications-test';
const TOKEN = 'modyo-admin-token-for-tests';
const MESSAGING_ROUTE = '/api/admin/customers/{realm_uid}/messaging/deliveries';
const MAX_RECEIVE_COUNT = 3;

type Outcome = { status: number; body?: unknown } | 'hang';

/** The local Modyo messaging route: bearer token, `{"errors": [...]}` on failure, scripted outcomes first. */
async function startModyoMessaging() {
  const script: Outcome[] = [];
  let nextId = 5000;
  const server = await startHttpServer((request: RecordedRequest) => {
    if (request.headers.authorization !== `Bearer ${TOKEN}`) return { status: 401, body: { errors: ['Invalid token'] } };
    const scripted = script.shift();
    if (scripted) return scripted;
    const body = JSON.parse(request.body) as { user_id?: string };
    if (body.user_id === '404404') return { status: 404, body: { errors: ['User not found'] } };
    return { status: 201, body: { delivery: { id: nextId++, state: 'sent' } } };
  });
  const sends = () => server.requests.filter((request) => request.method === 'POST');
  return { ...server, script, sends };
}

/** A DynamoDB write to fail, answered 500 InternalServerError (which the SDK itself retries) `times` times. */
interface DynamoFault {
  readonly match: (target: string, body: Record<string, any>) => boolean;
  times: number;
}

/** Forwards to dynalite, except for requests matching an armed fault. */
async function startDynamoFaultProxy(upstream: string) {
  const faults: DynamoFault[] = [];
  const server = await startHttpServer(async (request) => {
    const target = String(request.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
    const fault = faults.find((candidate) => candidate.times > 0 && candidate.match(target, JSON.parse(request.body || '{}')));
    if (fault) {
      fault.times -= 1;
      return { status: 500, body: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Injected fault' }, headers: { 'content-type': 'application/x-amz-json-1.0' } };
    }
    const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !['host', 'content-length', 'connection'].includes(name))) as Record<string, string>;
    const response = await fetch(upstream + request.url, { method: request.method, headers, body: request.body });
    const forwarded: Record<string, string> = { 'content-type': response.headers.get('content-type') ?? 'application/x-amz-json-1.0' };
    const crc = response.headers.get('x-amz-crc32');
    if (crc) forwarded['x-amz-crc32'] = crc;
    return { status: response.status, body: await response.text(), headers: forwarded };
  });
  return { ...server, faults };
}

/** The worker's `sent` write (store.recordSent). */
const isSentWrite = (target: string, body: Record<string, any>) => target === 'UpdateItem' && String(body.UpdateExpression).includes('#status = :sent');
/** The SDK's tries of one DynamoDB call of the handler (read in beforeAll): this many 500s make one store call fail. */
let SDK_TRIES: number;

let dynamo: LocalServer;
let dynamoProxy: Awaited<ReturnType<typeof startDynamoFaultProxy>>;
let sqsServer: LocalServer;
let secretsServer: LocalServer;
let modyo: Awaited<ReturnType<typeof startModyoMessaging>>;
let sqs: SQSClient;
let queueUrl: string;
let dlqUrl: string;
let api: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
let worker: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

beforeAll(async () => {
  [dynamo, sqsServer, secretsServer, modyo] = await Promise.all([
    startDynamoDb(),
    startSqs(),
    startSecretsManager({ 'connect/modyo-admin-token': JSON.stringify({ token: TOKEN }) }),
    startModyoMessaging(),
  ]);
  dynamoProxy = await startDynamoFaultProxy(dynamo.endpoint);
  useLocalEndpoints({ DYNAMODB: dynamoProxy.endpoint, SQS: sqsServer.endpoint, SECRETS_MANAGER: secretsServer.endpoint });

  const db = new DynamoDBClient({});
  await db.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  // The handler's clients make the attempts of the shared AWS call limits (lambda/shared/aws-clients.ts).
  SDK_TRIES = awsCallLimitsFromEnv().maxAttempts;
  db.destroy();

  sqs = new SQSClient({});
  dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'notifications-dlq' }))).QueueUrl!;
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  queueUrl = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: 'notifications',
        Attributes: { RedrivePolicy: JSON.stringify({ maxReceiveCount: MAX_RECEIVE_COUNT, deadLetterTargetArn: dlqArn }) },
      }),
    )
  ).QueueUrl!;

  Object.assign(process.env, {
    NOTIFICATIONS_TABLE_NAME: TABLE,
    DELIVERY_QUEUE_URL: queueUrl,
    MODYO_BASE_URL: modyo.endpoint,
    MODYO_TOKEN_SECRET_ID: 'connect/modyo-admin-token',
    MODYO_ADMIN_ROUTES: JSON.stringify({ messagingDeliveries: MESSAGING_ROUTE }),
    // The worker's outbound limits as the stack sets them, with a short timeout.
    HTTP_TIMEOUT_MS: '300',
    HTTP_MAX_ATTEMPTS: '1',
    DELIVERY_LEASE_SECONDS: '60',
  });
  api = require('./api/index').handler;
  worker = require('./worker/index').handler;
});

afterAll(async () => {
  sqs?.destroy();
  await Promise.all([dynamoProxy?.stop(), dynamo?.stop(), sqsServer?.stop(), secretsServer?.stop(), modyo?.stop()]);
});

afterEach(() => {
  modyo.script.length = 0;
  modyo.requests.length = 0;
  dynamoProxy.faults.length = 0;
});

function post(body: unknown, options: { clientId?: string; key?: string; contentType?: string; raw?: string } = {}): Promise<APIGatewayProxyResult> {
  return api({
    httpMethod: 'POST',
    resource: '/notifications',
    path: '/notifications',
    headers: { 'Content-Type': options.contentType ?? 'application/json', ...(options.key && { 'Idempotency-Key': options.key }) },
    body: options.raw ?? JSON.stringify(body),
    isBase64Encoded: false,
    pathParameters: null,
    requestContext: { authorizer: { claims: { client_id: options.clientId ?? 'crm-client', scope: 'connect/notifications.write' } } },
  } as unknown as APIGatewayProxyEvent);
}

/** A GET with the claims API Gateway passes: a client-credentials token's (sub = client_id, no username) by default. */
function get(id: string, caller: string | Record<string, string> = 'crm-client'): Promise<APIGatewayProxyResult> {
  const claims = typeof caller === 'string' ? { sub: caller, client_id: caller, token_use: 'access', scope: 'connect/notifications.read' } : caller;
  return api({
    httpMethod: 'GET',
    resource: '/notifications/{id}',
    path: `/notifications/${id}`,
    headers: {},
    body: null,
    isBase64Encoded: false,
    pathParameters: { id },
    requestContext: { authorizer: { claims } },
  } as unknown as APIGatewayProxyEvent);
}

/** The claims of a realm user's access token (realm client, hosted sign-in; Modyo claims from pre token generation). */
function realmUser(modyoUserId: string, realm = 'clients', extra: Record<string, string> = {}): Record<string, string> {
  return {
    sub: `5a0a5bd6-5b2e-4a5d-9d7e-${modyoUserId.padStart(12, '0')}`,
    client_id: 'realm-clients-app-client',
    username: `modyo-${modyoUserId}`,
    token_use: 'access',
    scope: 'openid email connect/notifications.read',
    modyo_realm: realm,
    modyo_user_id: modyoUserId,
    ...extra,
  };
}

/**
 * Plays the event source mapping until the queue is empty: failed messages come back at once (visibility 0), so
 * after MAX_RECEIVE_COUNT receives SQS moves them to the DLQ. The emulator would hand a visibility-0 message out
 * again within the same receive, so each receive asks for exactly the messages the queue holds. (It also moves a
 * message on its last receive as soon as that visibility ends, so a scenario must not succeed on the last try.)
 */
async function drain(maxRounds = 10): Promise<{ rounds: number; failures: number }> {
  let rounds = 0;
  let failures = 0;
  for (; rounds < maxRounds; rounds += 1) {
    // Delayed ones counted too (sqs-receive.ts says why).
    const held = await heldMessages(sqs, queueUrl);
    if (held === 0) break;
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: Math.min(held, 10), WaitTimeSeconds: 0, VisibilityTimeout: 0 }),
    );
    const event = {
      Records: Messages.map((message) => ({
        messageId: message.MessageId!,
        receiptHandle: message.ReceiptHandle!,
        body: message.Body!,
        attributes: { ApproximateReceiveCount: '1' },
        messageAttributes: {},
        md5OfBody: message.MD5OfBody!,
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:notifications',
        awsRegion: 'us-east-1',
      })),
    } as unknown as SQSEvent;
    const { batchItemFailures } = await worker(event, {} as Context);
    failures += batchItemFailures.length;
    const failed = new Set(batchItemFailures.map((failure) => failure.itemIdentifier));
    const done = Messages.filter((message) => !failed.has(message.MessageId!));
    if (done.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })) }));
    }
  }
  return { rounds, failures };
}

function receiveAll(url: string) {
  return receiveHeld(sqs, { QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 30 });
}

const emailRequest = (recipients: string[] = ['101', '102']) => ({
  realmUid: 'clients',
  channel: 'email',
  template: { id: 'welcome', variables: { plan: 'gold', amount: 12 } },
  recipients,
});

async function view(id: string) {
  const response = await get(id);
  expect(response.statusCode).toBe(200);
  return JSON.parse(response.body) as { status: string; deliveries: Array<Record<string, any>> };
}

test('an accepted request is recorded queued, queued on SQS, then sent through Modyo', async () => {
  const response = await post(emailRequest());
  expect(response.statusCode).toBe(202);
  const accepted = JSON.parse(response.body);
  expect(accepted.deliveries.map((delivery: { recipientId: string }) => delivery.recipientId)).toEqual(['101', '102']);
  expect(response.headers?.location).toBe(`/notifications/${accepted.notificationId}`);

  const before = await view(accepted.notificationId);
  expect(before.status).toBe('accepted');
  expect(before.deliveries.map((delivery) => [delivery.deliveryId, delivery.status, delivery.attempts])).toEqual(
    accepted.deliveries.map((delivery: { deliveryId: string }) => [delivery.deliveryId, 'queued', 0]),
  );

  expect(await drain()).toEqual({ rounds: 1, failures: 0 });
  const sends = modyo.sends();
  expect(sends).toHaveLength(2);
  expect(sends[0].url).toBe('/api/admin/customers/clients/messaging/deliveries');
  const bodies = sends.map((send) => JSON.parse(send.body)).sort((a, b) => a.user_id.localeCompare(b.user_id));
  expect(bodies[0]).toEqual({
    realm_uid: 'clients',
    channel: 'email',
    user_id: '101',
    external_id: accepted.deliveries[0].deliveryId,
    template_id: 'welcome',
    variables: { plan: 'gold', amount: 12 },
  });

  const after = await view(accepted.notificationId);
  for (const delivery of after.deliveries) {
    expect(delivery).toMatchObject({ status: 'sent', attempts: 1 });
    expect(delivery.modyoMessageId).toMatch(/^\d+$/);
    expect(Date.parse(delivery.sentAt)).not.toBeNaN();
  }
});

test('bad input gets 415, 413 and 400 naming the fields, and nothing is queued', async () => {
  expect((await post(emailRequest(), { contentType: 'text/plain' })).statusCode).toBe(415);
  const huge = { ...emailRequest(), template: { id: 'welcome', variables: { blob: 'x'.repeat(70 * 1024) } } };
  expect((await post(huge)).statusCode).toBe(413);
  const malformed = await post(undefined, { raw: '{"realmUid":' });
  expect(malformed.statusCode).toBe(400);
  expect(JSON.parse(malformed.body).error.code).toBe('malformed_json');

  const invalid = await post({ realmUid: 'clients', channel: 'email', content: { body: 'Hi' }, recipients: ['101'] });
  expect(invalid.statusCode).toBe(400);
  expect(JSON.parse(invalid.body).error).toMatchObject({ code: 'validation_failed', details: [{ field: 'content.subject' }] });

  const longSms = await post({ realmUid: 'clients', channel: 'sms', content: { body: 'x'.repeat(1601) }, recipients: ['101'] });
  expect(JSON.parse(longSms.body).error.details).toEqual([{ field: 'content.body', message: 'sms body is at most 1600 characters' }]);

  const tooMany = await post(emailRequest(Array.from({ length: 101 }, (_, index) => String(index + 1))));
  expect(JSON.parse(tooMany.body).error.details[0].field).toBe('recipients');

  const badKey = await post(emailRequest(), { key: 'has space' });
  expect(badKey.statusCode).toBe(400);

  expect(await receiveAll(queueUrl)).toHaveLength(0);
});

test('the same Idempotency-Key and body answer the same without queueing again; another body is refused', async () => {
  const first = await post(emailRequest(['201']), { key: 'order-42-welcome' });
  expect(first.statusCode).toBe(202);
  const replay = await post(emailRequest(['201']), { key: 'order-42-welcome' });
  expect(replay.statusCode).toBe(202);
  expect(replay.body).toBe(first.body);
  expect(replay.headers?.['idempotent-replayed']).toBe('true');

  const reused = await post(emailRequest(['202']), { key: 'order-42-welcome' });
  expect(reused.statusCode).toBe(422);
  expect(JSON.parse(reused.body).error.code).toBe('idempotency_key_reused');

  // Keys belong to their client: another client's same key is another notification.
  const otherClient = await post(emailRequest(['201']), { key: 'order-42-welcome', clientId: 'back-office' });
  expect(JSON.parse(otherClient.body).notificationId).not.toBe(JSON.parse(first.body).notificationId);

  expect(await drain()).toEqual({ rounds: 1, failures: 0 });
  expect(modyo.sends()).toHaveLength(2);

  // A replay after delivery still answers the same and sends nothing.
  expect((await post(emailRequest(['201']), { key: 'order-42-welcome' })).body).toBe(first.body);
  expect(await receiveAll(queueUrl)).toHaveLength(0);
});

test('a 429 is retried through SQS and the delivery is sent on the next try', async () => {
  modyo.script.push({ status: 429, body: { errors: ['Too many requests'] } });
  const accepted = JSON.parse((await post(emailRequest(['301']))).body);
  expect(await drain()).toEqual({ rounds: 2, failures: 1 });
  const [delivery] = (await view(accepted.notificationId)).deliveries;
  expect(delivery).toMatchObject({ status: 'sent', attempts: 2 });
  expect(delivery.error).toBeUndefined();
  expect(modyo.sends()).toHaveLength(2);
});

test('a timeout is retryable too', async () => {
  modyo.script.push('hang');
  const accepted = JSON.parse((await post(emailRequest(['302']))).body);
  expect(await drain()).toEqual({ rounds: 2, failures: 1 });
  expect((await view(accepted.notificationId)).deliveries[0]).toMatchObject({ status: 'sent', attempts: 2 });
});

test('a delivery that keeps failing with 500 ends in the DLQ, recorded retrying with its last error', async () => {
  modyo.script.push(...Array.from({ length: MAX_RECEIVE_COUNT }, () => ({ status: 500, body: { errors: ['Internal error'] } })));
  const accepted = JSON.parse((await post(emailRequest(['401']))).body);
  expect(await drain()).toEqual({ rounds: MAX_RECEIVE_COUNT, failures: MAX_RECEIVE_COUNT });

  const dead = await receiveAll(dlqUrl);
  expect(dead.map((message) => JSON.parse(message.Body!))).toEqual([
    { schemaVersion: 1, notificationId: accepted.notificationId, deliveryId: accepted.deliveries[0].deliveryId },
  ]);
  const [delivery] = (await view(accepted.notificationId)).deliveries;
  expect(delivery).toMatchObject({ status: 'retrying', attempts: MAX_RECEIVE_COUNT, error: { status: 500, reason: '500: Internal error' } });
  await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: dlqUrl, Entries: dead.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })) }));

  // An SRE's redrive (the message back on the source queue) delivers it once Modyo is well again.
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: dead[0].Body! }));
  expect(await drain()).toEqual({ rounds: 1, failures: 0 });
  expect((await view(accepted.notificationId)).deliveries[0]).toMatchObject({ status: 'sent', attempts: MAX_RECEIVE_COUNT + 1 });
});

test('a failed write of `sent` after Modyo accepted is retried, never sent again', async () => {
  dynamoProxy.faults.push({ match: isSentWrite, times: SDK_TRIES }); // one recordSent call fails
  const accepted = JSON.parse((await post(emailRequest(['351']))).body);
  expect(await drain()).toEqual({ rounds: 1, failures: 0 });
  expect(dynamoProxy.faults[0].times).toBe(0);
  expect(modyo.sends()).toHaveLength(1);
  const [delivery] = (await view(accepted.notificationId)).deliveries;
  expect(delivery).toMatchObject({ status: 'sent', attempts: 1 });
  expect(delivery.modyoMessageId).toMatch(/^\d+$/);
  expect(delivery.error).toBeUndefined();
});

test('when `sent` cannot be written at all the attempt fails keeping its lease; the redelivery records it without sending', async () => {
  dynamoProxy.faults.push({ match: isSentWrite, times: SDK_TRIES * 4 }); // every in-invocation try of recordSent
  const accepted = JSON.parse((await post(emailRequest(['352']))).body);
  const { notificationId, deliveries: [{ deliveryId }] } = accepted;
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 0, VisibilityTimeout: 0 }));
  expect(Messages).toHaveLength(1);
  const event = {
    Records: [{ messageId: Messages[0].MessageId!, receiptHandle: Messages[0].ReceiptHandle!, body: Messages[0].Body!, attributes: {}, messageAttributes: {}, eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:notifications' }],
  } as unknown as SQSEvent;

  expect(await worker(event, {} as Context)).toEqual({ batchItemFailures: [{ itemIdentifier: Messages[0].MessageId }] });
  expect(dynamoProxy.faults[0].times).toBe(0);
  expect(modyo.sends()).toHaveLength(1);
  // Not released to `retrying`: still held, so a duplicate in another container cannot claim and send it.
  const { NotificationStore } = require('./store') as typeof import('./store');
  const held = await new NotificationStore(TABLE).getDelivery(notificationId, deliveryId);
  expect(held).toMatchObject({ status: 'queued', attempts: 1 });
  expect(held!.leaseUntil).toBeGreaterThan(Date.now());
  expect(held!.lastError).toBeUndefined();

  // SQS delivers it again; this container remembers the accepted send and records it.
  expect(await drain()).toEqual({ rounds: 1, failures: 0 });
  expect(modyo.sends()).toHaveLength(1);
  const [delivery] = (await view(notificationId)).deliveries;
  expect(delivery).toMatchObject({ status: 'sent', attempts: 1 });
  expect(delivery.modyoMessageId).toMatch(/^\d+$/);
});

test('a 409 or an unknown user is a permanent failure: recorded failed with the reason, not retried', async () => {
  modyo.script.push({ status: 409, body: { errors: [{ field: 'user_id', messages: ['has no verified e-mail'] }] } });
  const accepted = JSON.parse((await post({ realmUid: 'clients', channel: 'sms', content: { body: 'Your code is 1234' }, recipients: ['501', '404404'] })).body);
  expect(await drain()).toEqual({ rounds: 1, failures: 0 });
  expect(modyo.sends()).toHaveLength(2);

  const deliveries = (await view(accepted.notificationId)).deliveries;
  const reasons = deliveries.map((delivery) => [delivery.status, delivery.attempts, delivery.error.status]).sort();
  expect(reasons).toEqual([
    ['failed', 1, 404],
    ['failed', 1, 409],
  ]);
  expect(deliveries.map((delivery) => delivery.error.reason).sort()).toEqual(['404: User not found', '409: user_id: has no verified e-mail']);
  expect(await receiveAll(dlqUrl)).toHaveLength(0);
});

test('a replayed message of a sent delivery does not send it again; an unreadable message fails', async () => {
  const accepted = JSON.parse((await post(emailRequest(['601']))).body);
  await drain();
  expect(modyo.sends()).toHaveLength(1);

  const message = { schemaVersion: 1, notificationId: accepted.notificationId, deliveryId: accepted.deliveries[0].deliveryId };
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }));
  expect(await drain()).toEqual({ rounds: 1, failures: 0 });
  expect(modyo.sends()).toHaveLength(1);
  expect((await view(accepted.notificationId)).deliveries[0]).toMatchObject({ status: 'sent', attempts: 1 });

  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"schemaVersion":1}' }));
  expect(await drain()).toEqual({ rounds: MAX_RECEIVE_COUNT, failures: MAX_RECEIVE_COUNT });
  expect(await receiveAll(dlqUrl)).toHaveLength(1);
});

test('an unexpected failure answers 500 and logs the error name only', async () => {
  const { logger } = require('../shared/logger') as typeof import('../shared/logger');
  const loggedErrors = jest.spyOn(logger, 'error');
  try {
    dynamoProxy.faults.push({ match: (target) => target === 'PutItem', times: SDK_TRIES });
    const response = await post(emailRequest(['751']));
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body).error.code).toBe('internal_error');
    expect(loggedErrors.mock.calls).toEqual([['Notification request failed', { reason: 'InternalServerError' }]]);
  } finally {
    loggedErrors.mockRestore();
  }
});

test('GET answers the owner only: another client and an unknown id get 404, no identity 401', async () => {
  const accepted = JSON.parse((await post(emailRequest(['701']), { clientId: 'crm-client' })).body);
  await drain();

  const own = await get(accepted.notificationId, 'crm-client');
  expect(own.statusCode).toBe(200);
  expect(JSON.parse(own.body)).toMatchObject({ notificationId: accepted.notificationId, realmUid: 'clients', channel: 'email', templateId: 'welcome' });
  expect(own.body).not.toContain('gold'); // the content stays in the table

  expect((await get(accepted.notificationId, 'someone-else')).statusCode).toBe(404);
  expect((await get('00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
  expect((await get('not-an-id')).statusCode).toBe(404);

  const anonymous = await api({ httpMethod: 'GET', resource: '/notifications/{id}', headers: {}, pathParameters: { id: accepted.notificationId }, requestContext: {} } as unknown as APIGatewayProxyEvent);
  expect(anonymous.statusCode).toBe(401);
});

test('a realm user reads the notifications addressed to them, with their own delivery only; never another user\'s', async () => {
  const accepted = JSON.parse((await post(emailRequest(['801', '802']), { clientId: 'crm-client' })).body);
  await drain();

  const mine = await get(accepted.notificationId, realmUser('801'));
  expect(mine.statusCode).toBe(200);
  const view = JSON.parse(mine.body);
  expect(view).toMatchObject({ notificationId: accepted.notificationId, realmUid: 'clients', channel: 'email', status: 'accepted' });
  // The other recipient's id and delivery state are that user's business, not this one's.
  expect(view.deliveries.map((delivery: { recipientId: string; status: string }) => [delivery.recipientId, delivery.status])).toEqual([['801', 'sent']]);
  // As a JSON value anywhere in the answer (a bare substring also matched random UUIDs such as "3802ff4d-...").
  expect(mine.body).not.toContain('"802"');
  expect((await get(accepted.notificationId, realmUser('802'))).statusCode).toBe(200);

  // Not a recipient, the same user id in another realm, a user without Modyo claims, a token without a user: 404.
  expect((await get(accepted.notificationId, realmUser('803'))).statusCode).toBe(404);
  expect((await get(accepted.notificationId, realmUser('801', 'empleados'))).statusCode).toBe(404);
  const { modyo_user_id: _id, modyo_realm: _realm, ...federated } = realmUser('801');
  expect((await get(accepted.notificationId, federated)).statusCode).toBe(404);
  // The realm client's own id is not the creator's: users of a client never read what the client "created".
  expect((await get(accepted.notificationId, realmUser('801', 'clients', { client_id: 'crm-client' }))).statusCode).toBe(200);
  expect((await get(accepted.notificationId, { ...realmUser('803'), client_id: 'crm-client' })).statusCode).toBe(404);
});

describe('accept and delivery edge cases, on the same table and queue', () => {
  // Loaded after beforeAll has set the environment, like the entry points.
  const load = () => ({
    ...(require('./api/handler') as typeof import('./api/handler')),
    ...(require('./store') as typeof import('./store')),
    ...(require('./queue') as typeof import('./queue')),
    ...(require('./core') as typeof import('./core')),
  });

  test('a queue failure answers 503; a retry with the same key finishes the accept without resending a sent delivery', async () => {
    const { notificationsApi, NotificationStore, DeliveryQueue } = load();
    const store = new NotificationStore(TABLE);
    const realQueue = new DeliveryQueue(queueUrl);
    let queueDown = true;
    const flakyApi = notificationsApi({
      store,
      queue: { send: (messages) => (queueDown ? Promise.reject(new Error('SQS unavailable')) : realQueue.send(messages)) },
      now: () => new Date(),
      newId: () => 'unused-with-a-key',
      retentionDays: 90,
    });
    const request = (recipients: string[]) =>
      flakyApi({
        httpMethod: 'POST',
        resource: '/notifications',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'campaign-7' },
        body: JSON.stringify({ realmUid: 'clients', channel: 'push', content: { subject: 'Hi', body: 'News' }, recipients }),
        requestContext: { authorizer: { claims: { client_id: 'crm-client' } } },
      } as unknown as APIGatewayProxyEvent);

    const { logger } = require('../shared/logger') as typeof import('../shared/logger');
    const loggedErrors = jest.spyOn(logger, 'error');
    const failed = await request(['801', '802']);
    const errorLogs = [...loggedErrors.mock.calls];
    loggedErrors.mockRestore();
    expect(failed.statusCode).toBe(503);
    expect(JSON.parse(failed.body).error).toEqual({ code: 'queue_unavailable', message: 'The notification could not be queued; retry with the same Idempotency-Key' });
    // The error's name only, never its message, stack or cause.
    expect(errorLogs).toEqual([['Could not queue the deliveries', { notificationId: expect.any(String), reason: 'Error' }]]);
    expect(await receiveAll(queueUrl)).toHaveLength(0);

    // The records exist, not yet accepted; suppose one message did reach SQS and was sent meanwhile.
    const { notificationIdFor, deliveryIdFor } = load();
    const notificationId = notificationIdFor('crm-client', 'campaign-7');
    expect((await view(notificationId)).status).toBe('accepting');
    const sentId = deliveryIdFor(notificationId, '801');
    await store.claimDelivery(notificationId, sentId, new Date(), 60_000);
    await store.recordSent(notificationId, sentId, new Date(), 'modyo-1');

    queueDown = false;
    const resumed = await request(['801', '802']);
    expect(resumed.statusCode).toBe(202);
    expect(JSON.parse(resumed.body).notificationId).toBe(notificationId);
    expect(await drain()).toEqual({ rounds: 1, failures: 0 });
    expect(modyo.sends().map((send) => JSON.parse(send.body).user_id)).toEqual(['802']);
    const after = await view(notificationId);
    expect(after.status).toBe('accepted');
    expect(after.deliveries.map((delivery) => [delivery.recipientId, delivery.status, delivery.attempts])).toEqual([
      ['801', 'sent', 1],
      ['802', 'sent', 1],
    ]);
  });

  test('a queue failure without an Idempotency-Key answers 503 saying a retry creates a new notification', async () => {
    const { notificationsApi, NotificationStore } = load();
    const keyless = notificationsApi({
      store: new NotificationStore(TABLE),
      queue: { send: () => Promise.reject(new Error('SQS unavailable')) },
      now: () => new Date(),
      newId: () => '22222222-3333-4444-8555-666666666666',
      retentionDays: 1,
    });
    const failed = await keyless({
      httpMethod: 'POST',
      resource: '/notifications',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ realmUid: 'clients', channel: 'push', content: { subject: 'Hi', body: 'News' }, recipients: ['851'] }),
      requestContext: { authorizer: { claims: { client_id: 'crm-client' } } },
    } as unknown as APIGatewayProxyEvent);
    expect(failed.statusCode).toBe(503);
    const { error } = JSON.parse(failed.body);
    expect(error.code).toBe('queue_unavailable');
    expect(error.message).toMatch(/Without an Idempotency-Key a retry creates a new notification/);
    expect(error.message).not.toMatch(/retry with the same Idempotency-Key/);
  });

  test('by default the worker POSTs once per attempt: a send with no answer is retried through SQS, not in the call', async () => {
    const saved = process.env.HTTP_MAX_ATTEMPTS;
    delete process.env.HTTP_MAX_ATTEMPTS;
    let defaultWorker!: typeof worker;
    try {
      jest.isolateModules(() => {
        defaultWorker = require('./worker/index').handler;
      });
    } finally {
      process.env.HTTP_MAX_ATTEMPTS = saved;
    }
    modyo.script.push('hang'); // Modyo may have taken it: another POST in the same call could send it twice
    const accepted = JSON.parse((await post(emailRequest(['861']))).body);
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 0, VisibilityTimeout: 0 }));
    const event = {
      Records: Messages.map((message) => ({ messageId: message.MessageId!, receiptHandle: message.ReceiptHandle!, body: message.Body!, attributes: {}, messageAttributes: {}, eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:notifications' })),
    } as unknown as SQSEvent;
    expect(await defaultWorker(event, {} as Context)).toEqual({ batchItemFailures: [{ itemIdentifier: Messages[0].MessageId }] });
    expect(modyo.sends()).toHaveLength(1);
    expect((await view(accepted.notificationId)).deliveries[0]).toMatchObject({ status: 'retrying', attempts: 1, error: { status: 0 } });

    expect(await drain()).toEqual({ rounds: 1, failures: 0 });
    expect(modyo.sends()).toHaveLength(2);
    expect((await view(accepted.notificationId)).deliveries[0]).toMatchObject({ status: 'sent', attempts: 2 });
  });

  test('a duplicate message while another attempt holds the delivery is retried later, not sent', async () => {
    const { NotificationStore, planNotification } = load();
    const store = new NotificationStore(TABLE);
    const plan = planNotification({
      request: { realmUid: 'clients', channel: 'in_app', content: { body: 'Hello' }, recipients: ['901'] },
      clientId: 'crm-client',
      now: new Date(),
      newId: () => '11111111-2222-4333-8444-555555555555',
      retentionDays: 1,
    });
    await store.createNotification(plan.notification);
    await store.createDeliveries(plan.deliveries);
    const [{ notificationId, deliveryId }] = plan.deliveries;
    await store.claimDelivery(notificationId, deliveryId, new Date(), 60_000);

    const event = {
      Records: [{ messageId: 'm-1', receiptHandle: 'r-1', body: JSON.stringify({ schemaVersion: 1, notificationId, deliveryId }), attributes: {}, messageAttributes: {}, eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:notifications' }],
    } as unknown as SQSEvent;
    expect(await worker(event, {} as Context)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    expect(modyo.sends()).toHaveLength(0);
    expect(await store.getDelivery(notificationId, deliveryId)).toMatchObject({ status: 'queued', attempts: 1 });
  });
});

describe('worker, malformed messages', () => {
  const { brokenEnvelopes, NOT_AN_OBJECT_BODIES, sqsRecord } = require('../../test/support/sqs-records') as typeof import('../../test/support/sqs-records');

  test('fails exactly the malformed records of a batch (bodies and envelopes) and delivers the good ones', async () => {
    const accepted = JSON.parse((await post(emailRequest(['701', '702']))).body);
    const [first, second] = accepted.deliveries.map((delivery: { deliveryId: string }) => ({ schemaVersion: 1, notificationId: accepted.notificationId, deliveryId: delivery.deliveryId }));
    const without = (field: string) => {
      const body: Record<string, unknown> = { ...first };
      delete body[field];
      return JSON.stringify(body);
    };
    /** Every way a delivery message can be wrong, by the DeliveryMessage contract (a strict schema). */
    const malformed: Record<string, string> = {
      ...NOT_AN_OBJECT_BODIES,
      ...Object.fromEntries(['schemaVersion', 'notificationId', 'deliveryId'].map((field) => [`no ${field}`, without(field)])),
      'schemaVersion 2': JSON.stringify({ ...first, schemaVersion: 2 }),
      'unknown field': JSON.stringify({ ...first, channel: 'sms' }),
      'empty ids': JSON.stringify({ ...first, notificationId: '', deliveryId: '' }),
      'no such delivery': JSON.stringify({ ...first, deliveryId: 'no-such-delivery' }),
    };
    const ids = Object.keys(malformed).map((_name, index) => `bad-${index}`);
    const records = [
      ...brokenEnvelopes('envelope', JSON.stringify(first)),
      sqsRecord('good-1', JSON.stringify(first)),
      ...Object.values(malformed).map((body, index) => sqsRecord(ids[index], body)),
      sqsRecord('good-2', JSON.stringify(second)),
    ];
    const response = await worker({ Records: records } as SQSEvent, {} as Context);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(['envelope-no-attributes', 'envelope-no-arn', 'envelope-body-not-string', ...ids].sort());
    expect(modyo.sends()).toHaveLength(2);
    expect((await view(accepted.notificationId)).deliveries.map((delivery) => delivery.status)).toEqual(['sent', 'sent']);
    await drain();
  });
});
