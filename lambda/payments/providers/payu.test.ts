/**
 * PayU Latam adapter against the local PayU double (test/support/payment-doubles/payu.ts) and the notification
 * entry point (createPaymentHandler, real PaymentStore / event queue on the local DynamoDB and SQS) behind real
 * HTTP: the browser's WebCheckout form is posted to the double, and the double pushes its confirmations to our route.
 * Over 300 lines on purpose: one file per provider, so its pure parts, checkout, every notification case and the
 * expiry job's calls share one double and one harness (starting them per file is the slow part).
 */
import { createHash, randomBytes } from 'node:crypto';
import { type FakePayu, startFakePayu } from '../../../test/support/payment-doubles/payu';
import { type PaymentHarness, startPaymentHarness } from '../../../test/support/payment-doubles/harness';
import type { PaymentRecord } from '../contract';
import type { PaymentProvider } from '../provider';
import { type PayuCredentials, type PayuOptions, payuProvider } from './payu';
import { payuNewValue, payuSignature, payuTax, payuVerdict } from './payu-core';

const ACCOUNT = { merchantId: '508029', apiKey: '4Vj8eK4rloUd272L48hsrarnUA', apiLogin: 'pRRXKOl8ikMmt9u', accounts: { COP: '512321', PEN: '512323', CLP: '512325' } };
const TIMEOUT_MS = 800;

let payu: FakePayu;
let harness: PaymentHarness;
let provider: PaymentProvider;
let secret: PayuCredentials;
let rejections = 0;
let confirmUrl: string;

function options(overrides: Partial<PayuOptions> = {}): PayuOptions {
  return {
    baseUrl: payu.apiBaseUrl,
    checkoutUrl: payu.checkoutUrl,
    merchantId: ACCOUNT.merchantId,
    accounts: ACCOUNT.accounts,
    test: true,
    timeoutMs: TIMEOUT_MS,
    credentials: async () => secret,
    credentialsRejected: () => void (rejections += 1),
    ...overrides,
  };
}

beforeAll(async () => {
  payu = await startFakePayu(ACCOUNT);
  secret = { apiKey: ACCOUNT.apiKey, apiLogin: ACCOUNT.apiLogin };
  provider = payuProvider(options());
  harness = await startPaymentHarness([provider]);
  confirmUrl = `${harness.endpoint}/payments/payu/confirm`;
});

afterAll(async () => {
  await Promise.all([harness?.stop(), payu?.stop()]);
});

afterEach(async () => {
  secret = { apiKey: ACCOUNT.apiKey, apiLogin: ACCOUNT.apiLogin };
  await harness.drain();
});

/** Checkout (our id, the signed form, the record), then the buyer's browser posts the form to WebCheckout. */
async function checkout(amount = 150000.5, currency = 'COP', recordOverrides: Partial<PaymentRecord> = {}, adapter = provider) {
  const paymentId = adapter.newPaymentId!(new Date(), randomBytes);
  const created = await adapter.create!({ paymentId, amount, currency, description: 'Pedido 42', buyer: { email: 'buyer@example.com', name: 'Buyer Name' }, returnUrl: 'https://shop.example/resultado', notifyUrl: confirmUrl });
  await harness.seed({ paymentId, provider: 'payu', amount, currency, providerPaymentId: created.providerPaymentId, ...recordOverrides });
  if (created.next.kind !== 'form_post') throw new Error('PayU answers a form');
  const posted = await fetch(created.next.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(created.next.fields).toString() });
  return { paymentId, created, posted: posted.status };
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const reportQueries = () => payu.requests.filter((request) => request.url === '/reports-api/4.0/service.cgi').length;

