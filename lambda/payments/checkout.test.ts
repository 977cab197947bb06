/**
 * The whole payment path per gateway through the real entry points (checkout/index.ts, api/index.ts,
 * expiry/index.ts) against the local DynamoDB, SQS and Secrets Manager and the six provider doubles over real HTTP:
 * checkout → provider double → notification → verify → record → event (+ segmentation update) → my payments.
 * Then bad input on every new route (JSON error, right 4xx, nothing recorded), idempotent checkout, pagination and
 * the expiry job. Longer than 300 lines: one environment for all six gateways keeps the suite to one set of servers.
 */
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { startApiGatewayHttp } from '../../test/support/apigw-http';
import { type FakeKhipu, type FakeWebpay, startFakeKhipu, startFakeWebpay } from '../../test/support/fake-payment-providers';
import { startFakeModyo } from '../../test/support/fake-modyo';
import { drainQueue } from '../customer-sync/test-support';
import { createIdempotencyTable, LOCAL_REGION, type LocalServer, startDynamoDb, startSecretsManager, startSqs, useLocalEndpoints } from '../../test/support/local-aws';
import { type FakeBancard, startFakeBancard } from '../../test/support/payment-doubles/bancard';
import { type FakePayme, startFakePayme } from '../../test/support/payment-doubles/payme';
import { type FakePayu, startFakePayu } from '../../test/support/payment-doubles/payu';
import { type FakeTigoMoney, startFakeTigoMoney } from '../../test/support/payment-doubles/tigo-money';
import { createPaymentsTable, receiveAll } from '../../test/support/payment-doubles/harness';
import { QueuedProfileUpdate } from '../customer-sync/contract';
import type { PaymentEvent, PaymentRecord } from './contract';

const KHIPU = { receiverId: 4242, apiKey: 'khipu-api-key' };
const WEBPAY = { commerceCode: '597055555532', apiKeySecret: 'webpay-secret' };
const BANCARD = { publicKey: 'bancard-public-key-32-characters', privateKey: 'bancard-private-key-of-forty-characters!' };
const PAYU = { merchantId: '508029', apiKey: '4Vj8eK4rloUd272L48hsrarnUA', apiLogin: 'pRRXKOl8ikMmt9u', accounts: { COP: '512321', PEN: '512323' } };
const PAYME = { clientId: 'payme-client', clientSecret: 'payme-secret', merchantCode: 'b0deb6f3-e51a-48a7-9268-f1441d46f7bd', audience: 'https://api.preprod.alignet.io', apiVersion: '1709847567' };
const TIGO = { clientId: 'tigo-client', clientSecret: 'tigo-secret', masterMerchant: { account: '0981000111', pin: '4321', id: 'MM-PY-0001' }, country: 'PRY' };
const RESULT_URL = 'https://shop.example/pagos/resultado';
const SEGMENTATION = { ultimaCompraFecha: 'paidAt', ultimaCompraMonto: 'amount', ultimaCompraMedio: 'provider' };

/** A Modyo realm user's access token claims (pre token generation adds the modyo_* ones), another user's, a machine client's. */
const REALM_USER = { client_id: 'widgets', sub: 'sub-81', username: 'modyo-81', modyo_realm: 'clientes', modyo_user_id: '81' };
const OTHER_USER = { client_id: 'widgets', sub: 'sub-82', username: 'modyo-82', modyo_realm: 'clientes', modyo_user_id: '82' };
const MACHINE = { client_id: 'shop-backend', sub: 'shop-backend' };

let servers: LocalServer[];
let khipu: FakeKhipu;
let webpay: FakeWebpay;
let bancard: FakeBancard;
let payu: FakePayu;
let payme: FakePayme;
let tigo: FakeTigoMoney;
let dynamo: DynamoDBClient;
let sqs: SQSClient;
let eventsUrl: string;
let profileUpdatesUrl: string;
let gateway: string;
let checkoutHandler: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
let expiryHandler: (event: unknown, context: Context) => Promise<{ closed: number; needsPerson: number; failed: number }>;

const context = { getRemainingTimeInMillis: () => 60_000 } as Context;

