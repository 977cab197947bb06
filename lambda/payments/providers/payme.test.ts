/**
 * Pay-me (Alignet) adapter against the local Pay-me double (test/support/payment-doubles/payme.ts) and the
 * notification entry point on the local DynamoDB/SQS behind real HTTP: the double pushes its signed notifications
 * to our route. Longer than 300 lines: every case issue 13 lists, against one double.
 */
import { randomBytes } from 'node:crypto';
import { type FakePayme, startFakePayme } from '../../../test/support/payment-doubles/payme';
import { type PaymentHarness, startPaymentHarness } from '../../../test/support/payment-doubles/harness';
import type { PaymentRecord } from '../contract';
import { ProviderError, type PaymentProvider } from '../provider';
import { type PaymeCredentials, type PaymeOptions, operationNumber, paymeProvider, paymeVerdict } from './payme';

const ACCOUNT = { clientId: 'payme-client', clientSecret: 'payme-secret', merchantCode: 'b0deb6f3-e51a-48a7-9268-f1441d46f7bd', audience: 'https://api.preprod.alignet.io', apiVersion: '1709847567' };
const TIMEOUT_MS = 500;

let payme: FakePayme;
let harness: PaymentHarness;
let provider: PaymentProvider;
let secret: PaymeCredentials;
let rejections = 0;
let notifyUrl: string;

function options(overrides: Partial<PaymeOptions> = {}): PaymeOptions {
  return {
    baseUrl: payme.apiBaseUrl,
    authBaseUrl: payme.authBaseUrl,
    audience: ACCOUNT.audience,
    apiVersion: ACCOUNT.apiVersion,
    merchantCode: ACCOUNT.merchantCode,
    publicKeyPem: payme.publicKeyPem,
    currencies: ['PEN', 'USD', 'EUR'],
    flexScriptUrl: 'https://flex.preprod.alignet.io/flex.js',
    timeoutMs: TIMEOUT_MS,
    credentials: async () => secret,
    credentialsRejected: () => void (rejections += 1),
    ...overrides,
  };
}

beforeAll(async () => {
  payme = await startFakePayme(ACCOUNT);
  secret = { clientId: ACCOUNT.clientId, clientSecret: ACCOUNT.clientSecret };
  provider = paymeProvider(options());
  harness = await startPaymentHarness([provider]);
  notifyUrl = `${harness.endpoint}/payments/payme/notify`;
});

afterAll(async () => {
  await Promise.all([harness?.stop(), payme?.stop()]);
});

afterEach(async () => {
  await harness.drain();
});

/** Checkout as the checkout handler does it: our id, the charge at Alignet, the record with Alignet's transaction id. */
async function checkout(amount = 150.5, currency = 'PEN', recordOverrides: Partial<PaymentRecord> = {}) {
  const paymentId = provider.newPaymentId!(new Date(), randomBytes);
  const created = await provider.create!({ paymentId, amount, currency, description: 'Order', buyer: { email: 'buyer@example.com' }, returnUrl: 'https://shop.example/result', notifyUrl });
  await harness.seed({ paymentId, provider: 'payme', amount, currency, providerPaymentId: created.providerPaymentId, ...recordOverrides });
  return { paymentId, transactionId: created.providerPaymentId, created };
}

const json = (text: string) => JSON.parse(text);