describe('PayU pure parts', () => {
  test('new_value keeps one decimal when the second is zero, two otherwise', () => {
    expect(['150.00', '150.50', '150.25', '150', '0.10', '19990.05'].map(payuNewValue)).toEqual(['150.0', '150.5', '150.25', '150.0', '0.1', '19990.05']);
  });

  test('orders of another reference or account are a mismatch, whatever their state', () => {
    const order = (referenceCode: string, accountId: string) => ({ id: '1', accountId, status: 'CAPTURED', referenceCode, additionalValues: { TX_VALUE: { value: 100, currency: 'COP' } }, transactions: [{ id: 't', type: 'AUTHORIZATION_AND_CAPTURE', transactionResponse: { state: 'APPROVED' } }] });
    expect(payuVerdict([order('ref-1', '512321')], 'ref-1', { accountIds: ['512321'], windowClosed: false })).toMatchObject({ outcome: 'paid' });
    expect(payuVerdict([order('ref-1', '512321')], 'ref-1', { accountIds: ['512321'], windowClosed: false }).mismatch).toBeUndefined();
    expect(payuVerdict([order('ref-2', '512321')], 'ref-1', { accountIds: ['512321'], windowClosed: false }).mismatch).toBe('order_mismatch');
    expect(payuVerdict([order('ref-1', '999')], 'ref-1', { accountIds: ['512321'], windowClosed: false }).mismatch).toBe('account_mismatch');
    expect(payuVerdict([{ ...order('ref-1', '512321'), status: 'CHARGEBACK' }], 'ref-1', { accountIds: ['512321'], windowClosed: false })).toMatchObject({ outcome: 'refunded', reason: 'CHARGEBACK/APPROVED' });
  });

  test('VAT included in the amount is split into tax and its base; without a rate the form says exempt', () => {
    expect(payuTax(119000, 'COP', 0.19)).toEqual({ tax: '19000.00', taxReturnBase: '100000.00' });
    expect(payuTax(15000, 'CLP', 0.19)).toEqual({ tax: '2395', taxReturnBase: '12605' });
    expect(payuTax(100, 'PEN', undefined)).toEqual({ tax: '0', taxReturnBase: '0' });
  });

  test('the WebCheckout signature is MD5 (or SHA-256) of ApiKey~merchantId~referenceCode~amount~currency', () => {
    expect(payuSignature('MD5', 'key', '508029', 'ref-1', '20000.00', 'COP')).toBe(md5('key~508029~ref-1~20000.00~COP'));
    expect(payuSignature('SHA256', 'key', '508029', 'ref-1', '20000.00', 'COP')).toBe(createHash('sha256').update('key~508029~ref-1~20000.00~COP').digest('hex'));
  });

  test('checkout rules: the configured accounts\' currencies, CLP without decimals, an e-mail; ids fit our 26 characters', () => {
    expect(provider.checkoutRules).toMatchObject({ currencies: ['COP', 'PEN', 'CLP'], maxDescriptionLength: 255, requiredBuyerFields: ['email'] });
    expect([provider.checkoutRules!.decimals('CLP'), provider.checkoutRules!.decimals('PEN')]).toEqual([0, 2]);
    const ids = Array.from({ length: 100 }, () => provider.newPaymentId!(new Date(), randomBytes));
    for (const id of ids) expect(id).toMatch(/^[0-9a-z]{1,26}$/);
    expect(new Set(ids).size).toBe(100);
  });
});