beforeAll(async () => {
  const [db, queue, secrets] = await Promise.all([
    startDynamoDb(),
    startSqs(),
    startSecretsManager({
      'connect/khipu': JSON.stringify(KHIPU),
      'connect/webpay': JSON.stringify(WEBPAY),
      'connect/bancard': JSON.stringify(BANCARD),
      'connect/payu': JSON.stringify({ apiKey: PAYU.apiKey, apiLogin: PAYU.apiLogin }),
      'connect/payme': JSON.stringify({ clientId: PAYME.clientId, clientSecret: PAYME.clientSecret }),
      'connect/tigo-money': JSON.stringify({ clientId: TIGO.clientId, clientSecret: TIGO.clientSecret, masterMerchantPin: TIGO.masterMerchant.pin }),
      'connect/modyo-admin-token': 'modyo-admin-token',
    }),
  ]);
  [khipu, webpay, bancard, payu, payme, tigo] = await Promise.all([
    startFakeKhipu(KHIPU),
    startFakeWebpay(WEBPAY),
    startFakeBancard(BANCARD),
    startFakePayu(PAYU),
    startFakePayme(PAYME),
    startFakeTigoMoney(TIGO),
  ]);
  useLocalEndpoints({ DYNAMODB: db.endpoint, SQS: queue.endpoint, SECRETS_MANAGER: secrets.endpoint });
  dynamo = new DynamoDBClient({ region: LOCAL_REGION, endpoint: db.endpoint });
  sqs = new SQSClient({ region: LOCAL_REGION, endpoint: queue.endpoint });
  await createPaymentsTable(dynamo, 'payments');
  await createIdempotencyTable(db.endpoint, 'idempotency');
  eventsUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'payment-events' }))).QueueUrl!;
  profileUpdatesUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'profile-updates' }))).QueueUrl!;
  Object.assign(process.env, {
    PAYMENTS_TABLE_NAME: 'payments',
    PAYMENT_EVENTS_QUEUE_URL: eventsUrl,
    IDEMPOTENCY_TABLE_NAME: 'idempotency',
    PROFILE_UPDATES_QUEUE_URL: profileUpdatesUrl,
    PAYMENT_SEGMENTATION_FIELDS: JSON.stringify(SEGMENTATION),
    PAYMENT_RESULT_URL: RESULT_URL,
    KHIPU_SECRET_ID: 'connect/khipu',
    KHIPU_API_BASE_URL: khipu.baseUrl,
    WEBPAY_SECRET_ID: 'connect/webpay',
    WEBPAY_API_BASE_URL: webpay.baseUrl,
    WEBPAY_RESULT_URL_PAID: `${RESULT_URL}?outcome=paid`,
    WEBPAY_RESULT_URL_REJECTED: `${RESULT_URL}?outcome=rejected`,
    WEBPAY_RESULT_URL_ABORTED: `${RESULT_URL}?outcome=aborted`,
    BANCARD_SECRET_ID: 'connect/bancard',
    BANCARD_API_BASE_URL: bancard.baseUrl,
    BANCARD_CHECKOUT_SCRIPT_URL: 'https://vpos.infonet.com.py:8888/checkout/javascript/dist/bancard-checkout-4.0.0.js',
    BANCARD_CURRENCIES: 'PYG',
    PAYU_SECRET_ID: 'connect/payu',
    PAYU_API_BASE_URL: payu.apiBaseUrl,
    PAYU_CHECKOUT_URL: payu.checkoutUrl,
    PAYU_MERCHANT_ID: PAYU.merchantId,
    PAYU_ACCOUNTS: 'COP:512321,PEN:512323',
    PAYU_TEST: 'true',
    PAYME_SECRET_ID: 'connect/payme',
    PAYME_API_BASE_URL: payme.apiBaseUrl,
    PAYME_AUTH_BASE_URL: payme.authBaseUrl,
    PAYME_AUDIENCE: PAYME.audience,
    PAYME_API_VERSION: PAYME.apiVersion,
    PAYME_MERCHANT_CODE: PAYME.merchantCode,
    PAYME_PUBLIC_KEY_PEM: payme.publicKeyPem,
    PAYME_CURRENCIES: 'PEN,USD',
    PAYME_FLEX_SCRIPT_URL: 'https://flex.preprod.alignet.io/flex.js',
    TIGO_SECRET_ID: 'connect/tigo-money',
    TIGO_API_BASE_URL: tigo.baseUrl,
    TIGO_MASTER_MERCHANT_ACCOUNT: TIGO.masterMerchant.account,
    TIGO_MASTER_MERCHANT_ID: TIGO.masterMerchant.id,
    TIGO_COUNTRY: 'PRY',
    TIGO_COUNTRY_CALLING_CODE: '595',
    TIGO_CURRENCY: 'PYG',
    TIGO_RESULT_URL: RESULT_URL,
    EXPIRY_BATCH_LIMIT: '25',
    EXPIRY_DEFAULT_AFTER_SECONDS: '3600',
    HTTP_TIMEOUT_MS: '3000',
  });
  let apiHandler!: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
  jest.isolateModules(() => {
    checkoutHandler = require('./checkout/index').handler;
    apiHandler = require('./api/index').handler;
    expiryHandler = require('./expiry/index').handler;
  });
  // The providers' callbacks reach the notification entry point over HTTP, as through API Gateway.
  const api = await startApiGatewayHttp((event) => apiHandler({ ...event, resource: event.path }, context));
  gateway = api.endpoint;
  servers = [db, queue, secrets, khipu, webpay, bancard, payu, payme, tigo, api];
});

