/**
 * Every handler behind a Cognito-authorized route of the route table refuses, through its real entry point, a
 * request that carries no verified caller: 401 with a JSON error, and nothing queued or recorded. The requests come
 * through a local HTTP gateway with no authorizer at all, and as proxy events whose claims are missing or name
 * nobody, so the answer does not depend on the gateway in front of the function.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { HANDLER_ROUTES, isPrivate, type ApiHandlerKey } from '../../lib/api/routes';
import { type ProxyHandler, startApiGatewayHttp } from '../../test/support/apigw-http';
import { type LocalServer, startDynamoDb, startSqs, useLocalEndpoints } from '../../test/support/local-aws';
import { callerOf } from './caller';

let sqsServer: LocalServer;
let dynamo: LocalServer;
let sqs: SQSClient;
let db: DynamoDBClient;
const queues: Record<string, string> = {};
/** The entry point of each handler key that serves a private route. */
const entryPoints: Partial<Record<ApiHandlerKey, ProxyHandler>> = {};

beforeAll(async () => {
  [sqsServer, dynamo] = await Promise.all([startSqs(), startDynamoDb()]);
  useLocalEndpoints({ SQS: sqsServer.endpoint, DYNAMODB: dynamo.endpoint });
  sqs = new SQSClient({});
  db = new DynamoDBClient({});
  for (const name of ['profile-updates.fifo', 'deliveries']) {
    queues[name] = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: name.endsWith('.fifo') ? { FifoQueue: 'true' } : {} }))).QueueUrl as string;
  }
  await db.send(
    new CreateTableCommand({
      TableName: 'notifications',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  // Checkout's records and its Idempotency-Key results: nothing may be written to either for an unknown caller.
  for (const TableName of ['payments', 'idempotency']) {
    await db.send(
      new CreateTableCommand({
        TableName,
        AttributeDefinitions: [{ AttributeName: TableName === 'payments' ? 'paymentId' : 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: TableName === 'payments' ? 'paymentId' : 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  }
  Object.assign(process.env, {
    PROFILE_UPDATES_QUEUE_URL: queues['profile-updates.fifo'],
    NOTIFICATIONS_TABLE_NAME: 'notifications',
    DELIVERY_QUEUE_URL: queues.deliveries,
    PAYMENTS_TABLE_NAME: 'payments',
    IDEMPOTENCY_TABLE_NAME: 'idempotency',
    PAYMENT_RESULT_URL: 'https://shop.example.com/payments/result',
    // A provider is configured but never reached: the caller is refused before anything else.
    KHIPU_SECRET_ID: 'connect/test/khipu',
    KHIPU_API_BASE_URL: 'http://127.0.0.1:9/api/2.0',
  });
  jest.isolateModules(() => {
    entryPoints.customerSyncInbound = require('../customer-sync/inbound/index').handler;
    entryPoints.notificationsApi = require('../notifications/api/index').handler;
    entryPoints.paymentsCheckout = require('../payments/checkout/index').handler;
  });
});

afterAll(async () => {
  sqs.destroy();
  db.destroy();
  await Promise.all([sqsServer.stop(), dynamo.stop()]);
});

const privateRoutes = HANDLER_ROUTES.filter(isPrivate).map((route) => {
  if (route.target.kind !== 'handler') throw new Error(`${route.path} is not a handler route`);
  return { method: route.method, path: route.path, handler: route.target.handler };
});

/** A body the route would accept from a verified caller, so only the missing identity can explain a refusal. */
const bodies: Record<string, unknown> = {
  '/customer-sync/profile-updates': { realmUid: 'clients', action: 'upsert', user: { email: 'ana@example.com' } },
  '/notifications': { realmUid: 'clients', channel: 'email', recipients: ['1'], template: { id: 'welcome' } },
  '/payments': { provider: 'khipu', amount: 1000, currency: 'CLP', description: 'Order 1' },
};

function proxyEvent(method: string, path: string, requestContext: unknown): APIGatewayProxyEvent {
  const body = method === 'GET' ? undefined : bodies[path];
  return {
    httpMethod: method,
    resource: path,
    path: path.replace('{id}', '00000000-0000-4000-8000-000000000000'),
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'key-00000001' },
    pathParameters: path.includes('{id}') ? { id: '00000000-0000-4000-8000-000000000000' } : null,
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext,
  } as unknown as APIGatewayProxyEvent;
}

/** Request contexts in which no verified caller can be read. */
const noCaller: Record<string, unknown> = {
  'no requestContext': undefined,
  'no authorizer': {},
  'authorizer null (a route without the Cognito authorizer)': { authorizer: null },
  'authorizer without claims': { authorizer: { principalId: 'someone' } },
  'claims not an object': { authorizer: { claims: 'client_id=crm' } },
  'empty claims': { authorizer: { claims: {} } },
  'only a scope': { authorizer: { claims: { scope: 'connect/customers.write connect/notifications.send' } } },
  'empty client_id': { authorizer: { claims: { client_id: '', sub: '' } } },
  'client_id not a string': { authorizer: { claims: { client_id: 42 } } },
  'a sub that is not the client, and no user': { authorizer: { claims: { client_id: 'crm', sub: 'someone-else' } } },
  'a user without a sub': { authorizer: { claims: { client_id: 'realm-client', username: 'ana' } } },
};

async function expectRefused(response: APIGatewayProxyResult): Promise<void> {
  expect(response.statusCode).toBe(401);
  expect(response.headers?.['content-type']).toMatch(/^application\/json/);
  expect(JSON.parse(response.body)).toEqual({ error: { code: 'unauthenticated', message: expect.any(String) } });
}

/**
 * Counted rather than received: local-aws-sqs holds every ReceiveMessage at least 40 ms unless it fills
 * MaxNumberOfMessages (2 x 72 tests, ~6 s of this suite), and the counts also see messages in flight or delayed.
 */
const QUEUED = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const;

async function expectNothingStored(): Promise<void> {
  const [queued, counts] = await Promise.all([
    Promise.all(Object.values(queues).map((QueueUrl) => sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: [...QUEUED] })))),
    Promise.all(['notifications', 'payments', 'idempotency'].map((TableName) => db.send(new ScanCommand({ TableName })))),
  ]);
  for (const { Attributes } of queued) expect(QUEUED.map((name) => Attributes?.[name])).toEqual(['0', '0', '0']);
  for (const { Count } of counts) expect(Count).toBe(0);
}

test('the route table has private handler routes, and each has an entry point here', () => {
  expect(privateRoutes.map((route) => `${route.method} ${route.path}`)).toEqual(
    expect.arrayContaining(['POST /customer-sync/profile-updates', 'POST /notifications', 'GET /notifications/{id}', 'POST /payments', 'GET /payments', 'GET /payments/{id}']),
  );
  for (const route of privateRoutes) expect(entryPoints[route.handler]).toBeDefined();
});

describe.each(privateRoutes)('$method $path', ({ method, path, handler }) => {
  test.each(Object.entries(noCaller))('refuses with 401 JSON when %s', async (_name, requestContext) => {
    await expectRefused(await (entryPoints[handler] as ProxyHandler)(proxyEvent(method, path, requestContext)));
    await expectNothingStored();
  });

  test('refuses with 401 JSON through an HTTP gateway that has no authorizer', async () => {
    const gateway = await startApiGatewayHttp(entryPoints[handler] as ProxyHandler);
    try {
      const body = method === 'GET' ? undefined : bodies[path];
      const response = await fetch(`${gateway.endpoint}${path.replace('{id}', '00000000-0000-4000-8000-000000000000')}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: 'Bearer not-verified-by-anyone' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      await expectRefused({ statusCode: response.status, headers: Object.fromEntries(response.headers), body: await response.text() });
      await expectNothingStored();
    } finally {
      await gateway.stop();
    }
  });
});

test('callerOf: a machine client and a user are read from the claims Cognito puts in their access tokens', () => {
  expect(callerOf({ client_id: 'crm', sub: 'crm', scope: 'connect/customers.write' })).toEqual({ kind: 'machine', clientId: 'crm' });
  expect(callerOf({ client_id: 'realm-client', sub: 'u-1', username: 'ana', modyo_realm: 'clients', modyo_user_id: '77' })).toEqual({
    kind: 'user',
    clientId: 'realm-client',
    userSub: 'u-1',
    modyo: { realmUid: 'clients', userId: '77' },
  });
});