describe('Pay-me checkout', () => {
  test('registers the charge in minor units with the numeric currency and our callback_url, and answers the Flex parameters', async () => {
    const { paymentId, transactionId, created } = await checkout(150.5, 'PEN');

    expect(paymentId).toMatch(/^[1-9]\d{11}$/);
    const charge = payme.requests.find((request) => request.method === 'POST' && request.url === '/api/charges' && request.body.includes(paymentId))!;
    expect(charge.headers['alg-api-version']).toBe(ACCOUNT.apiVersion);
    expect(JSON.parse(charge.body)).toMatchObject({
      action: 'authorize',
      merchant_code: ACCOUNT.merchantCode,
      merchant_operation_number: paymentId,
      payment_details: { amount: '15050', currency: '604' },
      payment_method: { method_details: { callback_url: notifyUrl } },
    });
    expect(created.next).toEqual({
      kind: 'embedded',
      scriptUrl: 'https://flex.preprod.alignet.io/flex.js',
      parameters: { nonce: expect.stringMatching(/^[0-9a-f]{32}$/), merchant_code: ACCOUNT.merchantCode, merchant_operation_number: paymentId, transaction_id: transactionId, amount: '15050', currency: '604' },
    });
    const token = JSON.parse(payme.requests.find((request) => request.url === '/auth/token')!.body);
    expect(token).toMatchObject({ grant_type: 'client_credentials', audience: ACCOUNT.audience, client_id: ACCOUNT.clientId, scope: expect.stringContaining('post:charges') });
    expect(payme.state(transactionId)).toBe('REGISTRADO');
  });

  test('checkout rules: two decimals, only the currencies Pay-me charges in, an e-mail; ids are digits without a leading zero', () => {
    expect(provider.checkoutRules).toMatchObject({ currencies: ['PEN', 'USD'], maxDescriptionLength: 255, requiredBuyerFields: ['email'] });
    expect(provider.checkoutRules!.decimals('PEN')).toBe(2);
    const zeros = () => new Uint8Array(24); // every digit 0: leading zeros are skipped until a non-zero byte comes
    let calls = 0;
    const id = operationNumber((bytes) => (calls++ === 0 ? zeros().subarray(0, bytes) : Uint8Array.from({ length: bytes }, (_, index) => index + 1)), 9);
    expect(id).toBe('123456789');
    for (let index = 0; index < 50; index += 1) expect(operationNumber(randomBytes, 12)).toMatch(/^[1-9]\d{11}$/);
  });

  test('a reused operation number is refused by Alignet and nothing is shown to the buyer', async () => {
    const { paymentId } = await checkout();
    await expect(provider.create!({ paymentId, amount: 10, currency: 'PEN', description: 'Again', buyer: { email: 'b@example.com' }, returnUrl: 'https://shop.example/r', notifyUrl })).rejects.toMatchObject({
      kind: 'bad_response',
    });
  });
});