afterAll(async () => {
  dynamo?.destroy();
  sqs?.destroy();
  await Promise.all((servers ?? []).map((server) => server.stop()));
});

afterEach(async () => {
  await drain(eventsUrl);
  await drain(profileUpdatesUrl);
});

function drain<T = PaymentEvent>(queueUrl: string): Promise<T[]> {
  return receiveAll<T>(sqs, queueUrl);
}

async function readRecord(paymentId: string): Promise<PaymentRecord | undefined> {
  const { GetItemCommand } = await import('@aws-sdk/client-dynamodb');
  const { Item } = await dynamo.send(new GetItemCommand({ TableName: 'payments', Key: marshall({ paymentId }), ConsistentRead: true }));
  return Item ? (unmarshall(Item) as PaymentRecord) : undefined;
}

async function recordCount(): Promise<number> {
  return (await dynamo.send(new ScanCommand({ TableName: 'payments', Select: 'COUNT' }))).Count ?? 0;
}

/** A request as API Gateway hands it to the checkout function behind the Cognito authorizer. */
function request(method: string, resource: string, init: { claims?: Record<string, string>; body?: unknown; rawBody?: string; headers?: Record<string, string>; query?: Record<string, string>; id?: string } = {}): APIGatewayProxyEvent {
  const body = init.rawBody ?? (init.body === undefined ? null : JSON.stringify(init.body));
  return {
    httpMethod: method,
    resource,
    path: init.id ? resource.replace('{id}', init.id) : resource,
    headers: { ...(body !== null && { 'Content-Type': 'application/json' }), ...init.headers },
    multiValueHeaders: {},
    queryStringParameters: init.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: init.id ? { id: init.id } : null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: { domainName: 'abc123.execute-api.us-east-1.amazonaws.com', stage: 'v1', ...(init.claims && { authorizer: { claims: init.claims } }) },
  } as unknown as APIGatewayProxyEvent;
}

const call = (event: APIGatewayProxyEvent) => checkoutHandler(event, context);
const json = (response: APIGatewayProxyResult) => JSON.parse(response.body);
const checkout = (body: unknown, claims: Record<string, string> = REALM_USER, headers: Record<string, string> = {}) => call(request('POST', '/payments', { claims, body, headers }));