describe('PayU checkout (WebCheckout form)', () => {
  test('answers a signed form the browser posts to WebCheckout, with our confirmationUrl; PayU accepts it', async () => {
    const { paymentId, created, posted } = await checkout(150000.5, 'COP');

    expect(posted).toBe(200);
    expect(created).toEqual({
      providerPaymentId: paymentId,
      next: {
        kind: 'form_post',
        url: payu.checkoutUrl,
        fields: {
          merchantId: ACCOUNT.merchantId,
          accountId: ACCOUNT.accounts.COP,
          description: 'Pedido 42',
          referenceCode: paymentId,
          amount: '150000.50',
          tax: '0',
          taxReturnBase: '0',
          currency: 'COP',
          signature: md5(`${ACCOUNT.apiKey}~${ACCOUNT.merchantId}~${paymentId}~150000.50~COP`),
          algorithmSignature: 'MD5',
          test: '1',
          buyerEmail: 'buyer@example.com',
          buyerFullName: 'Buyer Name',
          responseUrl: 'https://shop.example/resultado',
          confirmationUrl: confirmUrl,
        },
      },
    });
  });

  test('SHA-256 signatures are accepted by WebCheckout; CLP amounts have no decimals; a tampered amount is refused', async () => {
    const sha = payuProvider(options({ signatureAlgorithm: 'SHA256', taxRates: { CLP: 0.19 } }));
    const { created, posted } = await checkout(15000, 'CLP', {}, sha);
    expect(posted).toBe(200);
    expect(created.next).toMatchObject({ fields: { amount: '15000', algorithmSignature: 'SHA256', accountId: ACCOUNT.accounts.CLP, tax: '2395', taxReturnBase: '12605' } });

    const fields = { ...(created.next as { fields: Record<string, string> }).fields, amount: '1500' };
    const tampered = await fetch(payu.checkoutUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    expect(tampered.status).toBe(400);
  });
});

describe('PayU confirmations', () => {
  test('an approved attempt is verified with the reports API, recorded as paid once and answered 200 with an empty body', async () => {
    const { paymentId } = await checkout(150000.5);
    const transactionId = payu.attempt(paymentId, 'APPROVED');

    const answer = await payu.pushConfirmation(confirmUrl, payu.confirmation(transactionId));

    expect(answer).toEqual({ status: 200, body: '', accepted: true });
    const authorization = payu.orders(paymentId)[0].transactions[0].authorizationCode;
    expect(await harness.read(paymentId)).toMatchObject({ status: 'paid', reason: 'CAPTURED/APPROVED/APPROVED', authorizationCode: authorization });
    expect(await harness.drain()).toEqual([expect.objectContaining({ type: 'payment.paid', paymentId, provider: 'payu', amount: 150000.5, currency: 'COP' })]);
    const query = JSON.parse(payu.requests.filter((request) => request.url === '/reports-api/4.0/service.cgi').at(-1)!.body);
    expect(query).toEqual({ test: true, language: 'es', command: 'ORDER_DETAIL_BY_REFERENCE_CODE', merchant: { apiLogin: ACCOUNT.apiLogin, apiKey: ACCOUNT.apiKey }, details: { referenceCode: paymentId } });
  });

  test('a declined attempt leaves the payment open (pending), a retry that is approved records paid, a late replay changes nothing', async () => {
    const { paymentId } = await checkout(89900);
    const declined = payu.attempt(paymentId, 'DECLINED');

    expect((await payu.pushConfirmation(confirmUrl, payu.confirmation(declined))).accepted).toBe(true);
    expect(await harness.read(paymentId)).toMatchObject({ status: 'pending', reason: 'DECLINED/DECLINED/PAYMENT_NETWORK_REJECTED' });
    expect(await harness.drain()).toEqual([]);

    const approved = payu.attempt(paymentId, 'APPROVED');
    expect((await payu.pushConfirmation(confirmUrl, payu.confirmation(approved))).accepted).toBe(true);
    expect((await harness.read(paymentId))?.status).toBe('paid');

    // Out of order: the declined attempt's confirmation arrives again after the approval.
    expect((await payu.pushConfirmation(confirmUrl, payu.confirmation(declined))).accepted).toBe(true);
    expect((await harness.read(paymentId))?.status).toBe('paid');
    expect(await harness.drain()).toEqual([expect.objectContaining({ eventId: `${paymentId}:paid` })]);
  });

  test('a confirmation signed with SHA-256 is accepted, and a reports answer slower than usual but within the deadline is waited for', async () => {
    const { paymentId } = await checkout(6100);
    const fields = payu.confirmation(payu.attempt(paymentId, 'APPROVED'), { algorithm: 'SHA256' });
    expect(fields.sign).toMatch(/^[0-9a-f]{64}$/);
    payu.fail({ delayMs: TIMEOUT_MS / 2 });

    expect((await payu.pushConfirmation(confirmUrl, fields)).accepted).toBe(true);
    expect((await harness.read(paymentId))?.status).toBe('paid');
  });

  test('a cash voucher pending at PayU is not confirmed until it ends; once paid, its confirmation records paid', async () => {
    const { paymentId } = await checkout(50000);
    const voucher = payu.attempt(paymentId, 'PENDING');
    expect(await provider.status!((await harness.read(paymentId))!)).toMatchObject({ outcome: 'pending' });

    payu.complete(voucher, 'APPROVED');
    expect((await payu.pushConfirmation(confirmUrl, payu.confirmation(voucher))).accepted).toBe(true);

    expect(await harness.read(paymentId)).toMatchObject({ status: 'paid', authorizationCode: '770011' });
    expect(await harness.drain()).toEqual([expect.objectContaining({ type: 'payment.paid', paymentId })]);
  });

  test('an expired attempt is acknowledged and leaves the payment open; after the window the expiry job reads it expired', async () => {
    const { paymentId } = await checkout(60000);
    const voucher = payu.attempt(paymentId, 'PENDING');
    payu.complete(voucher, 'EXPIRED');

    expect(await payu.pushConfirmation(confirmUrl, payu.confirmation(voucher))).toEqual({ status: 200, body: '', accepted: true });
    expect(await harness.read(paymentId)).toMatchObject({ status: 'pending', reason: 'CANCELLED/EXPIRED/EXPIRED_TRANSACTION' });
    expect(await harness.drain()).toEqual([]);
    expect(await provider.status!((await harness.read(paymentId))!)).toMatchObject({ outcome: 'expired', amount: 60000 });
  });

  test('duplicate and concurrent confirmations of one attempt record once', async () => {
    const { paymentId } = await checkout(5000);
    const fields = payu.confirmation(payu.attempt(paymentId, 'APPROVED'));

    const answers = await Promise.all([1, 2, 3].map(() => payu.pushConfirmation(confirmUrl, fields)));

    expect(answers.every((answer) => answer.accepted)).toBe(true);
    expect((await harness.read(paymentId))?.status).toBe('paid');
    const events = await harness.drain();
    expect(new Set(events.map((event) => event.eventId))).toEqual(new Set([`${paymentId}:paid`]));
  });

  test('a confirmation the reports do not show yet is not judged (409, PayU retries); the retry records paid', async () => {
    const { paymentId } = await checkout(7000);
    const transactionId = payu.attempt(paymentId, 'APPROVED', { reportsLag: true });
    const fields = payu.confirmation(transactionId);

    expect(await payu.pushConfirmation(confirmUrl, fields)).toMatchObject({ status: 409, accepted: false });
    expect((await harness.read(paymentId))?.status).toBe('created');
    payu.reveal(transactionId);
    expect((await payu.pushConfirmation(confirmUrl, fields)).accepted).toBe(true);
    expect((await harness.read(paymentId))?.status).toBe('paid');
  });

  test.each([
    ['a sign made with another ApiKey', { apiKey: 'not-our-api-key' }],
    ['another merchant\'s id', { merchantId: '999999', apiKey: 'their-api-key' }],
    ['a value altered after signing', { value: '1.00' }],
  ])('a confirmation with %s is refused (422) before the reports API is asked, and nothing is recorded', async (_name, alter) => {
    const { paymentId } = await checkout(12000);
    const fields = payu.confirmation(payu.attempt(paymentId, 'APPROVED'), alter);
    const before = reportQueries();

    const answer = await payu.pushConfirmation(confirmUrl, fields);

    expect(answer).toMatchObject({ status: 422, accepted: false });
    expect(JSON.parse(answer.body).error.code).toBe('verification_failed');
    expect(reportQueries()).toBe(before);
    expect((await harness.read(paymentId))?.status).toBe('created');
    expect(await harness.drain()).toEqual([]);
  });

  test.each([
    ['an amount other than our record', { amount: 12001 }],
    ['a currency other than our record', { currency: 'PEN', accountId: ACCOUNT.accounts.PEN }],
    ['an account that is not ours', { accountId: '777777' }],
  ])('a genuine confirmation of %s is refused (422) and nothing is recorded', async (_name, attempt) => {
    const { paymentId } = await checkout(12000);
    const fields = payu.confirmation(payu.attempt(paymentId, 'APPROVED', attempt));

    expect(await payu.pushConfirmation(confirmUrl, fields)).toMatchObject({ status: 422, accepted: false });
    expect((await harness.read(paymentId))?.status).toBe('created');
    expect(await harness.drain()).toEqual([]);
  });

  test('a confirmation of a reference we have no record of is refused and nothing is recorded', async () => {
    const paymentId = provider.newPaymentId!(new Date(), randomBytes);
    const fields = payu.confirmation(payu.attempt(paymentId, 'APPROVED', { force: true, amount: 1000, currency: 'COP' }));

    expect(await payu.pushConfirmation(confirmUrl, fields)).toMatchObject({ status: 422, accepted: false });
    expect(await harness.read(paymentId)).toBeUndefined();
  });

  test.each([
    ['answers 503', { status: 503, body: {} }, 502],
    ['answers 429', { status: 429, body: {} }, 502],
    ['drops the connection', 'reset' as const, 502],
    ['does not answer in time', 'hang' as const, 504],
  ])('when the reports API %s the confirmation fails with a 5xx so PayU retries, and nothing is recorded twice', async (_name, fault, status) => {
    const { paymentId } = await checkout(4400);
    const fields = payu.confirmation(payu.attempt(paymentId, 'APPROVED'));
    payu.fail(fault);

    const failed = await payu.pushConfirmation(confirmUrl, fields);

    expect(failed).toMatchObject({ status, accepted: false });
    expect(JSON.parse(failed.body).error.code).toBe('provider_unavailable');
    expect((await harness.read(paymentId))?.status).toBe('created');
    expect((await payu.pushConfirmation(confirmUrl, fields)).accepted).toBe(true);
    expect((await payu.pushConfirmation(confirmUrl, fields)).accepted).toBe(true);
    expect(await harness.drain()).toEqual([expect.objectContaining({ eventId: `${paymentId}:paid` })]);
  });

  test('PayU\'s own retries (until answered 200) carry a confirmation through a reports outage, recorded once', async () => {
    const { paymentId } = await checkout(4600);
    const fields = payu.confirmation(payu.attempt(paymentId, 'APPROVED'));
    payu.fail({ status: 500, body: {} }, { status: 429, body: {} });

    expect(await payu.deliver(confirmUrl, fields)).toEqual([
      { status: 502, accepted: false },
      { status: 502, accepted: false },
      { status: 200, accepted: true },
    ]);
    expect(await harness.drain()).toEqual([expect.objectContaining({ eventId: `${paymentId}:paid` })]);
  });

  test('keys the reports API refuses drop the cached secret and the confirmation fails with 502', async () => {
    const { paymentId } = await checkout(4500);
    const fields = payu.confirmation(payu.attempt(paymentId, 'APPROVED'));
    secret = { apiKey: ACCOUNT.apiKey, apiLogin: 'an-old-login' };
    const before = rejections;

    expect(await payu.pushConfirmation(confirmUrl, fields)).toMatchObject({ status: 502, accepted: false });
    expect(rejections).toBe(before + 1);
    expect((await harness.read(paymentId))?.status).toBe('created');
  });

  test.each([
    ['a JSON body', 415, JSON.stringify({ reference_sale: 'x' }), 'application/json'],
    ['a repeated field', 400, 'reference_sale=a&reference_sale=b', 'application/x-www-form-urlencoded'],
    ['no sign', 400, 'merchant_id=508029&reference_sale=abc&transaction_id=t-1&state_pol=4&value=10.00&currency=COP', 'application/x-www-form-urlencoded'],
    ['a value with three decimals', 400, `merchant_id=508029&reference_sale=abc&transaction_id=t-1&state_pol=4&value=10.001&currency=COP&sign=${'a'.repeat(32)}`, 'application/x-www-form-urlencoded'],
  ])('%s is answered %d and PayU is not asked', async (_name, status, body, contentType) => {
    const before = payu.requests.length;
    const response = await fetch(confirmUrl, { method: 'POST', headers: { 'content-type': contentType }, body });
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: { code: string } }).error.code).toEqual(expect.any(String));
    expect(payu.requests.length).toBe(before);
  });
});

