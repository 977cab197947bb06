/**
 * Bancard vPOS 2.0 adapter against the local Bancard double (test/support/payment-doubles/bancard.ts) and the
 * notification entry point (createPaymentHandler, real PaymentStore / event queue on the local DynamoDB and SQS)
 * behind real HTTP: the double pushes its confirmations to our route as Bancard does.
 * Over 300 lines on purpose: one file per provider, so its pure parts, checkout, every notification case and the
 * expiry job's calls share one double and one harness (starting them per file is the slow part).
 */
import { createHash, randomBytes } from 'node:crypto';
import { type FakeBancard, startFakeBancard } from '../../../test/support/payment-doubles/bancard';
import { type PaymentHarness, startPaymentHarness } from '../../../test/support/payment-doubles/harness';
import type { PaymentRecord } from '../contract';
import { type PaymentProvider, ProviderError } from '../provider';
import { type BancardCredentials, type BancardOptions, bancardAmount, bancardProvider, bancardToken, bancardVerdict, newBancardPaymentId } from './bancard';

const ACCOUNT = { publicKey: 'bancard-public-key-32-characters', privateKey: 'bancard-private-key-of-forty-characters!' };
const SCRIPT_URL = 'https://vpos.infonet.com.py:8888/checkout/javascript/dist/bancard-checkout-4.0.0.js';
const TIMEOUT_MS = 800;

let bancard: FakeBancard;
let harness: PaymentHarness;
let provider: PaymentProvider;
let secret: BancardCredentials;
let rejections = 0;
let confirmUrl: string;

function options(overrides: Partial<BancardOptions> = {}): BancardOptions {
  return {
    baseUrl: bancard.baseUrl,
    checkoutScriptUrl: SCRIPT_URL,
    timeoutMs: TIMEOUT_MS,
    credentials: async () => secret,
    credentialsRejected: () => void (rejections += 1),
    ...overrides,
  };
}

beforeAll(async () => {
  bancard = await startFakeBancard(ACCOUNT);
  secret = { ...ACCOUNT };
  provider = bancardProvider(options());
  harness = await startPaymentHarness([provider]);
  confirmUrl = `${harness.endpoint}/payments/bancard/confirm`;
});

afterAll(async () => {
  await Promise.all([harness?.stop(), bancard?.stop()]);
});

afterEach(async () => {
  secret = { ...ACCOUNT };
  await harness.drain();
});

