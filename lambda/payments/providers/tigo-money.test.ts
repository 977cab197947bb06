/**
 * Tigo Money adapter against the local Tigo Money double (test/support/payment-doubles/tigo-money.ts) and the
 * notification entry point on the local DynamoDB/SQS behind real HTTP: the double pushes its unsigned callback to
 * our route and the "browser" follows redirectUri back to it. Longer than 300 lines: every case issue 13 lists,
 * against one double.
 */
import { randomBytes } from 'node:crypto';
import { type PaymentHarness, startPaymentHarness } from '../../../test/support/payment-doubles/harness';
import { type FakeTigoMoney, startFakeTigoMoney } from '../../../test/support/payment-doubles/tigo-money';
import type { PaymentRecord } from '../contract';
import { type PaymentProvider, ProviderError } from '../provider';
import { type TigoMoneyCredentials, type TigoMoneyOptions, merchantTransactionId, tigoMoneyProvider, tigoVerdict } from './tigo-money';

const ACCOUNT = { clientId: 'tigo-client', clientSecret: 'tigo-secret', masterMerchant: { account: '0981000111', pin: '4321', id: 'MM-PY-0001' }, country: 'PRY' };
const RESULT_URL = 'https://shop.example/pago/resultado';
/** Where the verified buyer lands. */
const result = (paymentId: string, outcome: string) => `${RESULT_URL}?paymentId=${paymentId}&provider=tigo-money&outcome=${outcome}`;
const TIMEOUT_MS = 500;

let tigo: FakeTigoMoney;
let harness: PaymentHarness;
let provider: PaymentProvider;
let secret: TigoMoneyCredentials;
let rejections = 0;
let route: string;

function options(overrides: Partial<TigoMoneyOptions> = {}): TigoMoneyOptions {
  return {
    baseUrl: tigo.baseUrl,
    masterMerchantAccount: ACCOUNT.masterMerchant.account,
    masterMerchantId: ACCOUNT.masterMerchant.id,
    country: 'PRY',
    countryCallingCode: '595',
    currency: 'PYG',
    resultUrl: RESULT_URL,
    timeoutMs: TIMEOUT_MS,
    credentials: async () => secret,
    credentialsRejected: () => void (rejections += 1),
    ...overrides,
  };
}

beforeAll(async () => {
  tigo = await startFakeTigoMoney(ACCOUNT);
  secret = { clientId: ACCOUNT.clientId, clientSecret: ACCOUNT.clientSecret, masterMerchantPin: ACCOUNT.masterMerchant.pin };
  provider = tigoMoneyProvider(options());
  harness = await startPaymentHarness([provider]);
  route = `${harness.endpoint}/payments/tigo-money/notify`;
});

afterAll(async () => {
  await Promise.all([harness?.stop(), tigo?.stop()]);
});

afterEach(async () => {
  await harness.drain();
});

/** Checkout as the checkout handler does it (returnUrl: the result page; notifyUrl: our route, where Tigo sends both). */
async function checkout(amount = 10000, recordOverrides: Partial<PaymentRecord> = {}) {
  const paymentId = provider.newPaymentId!(new Date(), randomBytes);
  const created = await provider.create!({ paymentId, amount, currency: 'PYG', description: 'Pedido', buyer: { phone: '981123456', email: 'buyer@example.com' }, returnUrl: `${RESULT_URL}?paymentId=${paymentId}&provider=tigo-money`, notifyUrl: `${route}/` });
  await harness.seed({ paymentId, provider: 'tigo-money', amount, currency: 'PYG', providerPaymentId: created.providerPaymentId, ...recordOverrides });
  return { paymentId, created };
}

const json = (text: string) => JSON.parse(text);
const record = (paymentId: string, amount: number): PaymentRecord => ({ paymentId, provider: 'tigo-money', amount, currency: 'PYG', status: 'created', createdAt: '', providerPaymentId: paymentId });