/** What each gateway's buyer does at the provider (played by its double) and how the provider tells us. */
const GATEWAYS = [
  {
    provider: 'khipu',
    body: { amount: 15000, currency: 'CLP', description: 'Plan anual' },
    next: 'redirect',
    async pay(record: PaymentRecord) {
      expect(khipu.created(record.providerPaymentId!)).toMatchObject({ transaction_id: record.paymentId, notify_url: `https://abc123.execute-api.us-east-1.amazonaws.com/v1/payments/khipu/notify` });
      khipu.setStatus(record.providerPaymentId!, 'done');
      const form = new URLSearchParams({ notification_token: khipu.notificationToken(record.providerPaymentId!), api_version: '1.3' });
      const answer = await fetch(`${gateway}/payments/khipu/notify`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
      expect(answer.status).toBe(200);
    },
  },
  {
    provider: 'webpay',
    body: { amount: 15000, currency: 'CLP', description: 'Plan anual' },
    next: 'form_post',
    async pay(record: PaymentRecord) {
      expect(webpay.created(record.providerPaymentId!)).toMatchObject({ buy_order: record.paymentId, return_url: 'https://abc123.execute-api.us-east-1.amazonaws.com/v1/payments/webpay/return' });
      const answer = await fetch(`${gateway}/payments/webpay/return?token_ws=${record.providerPaymentId}`, { redirect: 'manual' });
      expect(answer.status).toBe(302);
      expect(answer.headers.get('location')).toBe(`${RESULT_URL}?outcome=paid&paymentId=${record.paymentId}`);
    },
  },
  {
    provider: 'bancard',
    body: { amount: 10000, currency: 'PYG', description: 'Plan anual' },
    next: 'embedded',
    async pay(record: PaymentRecord) {
      bancard.pay(record.paymentId, { approve: true });
      const answer = await bancard.pushConfirmation(`${gateway}/payments/bancard/confirm`, record.paymentId);
      expect(answer).toMatchObject({ status: 200, body: { status: 'success' } });
    },
  },
  {
    provider: 'payu',
    body: { amount: 50000, currency: 'COP', description: 'Plan anual', buyer: { email: 'buyer@example.com' } },
    next: 'form_post',
    async pay(record: PaymentRecord, next: { url: string; fields?: Record<string, string> }) {
      // The buyer's browser posts the signed WebCheckout form (the double checks the signature), then pays.
      const form = await fetch(next.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(next.fields).toString() });
      expect(form.status).toBe(200);
      const transactionId = payu.attempt(record.paymentId, 'APPROVED');
      const answer = await payu.pushConfirmation(`${gateway}/payments/payu/confirm`, payu.confirmation(transactionId));
      expect(answer.status).toBe(200);
    },
  },
  {
    provider: 'payme',
    body: { amount: 150.5, currency: 'PEN', description: 'Plan anual', buyer: { email: 'buyer@example.com' } },
    next: 'embedded',
    async pay(record: PaymentRecord) {
      payme.setState(record.providerPaymentId!, 'AUTORIZADO', '123456');
      const answer = await payme.notify(record.providerPaymentId!, { url: `${gateway}/payments/payme/notify` });
      expect(answer.status).toBe(200);
    },
  },
  {
    provider: 'tigo-money',
    body: { amount: 10000, currency: 'PYG', description: 'Plan anual', buyer: { phone: '981123456' } },
    next: 'redirect',
    async pay(record: PaymentRecord) {
      tigo.confirm(record.paymentId, 'success');
      const answer = await tigo.callback(record.paymentId, { url: `${gateway}/payments/tigo-money/notify` });
      expect(answer.status).toBe(200);
    },
  },
] as const;