describe('Pay-me notifications', () => {
  test('an authorised charge is recorded as paid once, with its authorisation code, and its event queued', async () => {
    const { paymentId, transactionId } = await checkout(99.9);
    payme.setState(transactionId, 'AUTORIZADO', '055552');

    const answer = await payme.notify(transactionId);

    expect(answer.status).toBe(200);
    expect(json(answer.body)).toEqual({ outcome: 'paid', paymentId, duplicate: false });
    expect(await harness.read(paymentId)).toMatchObject({ status: 'paid', reason: 'AUTORIZADO/00', authorizationCode: '055552' });
    expect(await harness.drain()).toEqual([expect.objectContaining({ type: 'payment.paid', paymentId, provider: 'payme', providerPaymentId: transactionId, amount: 99.9, currency: 'PEN' })]);
    const lookup = payme.requests.filter((request) => request.method === 'GET').at(-1)!;
    expect(lookup.url).toBe(`/api/charges/${ACCOUNT.merchantCode}/${paymentId}/${transactionId}`);
    expect(lookup.headers.authorization).toMatch(/^Bearer /);
  });

  test.each([
    ['DENEGADO', 'rejected', 'DENEGADO/05'],
    ['EXPIRADO', 'expired', 'EXPIRADO/-'],
    ['CANCELADO', 'aborted', 'CANCELADO/-'],
  ] as const)('a %s charge is recorded as %s', async (state, status, reason) => {
    const { paymentId, transactionId } = await checkout(20, 'USD');
    payme.setState(transactionId, state);

    const answer = await payme.notify(transactionId);

    expect(json(answer.body)).toEqual({ outcome: status, paymentId, duplicate: false });
    expect(await harness.read(paymentId)).toMatchObject({ status, reason });
    expect(await harness.drain()).toEqual([expect.objectContaining({ type: `payment.${status}`, paymentId })]);
  });

  test('pending, then authorised: the first notification records nothing final, the second records paid', async () => {
    const { paymentId, transactionId } = await checkout(45);
    payme.setState(transactionId, 'PENDIENTE');

    const first = await payme.notify(transactionId);

    expect(first.status).toBe(200);
    expect(json(first.body)).toEqual({ outcome: 'not_final', paymentId });
    expect(['created', 'pending']).toContain((await harness.read(paymentId))?.status);
    expect(await harness.drain()).toEqual([]);

    payme.setState(transactionId, 'AUTORIZADO', '777001');
    expect(json((await payme.notify(transactionId)).body).outcome).toBe('paid');
    expect((await harness.read(paymentId))?.status).toBe('paid');
    expect(await harness.drain()).toHaveLength(1);
  });

  test('duplicate and out-of-order notifications (a stale PENDIENTE after AUTORIZADO) change nothing and queue no second event', async () => {
    const { paymentId, transactionId } = await checkout(12.34);
    payme.setState(transactionId, 'PENDIENTE');
    const stalePending = payme.notificationBody(transactionId);
    payme.setState(transactionId, 'AUTORIZADO', '100200');

    const first = await payme.notify(transactionId);
    const recorded = await harness.read(paymentId);
    const replays = await Promise.all([payme.notify(transactionId), payme.notify(transactionId), payme.notify(transactionId, { body: stalePending })]);

    expect(json(first.body).duplicate).toBe(false);
    for (const replay of replays) expect(json(replay.body)).toEqual({ outcome: 'paid', paymentId, duplicate: true });
    expect(await harness.read(paymentId)).toEqual(recorded);
    expect(await harness.drain()).toHaveLength(1);
  });

  test.each([
    ['signed with another key', { signer: 'forger' as const }],
    ['without a signature', { signer: 'none' as const }],
  ])('a notification %s is refused (401) before Alignet is asked, nothing recorded', async (_name, init) => {
    const { paymentId, transactionId } = await checkout(30);
    payme.setState(transactionId, 'AUTORIZADO', '1');
    const asked = payme.requests.length;

    const answer = await payme.notify(transactionId, init);

    expect(answer.status).toBe(401);
    expect(json(answer.body).error.code).toBe('invalid_signature');
    expect(payme.requests.length).toBe(asked);
    expect((await harness.read(paymentId))?.status).toBe('created');
    expect(await harness.drain()).toEqual([]);
  });

  test('a body changed after Alignet signed it fails the signature check', async () => {
    const { paymentId, transactionId } = await checkout(30);
    payme.setState(transactionId, 'AUTORIZADO', '1');
    const body = payme.notificationBody(transactionId);
    const { signature } = signer(body);

    const answer = await fetch(notifyUrl, { method: 'POST', headers: { 'content-type': 'application/json', signature }, body: body.replace('"3000"', '"1"') });

    expect(answer.status).toBe(401);
    expect((await harness.read(paymentId))?.status).toBe('created');
  });

  test.each([
    ['another amount than the record', { amount: 31 }],
    ['another currency than the record', { currency: 'USD' }],
    ['another Alignet transaction than the record', { providerPaymentId: 'someoneelsestransaction01' }],
  ] as Array<[string, Partial<PaymentRecord>]>)('a signed notification of a charge with %s is refused (422), nothing recorded', async (_name, recordOverrides) => {
    const { paymentId, transactionId } = await checkout(30, 'PEN', recordOverrides as Partial<PaymentRecord>);
    payme.setState(transactionId, 'AUTORIZADO', '1');

    const answer = await payme.notify(transactionId);

    expect(answer.status).toBe(422);
    expect(json(answer.body).error.code).toBe('verification_failed');
    expect((await harness.read(paymentId))?.status).toBe('created');
    expect(await harness.drain()).toEqual([]);
  });

  test("a signed notification naming another merchant's operation is refused without querying it", async () => {
    const { paymentId, transactionId } = await checkout(30);
    payme.setState(transactionId, 'AUTORIZADO', '1');
    const asked = payme.requests.length;

    const answer = await payme.notify(transactionId, { body: payme.notificationBody(transactionId, { merchantCode: 'another-merchant' }) });

    expect(answer.status).toBe(422);
    expect(payme.requests.length).toBe(asked);
    expect((await harness.read(paymentId))?.status).toBe('created');
  });

  test('an operation we have no record of is refused (422); a transaction Alignet does not know is a 400', async () => {
    const orphan = payme.addOperation({ operationNumber: '900000000001', amount: '1000', state: 'AUTORIZADO', callbackUrl: notifyUrl });
    const unknownRecord = await payme.notify(orphan);
    expect(unknownRecord.status).toBe(422);
    expect(await harness.read('900000000001')).toBeUndefined();

    const forgedIds = JSON.stringify({ merchant_code: ACCOUNT.merchantCode, merchant_operation_number: '900000000002', transaction: { transaction_id: 'nosuchtransaction', state: 'AUTORIZADO' } });
    const unknownCharge = await payme.notify(orphan, { body: forgedIds });
    expect(unknownCharge.status).toBe(400);
    expect(json(unknownCharge.body).error.code).toBe('unknown_reference');
    expect(await harness.drain()).toEqual([]);
  });

  test.each([
    ['429', { status: 429, body: { message: 'Too Many Requests' } }, 502],
    ['503', { status: 503, body: { message: 'Service Unavailable' } }, 502],
    ['no answer', 'hang' as const, 504],
    ['a dropped connection', 'reset' as const, 502],
  ])('Alignet answering %s gets a 5xx so Alignet retries; the retry records once', async (_name, fault, status) => {
    const { paymentId, transactionId } = await checkout(70);
    payme.setState(transactionId, 'AUTORIZADO', '9');
    await provider.status!({ paymentId, provider: 'payme', amount: 70, currency: 'PEN', status: 'created', createdAt: '', providerPaymentId: transactionId }); // a warm token
    payme.fail(fault);

    const failed = await payme.notify(transactionId);

    expect(failed.status).toBe(status);
    expect((await harness.read(paymentId))?.status).toBe('created');
    expect(await harness.drain()).toEqual([]);
    const retried = await payme.notify(transactionId);
    const again = await payme.notify(transactionId);
    expect(json(retried.body)).toEqual({ outcome: 'paid', paymentId, duplicate: false });
    expect(json(again.body).duplicate).toBe(true);
    expect(await harness.drain()).toHaveLength(1);
  });

  test('bad requests: another media type 415, malformed JSON or missing ids 400, a wrong method 405', async () => {
    const send = async (body: string, contentType = 'application/json') => {
      const { signature } = signer(body);
      return fetch(notifyUrl, { method: 'POST', headers: { 'content-type': contentType, signature }, body });
    };
    expect((await send('merchant_code=x', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await send('{"merchant_code":')).status).toBe(400);
    const missing = await send(JSON.stringify({ merchant_code: ACCOUNT.merchantCode }));
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { details: unknown } }).error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'merchant_operation_number' })]));
    expect((await fetch(notifyUrl, { method: 'GET' })).status).toBe(405);
  });
});