describe('Tigo Money checkout', () => {
  test('authorizes with the MasterMerchant (PIN from the secret), the wallet number and "0.00" amounts, and redirects the buyer to Tigo', async () => {
    const { paymentId, created } = await checkout(15000);

    expect(created).toEqual({ providerPaymentId: paymentId, next: { kind: 'redirect', url: expect.stringMatching(/^https:\/\/securesandbox\.tigo\.com\//) } });
    const authorization = tigo.requests.find((request) => request.url === '/v2/tigo/mfs/payments/authorizations' && request.body.includes(paymentId))!;
    expect(JSON.parse(authorization.body)).toEqual({
      MasterMerchant: ACCOUNT.masterMerchant,
      Subscriber: { account: '981123456', countryCode: '595', country: 'PRY', emailId: 'buyer@example.com' },
      redirectUri: route, // the buyer's return is verified on our route first
      callbackUri: route, // the trailing slash Tigo refuses is removed
      language: 'spa',
      OriginPayment: { amount: '15000.00', currencyCode: 'PYG', tax: '0.00', fee: '0.00' },
      LocalPayment: { amount: '15000.00', currencyCode: 'PYG' },
      merchantTransactionId: paymentId,
    });
    const token = tigo.requests.find((request) => request.url === '/v1/oauth/mfs/payments/tokens')!;
    expect(token.headers.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT.clientId}:${ACCOUNT.clientSecret}`).toString('base64')}`);
    expect(token.body).toBe('grant_type=client_credentials');
    expect(tigo.status(paymentId)).toBe('initiated');
  });

  test('checkout rules: PYG without decimals, the wallet number required; ids are 20 characters and unique', () => {
    expect(provider.checkoutRules).toMatchObject({ currencies: ['PYG'], requiredBuyerFields: ['phone'] });
    expect(provider.checkoutRules!.decimals('PYG')).toBe(0);
    const ids = new Set(Array.from({ length: 200 }, () => merchantTransactionId(new Date(), randomBytes)));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^[0-9A-Z]{20}$/);
  });

  test('a wrong PIN or a reused merchantTransactionId is refused by Tigo: nothing is shown to the buyer', async () => {
    const { paymentId } = await checkout();
    const again = provider.create!({ paymentId, amount: 1000, currency: 'PYG', description: 'x', buyer: { phone: '981123456' }, returnUrl: route, notifyUrl: route });
    await expect(again).rejects.toMatchObject({ kind: 'bad_response' });
    secret = { ...secret, masterMerchantPin: '0000' };
    try {
      const wrongPin = provider.create!({ paymentId: merchantTransactionId(new Date(), randomBytes), amount: 1000, currency: 'PYG', description: 'x', buyer: { phone: '981123456' }, returnUrl: route, notifyUrl: route });
      await expect(wrongPin).rejects.toBeInstanceOf(ProviderError);
    } finally {
      secret = { ...secret, masterMerchantPin: ACCOUNT.masterMerchant.pin };
    }
  });
});

describe('Tigo Money callback and return (unsigned: always re-read)', () => {
  test.each(['json', 'form'] as const)('a confirmed payment (callback as %s) is recorded as paid once, with Tigo\'s transaction id, and its event queued', async (encoding) => {
    const { paymentId } = await checkout(25000);
    tigo.confirm(paymentId, 'success');

    const answer = await tigo.callback(paymentId, { encoding });

    expect(answer.status).toBe(200);
    expect(json(answer.body)).toEqual({ outcome: 'paid', paymentId, duplicate: false });
    const mfs = tigo.fields(paymentId).mfsTransactionId;
    expect(await harness.read(paymentId)).toMatchObject({ status: 'paid', reason: 'success', authorizationCode: mfs });
    expect(await harness.drain()).toEqual([expect.objectContaining({ type: 'payment.paid', paymentId, provider: 'tigo-money', amount: 25000, currency: 'PYG' })]);
    expect(tigo.requests.filter((request) => request.method === 'GET').at(-1)!.url).toBe(`/v2/tigo/mfs/payments/transactions/PRY/${ACCOUNT.masterMerchant.id}/${paymentId}`);
  });

  test.each([
    ['fail', 'rejected'],
    ['cancel', 'aborted'],
    ['expired', 'expired'],
  ] as const)('a %s transaction is recorded as %s', async (status, recorded) => {
    const { paymentId } = await checkout(5000);
    tigo.confirm(paymentId, status);

    expect(json((await tigo.callback(paymentId)).body)).toEqual({ outcome: recorded, paymentId, duplicate: false });
    expect((await harness.read(paymentId))?.status).toBe(recorded);
    expect(await harness.drain()).toEqual([expect.objectContaining({ type: `payment.${recorded}`, paymentId })]);
  });

  test('a callback claiming success while Tigo still says initiated records nothing; the real confirmation records paid', async () => {
    const { paymentId } = await checkout(7000);
    const claimed = { ...tigo.fields(paymentId), transactionStatus: 'success', transactionCode: '0' };

    const early = await tigo.callback(paymentId, { fields: claimed });

    expect(early.status).toBe(200);
    expect(json(early.body)).toEqual({ outcome: 'not_final', paymentId });
    expect(['created', 'pending']).toContain((await harness.read(paymentId))?.status);
    expect(await harness.drain()).toEqual([]);

    tigo.confirm(paymentId, 'success');
    expect(json((await tigo.callback(paymentId)).body).outcome).toBe('paid');
    expect(await harness.drain()).toHaveLength(1);
  });

  test('the buyer returning is sent to the page of what Tigo reports: pending before, paid after; never a second record', async () => {
    const { paymentId } = await checkout(9000);

    const tooEarly = await tigo.returnBuyer(paymentId);
    expect(tooEarly.status).toBe(302);
    expect(tooEarly.location).toBe(result(paymentId, 'pending'));

    tigo.confirm(paymentId, 'success');
    const back = await tigo.returnBuyer(paymentId);
    const callback = await tigo.callback(paymentId);
    expect(back.location).toBe(result(paymentId, 'paid'));
    expect(json(callback.body)).toEqual({ outcome: 'paid', paymentId, duplicate: true });
    expect(await harness.drain()).toHaveLength(1);
  });

  test('a return whose transaction does not match the record lands on not_verified, without the payment id', async () => {
    const { paymentId } = await checkout(9100, { amount: 9999 });
    tigo.confirm(paymentId, 'success');
    expect((await tigo.returnBuyer(paymentId)).location).toBe(`${RESULT_URL}?provider=tigo-money&outcome=not_verified`);
    expect((await harness.read(paymentId))?.status).toBe('created');
  });

  test('a cancelled payment sends the returning buyer to the aborted page', async () => {
    const { paymentId } = await checkout(9000);
    tigo.confirm(paymentId, 'cancel');
    expect((await tigo.returnBuyer(paymentId)).location).toBe(result(paymentId, 'aborted'));
    expect((await harness.read(paymentId))?.status).toBe('aborted');
  });

  test('duplicate and out-of-order callbacks (a stale "initiated" after success) change nothing and queue no second event', async () => {
    const { paymentId } = await checkout(11000);
    const stale = tigo.fields(paymentId);
    tigo.confirm(paymentId, 'success');

    await tigo.callback(paymentId);
    const recorded = await harness.read(paymentId);
    const replays = await Promise.all([tigo.callback(paymentId), tigo.callback(paymentId, { encoding: 'form' }), tigo.callback(paymentId, { fields: stale })]);

    for (const replay of replays) expect(json(replay.body)).toEqual({ outcome: 'paid', paymentId, duplicate: true });
    expect(await harness.read(paymentId)).toEqual(recorded);
    expect(await harness.drain()).toHaveLength(1);
  });

  test('a callback naming another mfsTransactionId than Tigo reports, or an amount other than the record, is refused (422)', async () => {
    const forged = await checkout(12000);
    tigo.confirm(forged.paymentId, 'success');
    const otherMfs = await tigo.callback(forged.paymentId, { fields: { ...tigo.fields(forged.paymentId), mfsTransactionId: 'forged-123' } });

    const cheaper = await checkout(12000, { amount: 12500 });
    tigo.confirm(cheaper.paymentId, 'success');
    const otherAmount = await tigo.callback(cheaper.paymentId);

    for (const answer of [otherMfs, otherAmount]) {
      expect(answer.status).toBe(422);
      expect(json(answer.body).error.code).toBe('verification_failed');
    }
    expect((await harness.read(forged.paymentId))?.status).toBe('created');
    expect((await harness.read(cheaper.paymentId))?.status).toBe('created');
    expect(await harness.drain()).toEqual([]);
  });

  test("another MasterMerchant's transaction is never found under ours (400); a transaction we have no record of is refused (422)", async () => {
    tigo.addTransaction({ merchantTransactionId: 'OTHERMERCHANT0000001', amount: '1000.00', masterMerchantId: 'MM-PY-9999', status: 'success', callbackUri: route });
    const other = await tigo.callback('OTHERMERCHANT0000001');
    expect(other.status).toBe(400);
    expect(json(other.body).error.code).toBe('unknown_reference');

    tigo.addTransaction({ merchantTransactionId: 'NORECORD000000000001', amount: '1000.00', status: 'success', callbackUri: route });
    const orphan = await tigo.callback('NORECORD000000000001');
    expect(orphan.status).toBe(422);
    expect(await harness.read('NORECORD000000000001')).toBeUndefined();
    expect(await harness.drain()).toEqual([]);
  });

  test('the verdict refuses a transaction Tigo reports under another MasterMerchant', () => {
    const verdict = tigoVerdict(
      { Transaction: { merchantTransactionId: 'X', mfsTransactionId: '1', status: 'success' }, MasterMerchant: { id: 'MM-OTHER' }, LocalPayment: { amount: 10, currencyCode: 'PYG' } },
      { masterMerchantId: ACCOUNT.masterMerchant.id },
    );
    expect(verdict).toMatchObject({ outcome: 'paid', mismatch: 'merchant_mismatch' });
  });

  test.each([
    ['429', { status: 429, body: { error: 'too_many_requests' } }, 502],
    ['502', { status: 502, body: { error: 'bad_gateway' } }, 502],
    ['an answer slower than our deadline', { delayMs: TIMEOUT_MS * 2 }, 504],
  ])('Tigo answering %s gets a 5xx so Tigo retries; the retry records once', async (_name, fault, status) => {
    const { paymentId } = await checkout(3000);
    tigo.confirm(paymentId, 'success');
    await provider.status!(record(paymentId, 3000)); // a warm token
    tigo.fail(fault);

    const failed = await tigo.callback(paymentId);

    expect(failed.status).toBe(status);
    expect((await harness.read(paymentId))?.status).toBe('created');
    expect(await harness.drain()).toEqual([]);
    expect(json((await tigo.callback(paymentId)).body)).toEqual({ outcome: 'paid', paymentId, duplicate: false });
    expect(json((await tigo.callback(paymentId)).body).duplicate).toBe(true);
    expect(await harness.drain()).toHaveLength(1);
  });

  test('bad requests: no merchantTransactionId 400, another media type 415, a return without fields 400, a wrong method 405', async () => {
    const noId = await fetch(route, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ transactionStatus: 'success' }) });
    expect(noId.status).toBe(400);
    expect(((await noId.json()) as { error: { details: unknown } }).error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'merchantTransactionId' })]));
    expect((await fetch(route, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'merchantTransactionId=1' })).status).toBe(415);
    expect((await fetch(route, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'merchantTransactionId=a&merchantTransactionId=b' })).status).toBe(400);
    expect((await fetch(route, { redirect: 'manual' })).status).toBe(400);
    expect((await fetch(route, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(405);
  });
});