describe.each(GATEWAYS)('$provider end to end', ({ provider, body, next, pay }) => {
  test('checkout → provider → notification → verified → recorded paid → event and segmentation update → my payments', async () => {
    const created = await checkout({ provider, ...body });
    expect(created.statusCode).toBe(201);
    const answer = json(created);
    expect(answer).toMatchObject({ provider, status: 'created', amount: body.amount, currency: body.currency, next: { kind: next } });
    expect(created.headers?.location).toBe(`/payments/${answer.paymentId}`);
    const record = (await readRecord(answer.paymentId))!;
    expect(record).toMatchObject({ status: 'created', owner: 'modyo:clientes:81', realmUid: 'clientes', modyoUserId: '81', outbox: 'open' });
    expect(record.providerPaymentId).toEqual(expect.any(String));

    await pay(record, answer.next);

    expect(await readRecord(answer.paymentId)).toMatchObject({ status: 'paid' });
    const events = await drain(eventsUrl);
    expect(events).toEqual([expect.objectContaining({ eventId: `${answer.paymentId}:paid`, type: 'payment.paid', provider, amount: body.amount, currency: body.currency })]);
    const updates = await drain<QueuedProfileUpdate>(profileUpdatesUrl);
    expect(updates).toEqual([
      expect.objectContaining({
        requestId: `payment:${answer.paymentId}:paid`,
        update: { realmUid: 'clientes', action: 'upsert', user: { modyoUserId: '81' }, customFields: { ultimaCompraFecha: expect.any(String), ultimaCompraMonto: body.amount, ultimaCompraMedio: provider } },
      }),
    ]);
    // What customer sync's worker accepts from its queue (it validates every message with this schema).
    expect(QueuedProfileUpdate.safeParse(updates[0]).success).toBe(true);
    const mine = json(await call(request('GET', '/payments', { claims: REALM_USER })));
    expect(mine.items[0]).toMatchObject({ paymentId: answer.paymentId, provider, status: 'paid', amount: body.amount });
    expect(mine.items[0].owner).toBeUndefined();
    expect(json(await call(request('GET', '/payments/{id}', { claims: REALM_USER, id: answer.paymentId })))).toMatchObject({ paymentId: answer.paymentId, status: 'paid' });
    // Nobody else sees it.
    expect((await call(request('GET', '/payments/{id}', { claims: OTHER_USER, id: answer.paymentId }))).statusCode).toBe(404);
  });
});

describe('POST /payments: bad input is a JSON 4xx and records nothing', () => {
  test.each([
    ['no token claims', { claims: undefined, body: { provider: 'khipu', amount: 1000, currency: 'CLP', description: 'x' } }, 401, 'unauthenticated'],
    ['a user token without the Modyo claims', { claims: { client_id: 'widgets', sub: 's', username: 'u' }, body: { provider: 'khipu', amount: 1000, currency: 'CLP', description: 'x' } }, 403, 'not_a_realm_user'],
    ['a body that is not JSON', { rawBody: '{"provider":' }, 400, 'malformed_json'],
    ['an unknown field', { body: { provider: 'khipu', amount: 1000, currency: 'CLP', description: 'x', tip: 5 } }, 400, 'validation_failed'],
    ['an unknown provider', { body: { provider: 'paypal', amount: 1000, currency: 'CLP', description: 'x' } }, 400, 'validation_failed'],
    ['a negative amount', { body: { provider: 'khipu', amount: -5, currency: 'CLP', description: 'x' } }, 400, 'validation_failed'],
    ['decimals in CLP', { body: { provider: 'webpay', amount: 1000.5, currency: 'CLP', description: 'x' } }, 400, 'validation_failed'],
    ['decimals in PYG', { body: { provider: 'bancard', amount: 10000.5, currency: 'PYG', description: 'x' } }, 400, 'validation_failed'],
    ['a Bancard description over 20 characters', { body: { provider: 'bancard', amount: 10000, currency: 'PYG', description: 'A description of 21 c' } }, 400, 'validation_failed'],
    ['a currency the provider does not charge', { body: { provider: 'payu', amount: 100, currency: 'USD', description: 'x', buyer: { email: 'a@example.com' } } }, 400, 'validation_failed'],
    ['Tigo Money without the wallet phone', { body: { provider: 'tigo-money', amount: 10000, currency: 'PYG', description: 'x' } }, 400, 'validation_failed'],
    ['three decimals in PEN', { body: { provider: 'payme', amount: 10.555, currency: 'PEN', description: 'x', buyer: { email: 'a@example.com' } } }, 400, 'validation_failed'],
    ['a malformed Idempotency-Key', { body: { provider: 'khipu', amount: 1000, currency: 'CLP', description: 'x' }, headers: { 'Idempotency-Key': 'bad key' } }, 400, 'invalid_idempotency_key'],
    ['a form body', { rawBody: 'provider=khipu', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }, 415, undefined],
  ] as const)('%s', async (_name, init, status, code) => {
    const before = await recordCount();
    const response = await call(request('POST', '/payments', { claims: REALM_USER, ...init } as never));
    expect(response.statusCode).toBe(status);
    expect(response.headers?.['content-type']).toMatch(/^application\/json/);
    if (code) expect(json(response).error.code).toBe(code);
    expect(await recordCount()).toBe(before);
  });

  test('the 400 of a provider rule names the field', async () => {
    const response = await checkout({ provider: 'bancard', amount: 10000.5, currency: 'PYG', description: 'A description of 21 c' });
    expect(json(response).error.details).toEqual([
      { field: 'amount', message: 'PYG amounts have no decimals' },
      { field: 'description', message: 'bancard takes at most 20 characters' },
    ]);
  });
});