describe('Pay-me tokens, status and cancel', () => {
  test('one token serves many calls until shortly before expires_in; a new one is asked for after', async () => {
    let now = Date.now();
    const timed = paymeProvider(options({ now: () => now }));
    const { paymentId, transactionId } = await checkout(5);
    const record = { paymentId, provider: 'payme' as const, amount: 5, currency: 'PEN', status: 'created' as const, createdAt: '', providerPaymentId: transactionId };
    payme.setTokenLifetime(60);
    const before = payme.tokensIssued();
    try {
      await Promise.all([timed.status!(record), timed.status!(record), timed.status!(record)]);
      now += 25_000;
      await timed.status!(record);
      expect(payme.tokensIssued()).toBe(before + 1);
      now += 10_000; // 35 s: inside the 30 s margin before the stated 60 s
      await timed.status!(record);
      expect(payme.tokensIssued()).toBe(before + 2);
    } finally {
      payme.setTokenLifetime(3600);
    }
  });

  test('a token Alignet revoked early is dropped and the call made once more with a new one; the secret stays', async () => {
    const { paymentId, transactionId } = await checkout(6);
    const record = { paymentId, provider: 'payme' as const, amount: 6, currency: 'PEN', status: 'created' as const, createdAt: '', providerPaymentId: transactionId };
    await provider.status!(record);
    const [tokensBefore, rejectionsBefore] = [payme.tokensIssued(), rejections];
    payme.revokeTokens();

    await expect(provider.status!(record)).resolves.toMatchObject({ outcome: 'pending', reason: 'REGISTRADO/-' });
    expect(payme.tokensIssued()).toBe(tokensBefore + 1);
    expect(rejections).toBe(rejectionsBefore);
  });

  test('refused client credentials are reported (the secret is read again) and the caller gets a retryable error', async () => {
    const fresh = paymeProvider(options());
    const { paymentId, transactionId } = await checkout(7);
    const record = { paymentId, provider: 'payme' as const, amount: 7, currency: 'PEN', status: 'created' as const, createdAt: '', providerPaymentId: transactionId };
    const before = rejections;
    secret = { ...secret, clientSecret: 'rotated-away' };
    try {
      const error = await fresh.status!(record).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ kind: 'credentials_rejected', retryable: true });
      expect(rejections).toBe(before + 1);
    } finally {
      secret = { clientId: ACCOUNT.clientId, clientSecret: ACCOUNT.clientSecret };
    }
    await expect(fresh.status!(record)).resolves.toMatchObject({ paymentId });
  });

  test('cancel: a registered charge is cancelled, an authorised one reversed (EXTORNADO), a settled one needs a person', async () => {
    const registered = await checkout(8);
    const authorised = await checkout(9);
    const settled = await checkout(10);
    payme.setState(authorised.transactionId, 'AUTORIZADO', '1');
    payme.setState(settled.transactionId, 'LIQUIDADO', '2');
    const record = (payment: { paymentId: string; transactionId: string }, amount: number) =>
      ({ paymentId: payment.paymentId, provider: 'payme', amount, currency: 'PEN', status: 'created', createdAt: '', providerPaymentId: payment.transactionId }) as const;

    expect(await provider.reverse!(record(registered, 8))).toEqual({ result: 'reversed', reason: 'CANCELADO' });
    expect(await provider.reverse!(record(authorised, 9))).toEqual({ result: 'reversed', reason: 'EXTORNADO' });
    expect(await provider.reverse!(record(settled, 10))).toMatchObject({ result: 'not_reversible', reason: expect.stringContaining('LIQUIDADO') });
    // Asked again (the expiry job retries): already cancelled counts as reversed.
    expect(await provider.reverse!(record(registered, 8))).toMatchObject({ result: 'reversed', reason: 'CANCELADO/-' });
    expect(payme.requests.filter((request) => request.method === 'DELETE').at(-1)!.url).toBe(`/api/charges/${ACCOUNT.merchantCode}/${registered.paymentId}`);
  });

  test('the verdict: another merchant is a mismatch, a state it does not know is not judged, an unknown currency never matches', () => {
    const answer = (merchantCode: string, state: string, currency = '604') => ({
      merchant_code: merchantCode,
      operation: { merchant_operation_number: '123456789012', state, transactions: [{ transaction_id: 'tx1', state, amount: '15000', currency }] },
    });
    const ours = { merchantCode: ACCOUNT.merchantCode, transactionId: 'tx1' };
    expect(paymeVerdict(answer('someone-else', 'AUTORIZADO'), ours)).toMatchObject({ outcome: 'paid', amount: 150, currency: 'PEN', mismatch: 'merchant_mismatch' });
    expect(paymeVerdict(answer(ACCOUNT.merchantCode, 'EN_REVISION'), ours)).toMatchObject({ outcome: 'pending', reason: 'EN_REVISION/-' });
    expect(paymeVerdict(answer(ACCOUNT.merchantCode, 'AUTORIZADO', '999'), ours)).toMatchObject({ currency: 'numeric:999' });
    expect(paymeVerdict(answer(ACCOUNT.merchantCode, 'AUTORIZADO'), { ...ours, transactionId: 'tx2' })).toBeUndefined();
  });

  test('a bad public key PEM fails when the adapter is built, not at the first notification', () => {
    expect(() => paymeProvider(options({ publicKeyPem: '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----' }))).toThrow();
  });
});

/** A valid Alignet signature over any body (for requests that must reach the body checks). */
function signer(body: string): { signature: string } {
  return { signature: payme.sign(body) };
}