/** Checkout as the checkout handler does it: our id, the buy at Bancard, the record. */
async function checkout(amount = 10000, recordOverrides: Partial<PaymentRecord> = {}) {
  const paymentId = provider.newPaymentId!(new Date(), randomBytes);
  const created = await provider.create!({ paymentId, amount, currency: 'PYG', description: 'Pedido 123', buyer: {}, returnUrl: 'https://shop.example/resultado', notifyUrl: confirmUrl });
  await harness.seed({ paymentId, provider: 'bancard', amount, currency: 'PYG', providerPaymentId: created.providerPaymentId, ...recordOverrides });
  return { paymentId, created };
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const queries = () => bancard.requests.filter((request) => request.url === '/vpos/api/0.3/single_buy/confirmations').length;

describe('Bancard pure parts', () => {
  test('tokens are the lowercase MD5 of the private key and the operation fields, amounts have two decimals', () => {
    expect(bancardToken.singleBuy('pk', '123', '10100.00', 'PYG')).toBe(md5('pk12310100.00PYG'));
    expect(bancardToken.confirm('pk', '123', '10100.00', 'PYG')).toBe(md5('pk123confirm10100.00PYG'));
    expect(bancardToken.getConfirmation('pk', '123')).toBe(md5('pk123get_confirmation'));
    expect(bancardToken.rollback('pk', '123')).toBe(md5('pk123rollback0.00'));
    expect([bancardAmount(10100), bancardAmount(130), bancardAmount(12.5)]).toEqual(['10100.00', '130.00', '12.50']);
  });

  test('shop_process_ids are integers of at most 15 digits, different for the same second, and grow with time', () => {
    const now = new Date('2026-12-01T05:00:00Z');
    const ids = Array.from({ length: 200 }, () => provider.newPaymentId!(now, randomBytes));
    for (const id of ids) {
      expect(id).toMatch(/^[1-9]\d{0,14}$/);
      expect(Number.isSafeInteger(Number(id))).toBe(true);
    }
    expect(new Set(ids).size).toBeGreaterThan(195); // 5 random digits per second
    const later = newBancardPaymentId(new Date(now.getTime() + 1000), () => new Uint8Array(4));
    const earlier = newBancardPaymentId(now, () => new Uint8Array([255, 255, 255, 255]));
    expect(Number(later)).toBeGreaterThan(Number(earlier));
    expect(newBancardPaymentId(new Date('2336-01-01T00:00:00Z'), randomBytes)).toMatch(/^\d{15}$/);
  });

  test('the query\'s verdict: paid only with "S" and "00"; an answer about another shop_process_id is a mismatch', () => {
    const confirmation = { shop_process_id: '123', response: 'S', response_code: '00', amount: '10100.00', currency: 'PYG', authorization_number: '654321' };
    expect(bancardVerdict(confirmation, '123')).toEqual({ provider: 'bancard', paymentId: '123', providerPaymentId: '123', outcome: 'paid', amount: 10100, currency: 'PYG', reason: 'S/00', authorizationCode: '654321' });
    expect(bancardVerdict({ ...confirmation, response_code: '94' }, '123')).toMatchObject({ outcome: 'rejected', reason: 'S/94' });
    expect(bancardVerdict({ ...confirmation, response: 'N', response_code: '05' }, '123').authorizationCode).toBeUndefined();
    expect(bancardVerdict(confirmation, '124').mismatch).toBe('order_mismatch');
  });

  test('checkout rules: PYG without decimals, descriptions of at most 20 characters; the window is 10 minutes', () => {
    expect(provider.checkoutRules).toMatchObject({ currencies: ['PYG'], maxDescriptionLength: 20, requiredBuyerFields: [] });
    expect(provider.checkoutRules!.decimals('PYG')).toBe(0);
    expect(provider.expiresAfterSeconds).toBe(600);
  });
});

describe('Bancard checkout (single_buy)', () => {
  test('creates the buy with our integer id, a two-decimal amount and its token, and answers the iframe parameters', async () => {
    const { paymentId, created } = await checkout(150000);

    const request = bancard.requests.find((candidate) => candidate.url === '/vpos/api/0.3/single_buy' && candidate.body.includes(paymentId))!;
    expect(JSON.parse(request.body)).toEqual({
      public_key: ACCOUNT.publicKey,
      operation: {
        token: md5(`${ACCOUNT.privateKey}${paymentId}150000.00PYG`),
        shop_process_id: Number(paymentId),
        amount: '150000.00',
        currency: 'PYG',
        description: 'Pedido 123',
        return_url: 'https://shop.example/resultado',
        cancel_url: 'https://shop.example/resultado',
      },
    });
    expect(created).toEqual({ providerPaymentId: paymentId, next: { kind: 'embedded', scriptUrl: SCRIPT_URL, parameters: { processId: bancard.buy(paymentId)!.processId } } });
  });

  test('a reused shop_process_id and a description Bancard refuses are ProviderErrors (nothing shown to the buyer)', async () => {
    const { paymentId } = await checkout();
    const again = provider.create!({ paymentId, amount: 5000, currency: 'PYG', description: 'Otra', buyer: {}, returnUrl: 'https://shop.example/r', notifyUrl: confirmUrl });
    await expect(again).rejects.toThrow(/already taken/);
    const long = provider.create!({ paymentId: provider.newPaymentId!(new Date(), randomBytes), amount: 5000, currency: 'PYG', description: 'x'.repeat(21), buyer: {}, returnUrl: 'https://shop.example/r', notifyUrl: confirmUrl });
    await expect(long).rejects.toMatchObject({ kind: 'bad_response' });
  });

  test('keys Bancard refuses drop the cached secret', async () => {
    secret = { ...ACCOUNT, privateKey: 'an-old-private-key' };
    const before = rejections;
    const attempt = provider.create!({ paymentId: provider.newPaymentId!(new Date(), randomBytes), amount: 5000, currency: 'PYG', description: 'x', buyer: {}, returnUrl: 'https://shop.example/r', notifyUrl: confirmUrl });
    await expect(attempt).rejects.toMatchObject({ kind: 'credentials_rejected' });
    expect(rejections).toBe(before + 1);
  });
});

describe('Bancard confirmations', () => {
  test('an approved payment is verified with the confirmations query, recorded as paid once, and answered {"status":"success"}', async () => {
    const { paymentId } = await checkout(25000);
    bancard.pay(paymentId, { approve: true });

    const answer = await bancard.pushConfirmation(confirmUrl, paymentId);

    expect(answer).toEqual({ status: 200, body: { status: 'success' }, accepted: true });
    const authorization = bancard.buy(paymentId)!.confirmation!.authorization_number;
    expect(await harness.read(paymentId)).toMatchObject({ status: 'paid', reason: 'S/00', authorizationCode: authorization });
    expect(await harness.drain()).toEqual([expect.objectContaining({ type: 'payment.paid', paymentId, provider: 'bancard', providerPaymentId: paymentId, amount: 25000, currency: 'PYG' })]);
    const query = bancard.requests.filter((request) => request.url === '/vpos/api/0.3/single_buy/confirmations').at(-1)!;
    expect(JSON.parse(query.body)).toEqual({ public_key: ACCOUNT.publicKey, operation: { token: md5(`${ACCOUNT.privateKey}${paymentId}get_confirmation`), shop_process_id: Number(paymentId) } });
  });

  test('a declined card is recorded as rejected with its response code and answered success', async () => {
    const { paymentId } = await checkout();
    bancard.pay(paymentId, { approve: false, responseCode: '51' });

    expect((await bancard.pushConfirmation(confirmUrl, paymentId)).accepted).toBe(true);

    expect(await harness.read(paymentId)).toMatchObject({ status: 'rejected', reason: 'N/51' });
    expect((await harness.read(paymentId))?.authorizationCode).toBeUndefined();
    expect(await harness.drain()).toEqual([expect.objectContaining({ type: 'payment.rejected', paymentId })]);
  });

  test('duplicate and concurrent confirmations record once and queue one event', async () => {
    const { paymentId } = await checkout();
    bancard.pay(paymentId, { approve: true });

    const answers = await Promise.all([1, 2, 3].map(() => bancard.pushConfirmation(confirmUrl, paymentId)));
    const replay = await bancard.pushConfirmation(confirmUrl, paymentId);

    expect([...answers, replay].every((answer) => answer.accepted)).toBe(true);
    expect((await harness.read(paymentId))?.status).toBe('paid');
    const events = await harness.drain();
    expect(new Set(events.map((event) => event.eventId))).toEqual(new Set([`${paymentId}:paid`]));
  });

  test('a confirmation the query does not show yet is not judged (409, Bancard retries); the retry records paid', async () => {
    const { paymentId } = await checkout();
    bancard.pay(paymentId, { approve: true, queryLags: true });

    const early = await bancard.pushConfirmation(confirmUrl, paymentId);

    expect(early).toMatchObject({ status: 409, accepted: false });
    expect((await harness.read(paymentId))?.status).toBe('created');
    expect(await harness.drain()).toEqual([]);
    bancard.reveal(paymentId);
    expect((await bancard.pushConfirmation(confirmUrl, paymentId)).accepted).toBe(true);
    expect((await harness.read(paymentId))?.status).toBe('paid');
  });

  test('the monitor\'s empty JSON is answered success without asking Bancard or recording anything', async () => {
    const before = bancard.requests.length;
    expect(await bancard.pushPing(confirmUrl)).toEqual({ status: 200, body: { status: 'success' }, accepted: true });
    expect(bancard.requests.length).toBe(before);
  });

  test.each([
    ['a token made with another merchant\'s private key', { privateKey: 'another-merchant-private-key' }],
    ['an amount other than the one the token covers', { amount: '1.00', keepToken: true }],
  ])('%s is refused (422) before Bancard is asked, and nothing is recorded', async (_name, forgery) => {
    const { paymentId } = await checkout();
    bancard.pay(paymentId, { approve: true });
    const body = bancard.confirmationBody(paymentId, 'keepToken' in forgery ? {} : forgery);
    if ('keepToken' in forgery) body.operation.amount = forgery.amount!;
    const before = queries();

    const answer = await bancard.push(confirmUrl, body);

    expect(answer).toMatchObject({ status: 422, accepted: false, body: { error: { code: 'verification_failed' } } });
    expect(queries()).toBe(before);
    expect((await harness.read(paymentId))?.status).toBe('created');
    expect(await harness.drain()).toEqual([]);
  });

  test.each([
    ['an amount other than our record', { amount: 99000 }],
    ['a currency other than our record', { currency: 'USD' }],
  ])('a genuine confirmation with %s is refused (422) and nothing is recorded', async (_name, recordOverrides) => {
    const { paymentId } = await checkout(10000, recordOverrides);
    bancard.pay(paymentId, { approve: true });

    const answer = await bancard.pushConfirmation(confirmUrl, paymentId);

    expect(answer).toMatchObject({ status: 422, accepted: false });
    expect((await harness.read(paymentId))?.status).toBe('created');
    expect(await harness.drain()).toEqual([]);
  });

  test('a confirmation of a buy we have no record of is refused and nothing is recorded', async () => {
    const paymentId = provider.newPaymentId!(new Date(), randomBytes);
    await provider.create!({ paymentId, amount: 7000, currency: 'PYG', description: 'Ajeno', buyer: {}, returnUrl: 'https://shop.example/r', notifyUrl: confirmUrl });
    bancard.pay(paymentId, { approve: true });

    expect(await bancard.pushConfirmation(confirmUrl, paymentId)).toMatchObject({ status: 422, accepted: false });
    expect(await harness.read(paymentId)).toBeUndefined();
  });

  test.each([
    ['answers 503', { status: 503, body: { status: 'error' } }, 502],
    ['answers 429', { status: 429, body: { status: 'error' } }, 502],
    ['drops the connection', 'reset' as const, 502],
    ['does not answer in time', 'hang' as const, 504],
  ])('when the confirmations query %s the confirmation fails with a 5xx so Bancard retries, and nothing is recorded twice', async (_name, fault, status) => {
    const { paymentId } = await checkout(3300);
    bancard.pay(paymentId, { approve: true });
    bancard.fail(fault);

    const failed = await bancard.pushConfirmation(confirmUrl, paymentId);

    expect(failed).toMatchObject({ status, accepted: false, body: { error: { code: 'provider_unavailable' } } });
    expect((await harness.read(paymentId))?.status).toBe('created');
    expect((await bancard.pushConfirmation(confirmUrl, paymentId)).accepted).toBe(true);
    expect((await bancard.pushConfirmation(confirmUrl, paymentId)).accepted).toBe(true);
    expect(await harness.drain()).toEqual([expect.objectContaining({ eventId: `${paymentId}:paid` })]);
  });

  test('a retried delivery carries a confirmation through a query outage and records it once', async () => {
    const { paymentId } = await checkout(3400);
    bancard.pay(paymentId, { approve: true });
    bancard.fail({ status: 502, body: {} });

    expect(await bancard.deliverConfirmation(confirmUrl, paymentId)).toEqual([
      { status: 502, accepted: false },
      { status: 200, accepted: true },
    ]);
    expect(await harness.drain()).toEqual([expect.objectContaining({ eventId: `${paymentId}:paid` })]);
  });

  test('when Bancard refuses our keys on the query the cached secret is dropped and the confirmation fails with 502', async () => {
    const { paymentId } = await checkout();
    bancard.pay(paymentId, { approve: true });
    bancard.fail({ status: 401, body: { status: 'error', messages: [{ key: 'InvalidPublicKeyError', level: 'error', dsc: 'Invalid public key' }] } });
    const before = rejections;

    expect(await bancard.pushConfirmation(confirmUrl, paymentId)).toMatchObject({ status: 502, accepted: false });
    expect(rejections).toBe(before + 1);
    expect((await harness.read(paymentId))?.status).toBe('created');
  });

  test.each([
    ['malformed JSON', 400, '{"operation":', 'application/json'],
    ['a form body', 415, 'operation=1', 'application/x-www-form-urlencoded'],
    ['no shop_process_id', 400, JSON.stringify({ operation: { token: 'a'.repeat(32), amount: '1.00', currency: 'PYG' } }), 'application/json'],
    ['an amount without two decimals', 400, JSON.stringify({ operation: { token: 'a'.repeat(32), shop_process_id: 1, amount: '100', currency: 'PYG' } }), 'application/json'],
  ])('%s is answered %d and Bancard is not asked', async (_name, status, body, contentType) => {
    const before = bancard.requests.length;
    const response = await fetch(confirmUrl, { method: 'POST', headers: { 'content-type': contentType }, body });
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: { code: string } }).error.code).toEqual(expect.any(String));
    expect(bancard.requests.length).toBe(before);
  });
});