describe('PayU status and reversal (the expiry job\'s calls)', () => {
  const record = async (paymentId: string) => (await harness.read(paymentId))!;

  test('after the window: every attempt declined is rejected, the last one expired is expired, no attempt at all is expired, a cash voucher still pending is pending', async () => {
    const declined = await checkout(1000);
    payu.attempt(declined.paymentId, 'DECLINED');
    payu.attempt(declined.paymentId, 'DECLINED');
    expect(await provider.status!(await record(declined.paymentId))).toMatchObject({ outcome: 'rejected', amount: 1000, currency: 'COP' });

    const expired = await checkout(1000);
    payu.attempt(expired.paymentId, 'DECLINED');
    payu.attempt(expired.paymentId, 'EXPIRED');
    expect(await provider.status!(await record(expired.paymentId))).toMatchObject({ outcome: 'expired' });

    const abandoned = await checkout(1000);
    expect(await provider.status!(await record(abandoned.paymentId))).toMatchObject({ outcome: 'expired', reason: 'NO_ORDER', amount: 1000 });

    const voucher = await checkout(1000);
    payu.attempt(voucher.paymentId, 'PENDING');
    expect(await provider.status!(await record(voucher.paymentId))).toMatchObject({ outcome: 'pending', reason: 'IN_PROGRESS/PENDING/PENDING_TRANSACTION_CONFIRMATION' });
    expect(provider.expiresAfterSeconds).toBe(24 * 3600);
  });

  test('a paid payment is refunded (PayU answers PENDING, then APPROVED reads refunded); an authorisation is voided', async () => {
    const paid = await checkout(30000);
    payu.attempt(paid.paymentId, 'APPROVED');
    expect(await provider.reverse!(await record(paid.paymentId))).toEqual({ result: 'reversed', reason: 'REFUND/PENDING' });
    const refund = JSON.parse(payu.requests.filter((request) => request.url === '/payments-api/4.0/service.cgi').at(-1)!.body);
    const order = payu.orders(paid.paymentId)[0];
    expect(refund).toMatchObject({ command: 'SUBMIT_TRANSACTION', merchant: { apiLogin: ACCOUNT.apiLogin, apiKey: ACCOUNT.apiKey }, transaction: { order: { id: order.id }, type: 'REFUND', parentTransactionId: order.transactions[0].id } });

    const refunded = await checkout(31000);
    payu.attempt(refunded.paymentId, 'APPROVED');
    payu.answerNextRefundWith('APPROVED');
    expect(await provider.reverse!(await record(refunded.paymentId))).toEqual({ result: 'reversed', reason: 'REFUND/APPROVED' });
    expect(await provider.status!(await record(refunded.paymentId))).toMatchObject({ outcome: 'refunded' });
    expect(await provider.reverse!(await record(refunded.paymentId))).toEqual({ result: 'reversed', reason: 'REFUNDED' });

    const authorised = await checkout(32000);
    payu.attempt(authorised.paymentId, 'APPROVED', { authorizeOnly: true });
    expect(await provider.reverse!(await record(authorised.paymentId))).toEqual({ result: 'reversed', reason: 'VOID/APPROVED' });
  });

  test('nothing approved is nothing to reverse; a pending voucher or a refused refund is for a person', async () => {
    const declined = await checkout(1000);
    payu.attempt(declined.paymentId, 'DECLINED');
    expect(await provider.reverse!(await record(declined.paymentId))).toMatchObject({ result: 'reversed' });

    const voucher = await checkout(1000);
    payu.attempt(voucher.paymentId, 'PENDING');
    expect(await provider.reverse!(await record(voucher.paymentId))).toMatchObject({ result: 'not_reversible' });

    const refused = await checkout(1000);
    payu.attempt(refused.paymentId, 'APPROVED');
    payu.answerNextRefundWith('DECLINED');
    expect(await provider.reverse!(await record(refused.paymentId))).toEqual({ result: 'not_reversible', reason: 'REFUND/DECLINED/ANTIFRAUD_REJECTED' });
  });
});