describe('Tigo Money tokens, status and reverse', () => {
  test('one token serves many calls; a revoked one is dropped and the call made once more; the secret stays', async () => {
    const fresh = tigoMoneyProvider(options());
    const { paymentId } = await checkout(4000);
    const before = tigo.tokensIssued();
    await Promise.all([fresh.status!(record(paymentId, 4000)), fresh.status!(record(paymentId, 4000)), fresh.status!(record(paymentId, 4000))]);
    expect(tigo.tokensIssued()).toBe(before + 1);

    const rejectionsBefore = rejections;
    tigo.revokeTokens();
    await expect(fresh.status!(record(paymentId, 4000))).resolves.toMatchObject({ outcome: 'pending', reason: 'initiated' });
    expect(tigo.tokensIssued()).toBe(before + 2);
    expect(rejections).toBe(rejectionsBefore);
  });

  test('refused client credentials are reported (the secret is read again) and the caller gets a retryable error', async () => {
    const fresh = tigoMoneyProvider(options());
    const { paymentId } = await checkout(4100);
    const before = rejections;
    secret = { ...secret, clientSecret: 'rotated-away' };
    try {
      await expect(fresh.status!(record(paymentId, 4100))).rejects.toMatchObject({ kind: 'credentials_rejected', retryable: true });
      expect(rejections).toBe(before + 1);
    } finally {
      secret = { ...secret, clientSecret: ACCOUNT.clientSecret };
    }
    await expect(fresh.status!(record(paymentId, 4100))).resolves.toMatchObject({ paymentId });
  });

  test('reverse: a paid transaction is reversed (PIN sent); a failed one counts as reversed; an initiated one needs a person; an unknown one has nothing to reverse', async () => {
    const paid = await checkout(5100);
    const failed = await checkout(5200);
    const open = await checkout(5300);
    tigo.confirm(paid.paymentId, 'success');
    tigo.confirm(failed.paymentId, 'fail');

    expect(await provider.reverse!(record(paid.paymentId, 5100))).toEqual({ result: 'reversed', reason: 'reversed by Tigo' });
    expect(tigo.status(paid.paymentId)).toBe('reversed');
    expect(JSON.parse(tigo.requests.filter((request) => request.method === 'DELETE').at(-1)!.body).MasterMerchant).toEqual(ACCOUNT.masterMerchant);
    expect(await provider.reverse!(record(failed.paymentId, 5200))).toEqual({ result: 'reversed', reason: 'fail' });
    expect(await provider.reverse!(record(open.paymentId, 5300))).toMatchObject({ result: 'not_reversible', reason: expect.stringContaining('initiated') });
    expect(await provider.reverse!(record('NEVERCREATED00000001', 1))).toMatchObject({ result: 'reversed' });
    // The expiry job reads the reversed payment as refunded.
    expect(await provider.status!(record(paid.paymentId, 5100))).toMatchObject({ outcome: 'refunded' });
  });
});