describe('GET /payments and GET /payments/{id}: bad input', () => {
  test.each([
    ['a limit of 0', { query: { limit: '0' } }],
    ['a limit over the maximum', { query: { limit: '101' } }],
    ['a cursor that is not ours', { query: { cursor: 'not-a-cursor!' } }],
  ])('%s is a 400', async (_name, init) => {
    const response = await call(request('GET', '/payments', { claims: REALM_USER, ...init }));
    expect(response.statusCode).toBe(400);
    expect(json(response).error.code).toBe('validation_failed');
  });

  test('an unknown or malformed id is 404; no claims is 401', async () => {
    expect((await call(request('GET', '/payments/{id}', { claims: REALM_USER, id: 'nope' }))).statusCode).toBe(404);
    expect((await call(request('GET', '/payments/{id}', { claims: REALM_USER, id: '../x' }))).statusCode).toBe(404);
    expect((await call(request('GET', '/payments', {}))).statusCode).toBe(401);
  });
});

describe('idempotent checkout, owners and pages', () => {
  test('a retry with the same Idempotency-Key answers the first checkout and creates nothing more; another body under it is 422', async () => {
    const body = { provider: 'bancard', amount: 20000, currency: 'PYG', description: 'Retry' };
    const key = { 'Idempotency-Key': 'order-7781-attempt' };
    const first = json(await checkout(body, REALM_USER, key));
    const before = await recordCount();
    const second = await checkout(body, REALM_USER, key);
    expect(second.statusCode).toBe(201);
    expect(json(second)).toEqual(first);
    expect(await recordCount()).toBe(before);
    expect((await checkout({ ...body, amount: 30000 }, REALM_USER, key)).statusCode).toBe(422);
    // The same key of another caller is another checkout.
    expect(json(await checkout(body, OTHER_USER, key)).paymentId).not.toBe(first.paymentId);
  });

  test('a machine client sees what it created, newest first, page by page; a cursor of another owner is refused', async () => {
    const ids: string[] = [];
    for (const amount of [1000, 2000, 3000]) ids.push(json(await checkout({ provider: 'khipu', amount, currency: 'CLP', description: 'Machine' }, MACHINE)).paymentId);
    const first = json(await call(request('GET', '/payments', { claims: MACHINE, query: { limit: '2' } })));
    expect(first.items.map((item: { paymentId: string }) => item.paymentId)).toEqual([ids[2], ids[1]]);
    const second = json(await call(request('GET', '/payments', { claims: MACHINE, query: { limit: '2', cursor: first.nextCursor } })));
    expect(second.items.map((item: { paymentId: string }) => item.paymentId)).toEqual([ids[0]]);
    expect(second.nextCursor).toBeUndefined();
    expect((await call(request('GET', '/payments', { claims: REALM_USER, query: { cursor: first.nextCursor } }))).statusCode).toBe(400);
    expect((await call(request('GET', '/payments/{id}', { claims: REALM_USER, id: ids[0] }))).statusCode).toBe(404);
    // A machine client's paid payment names no realm user: no segmentation update.
    expect((await readRecord(ids[0]))?.realmUid).toBeUndefined();
  });

  test('a provider that fails the create answers 502 and leaves the record created for the expiry job', async () => {
    khipu.fail({ status: 503 });
    const response = await checkout({ provider: 'khipu', amount: 4000, currency: 'CLP', description: 'Down' });
    expect(response.statusCode).toBe(502);
    expect(json(response).error.code).toBe('provider_unavailable');
  });
});