describe('Bancard status and rollback (the expiry job\'s calls)', () => {
  test('a buy never confirmed is pending, is rolled back, then reads expired; a late confirmation then records nothing', async () => {
    const { paymentId } = await checkout(8000);
    const record = (await harness.read(paymentId))!;

    expect(await provider.status!(record)).toMatchObject({ outcome: 'pending', reason: 'PaymentNotFoundError', amount: 8000, currency: 'PYG' });
    expect(await provider.reverse!(record)).toEqual({ result: 'reversed', reason: 'PaymentNotFoundError' });
    expect(await provider.status!(record)).toMatchObject({ outcome: 'expired', reason: 'AlreadyRollbackedError' });
    expect(await provider.reverse!(record)).toEqual({ result: 'reversed', reason: 'AlreadyRollbackedError' });

    bancard.pay(paymentId, { approve: true });
    expect(await bancard.pushConfirmation(confirmUrl, paymentId)).toMatchObject({ status: 400, accepted: false });
    expect((await harness.read(paymentId))?.status).toBe('created');
  });

  test('status of a paid buy is paid; a same-day rollback reverses it; once the charge has posted it is not reversible', async () => {
    const { paymentId } = await checkout(12000);
    const record = (await harness.read(paymentId))!;
    bancard.pay(paymentId, { approve: true });

    expect(await provider.status!(record)).toMatchObject({ outcome: 'paid', amount: 12000, reason: 'S/00' });
    bancard.settle(paymentId);
    expect(await provider.reverse!(record)).toEqual({ result: 'not_reversible', reason: 'TransactionAlreadyConfirmed' });

    const other = await checkout(13000);
    bancard.pay(other.paymentId, { approve: true });
    expect(await provider.reverse!((await harness.read(other.paymentId))!)).toEqual({ result: 'reversed', reason: 'RollbackSuccessful' });
  });

  test('a buy Bancard does not know is an unknown reference for status; its query failing is a retryable ProviderError', async () => {
    const record: PaymentRecord = { paymentId: '123456789012345', provider: 'bancard', amount: 1000, currency: 'PYG', status: 'created', createdAt: new Date().toISOString() };
    await expect(provider.status!(record)).rejects.toMatchObject({ kind: 'unknown_reference' });
    bancard.fail({ status: 500, body: {} });
    const failure = await provider.status!(record).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect((failure as ProviderError).retryable).toBe(true);
  });
});