describe('the expiry job', () => {
  /** Makes a payment look last changed `seconds` ago. */
  async function age(paymentId: string, seconds: number): Promise<void> {
    const at = new Date(Date.now() - seconds * 1000).toISOString();
    await dynamo.send(new UpdateItemCommand({ TableName: 'payments', Key: marshall({ paymentId }), UpdateExpression: 'SET updatedAt = :at', ExpressionAttributeValues: marshall({ ':at': at }) }));
  }

  test('closes what the providers never finished (Bancard rolled back after 10 minutes, Khipu past its window), records a late payment as paid, leaves the young ones', async () => {
    const unpaidBancard = json(await checkout({ provider: 'bancard', amount: 10000, currency: 'PYG', description: 'Abandoned' })).paymentId;
    const paidBancard = json(await checkout({ provider: 'bancard', amount: 12000, currency: 'PYG', description: 'Paid, no confirm' })).paymentId;
    const unpaidKhipu = json(await checkout({ provider: 'khipu', amount: 5000, currency: 'CLP', description: 'Abandoned' })).paymentId;
    const young = json(await checkout({ provider: 'bancard', amount: 11000, currency: 'PYG', description: 'Young' })).paymentId;
    bancard.pay(paidBancard, { approve: true }); // paid at Bancard, but its confirmation never reached us
    await age(unpaidBancard, 11 * 60);
    await age(paidBancard, 11 * 60);
    await age(unpaidKhipu, 2 * 3600);
    await drain(eventsUrl);

    const run = await expiryHandler({}, context);

    expect(run).toMatchObject({ failed: 0, needsPerson: 0 });
    expect(await readRecord(unpaidBancard)).toMatchObject({ status: 'expired', reason: expect.stringMatching(/^reversed:/) });
    expect(bancard.buy(unpaidBancard)).toBeDefined();
    expect(await readRecord(paidBancard)).toMatchObject({ status: 'paid' });
    expect(await readRecord(unpaidKhipu)).toMatchObject({ status: 'expired', reason: 'window_passed:pending' });
    expect(await readRecord(young)).toMatchObject({ status: 'created' });
    const events = await drain(eventsUrl);
    expect(events.map((event) => event.eventId).sort()).toEqual([`${paidBancard}:paid`, `${unpaidBancard}:expired`, `${unpaidKhipu}:expired`].sort());
    // A second run finds nothing more to close.
    expect(await expiryHandler({}, context)).toMatchObject({ closed: 0 });
  });
});

test('segmentation: customer sync\'s worker applies a paid payment\'s update to the realm user\'s custom fields in Modyo', async () => {
  const modyo = await startFakeModyo({ token: 'modyo-admin-token', realms: ['clientes'] });
  try {
    modyo.users.push({ id: 81, realm_uid: 'clientes', email: 'ana@example.com', custom_fields: { plan: 'basic' }, active: true });
    Object.assign(process.env, { MODYO_BASE_URL: modyo.endpoint, MODYO_TOKEN_SECRET_ID: 'connect/modyo-admin-token' });
    let worker!: Parameters<typeof drainQueue>[2];
    jest.isolateModules(() => {
      worker = require('../customer-sync/worker/index').handler;
    });
    const { paymentId } = json(await checkout({ provider: 'bancard', amount: 25000, currency: 'PYG', description: 'Plan premium' }));
    bancard.pay(paymentId, { approve: true });
    expect((await bancard.pushConfirmation(`${gateway}/payments/bancard/confirm`, paymentId)).status).toBe(200);
    const paid = (await readRecord(paymentId))!;

    const batches = await drainQueue(sqs, profileUpdatesUrl, worker);

    expect(batches.flatMap((batch) => batch.batchItemFailures)).toEqual([]);
    expect(modyo.users[0].custom_fields).toEqual({ plan: 'basic', ultimaCompraFecha: paid.updatedAt, ultimaCompraMonto: 25000, ultimaCompraMedio: 'bancard' });
    expect(modyo.handled('PATCH').length + modyo.handled('PUT').length).toBe(1);
  } finally {
    await modyo.stop();
  }
});
