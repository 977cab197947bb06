import { TRANSITIONS, decide, decideAbort, formFields, khipuVerdict, paymentEvent, sameAmount, segmentationUpdate, sourcesOf, timeRandomPaymentId, type VerifiedPayment, webpayVerdict } from './core';
import type { PaymentRecord } from './contract';

const record = (fields: Partial<PaymentRecord> = {}): PaymentRecord => ({
  paymentId: 'ord-1',
  provider: 'khipu',
  amount: 15000,
  currency: 'CLP',
  status: 'created',
  createdAt: '2024-05-01T12:00:00.000Z',
  ...fields,
});

const khipuPayment = { payment_id: 'kp-1', receiver_id: '4242', status: 'done', amount: 15000, currency: 'CLP', transaction_id: 'ord-1' };

describe('formFields', () => {
  test('decodes a form and refuses a repeated field', () => {
    expect(formFields('notification_token=a%2Bb&api_version=1.3')).toEqual({ notification_token: 'a+b', api_version: '1.3' });
    expect(formFields('a=1&a=2')).toEqual({ duplicate: 'a' });
  });
});

describe('sameAmount', () => {
  test('compares to the hundredth', () => {
    expect(sameAmount(1000, 1000.0)).toBe(true);
    expect(sameAmount(10.1 + 0.2, 10.3)).toBe(true);
    expect(sameAmount(1000, 1000.01)).toBe(false);
  });
});

describe('khipuVerdict', () => {
  test('done is paid; other statuses are pending; another receiver is a mismatch', () => {
    expect(khipuVerdict(khipuPayment, '4242')).toEqual({ provider: 'khipu', paymentId: 'ord-1', providerPaymentId: 'kp-1', outcome: 'paid', amount: 15000, currency: 'CLP', reason: 'done' });
    expect(khipuVerdict({ ...khipuPayment, status: 'verifying' }, '4242').outcome).toBe('pending');
    expect(khipuVerdict(khipuPayment, '1').mismatch).toBe('receiver_mismatch');
  });
});

describe('webpayVerdict', () => {
  const committed = { status: 'AUTHORIZED', response_code: 0, amount: 1000, buy_order: 'ord-1', authorization_code: '1213' };
  test('authorised only with response code 0 and status AUTHORIZED', () => {
    expect(webpayVerdict(committed, 'tok')).toMatchObject({ outcome: 'paid', authorizationCode: '1213', reason: 'AUTHORIZED/0', currency: 'CLP' });
    expect(webpayVerdict({ ...committed, response_code: -1 }, 'tok')).toMatchObject({ outcome: 'rejected' });
    expect(webpayVerdict({ ...committed, response_code: -1 }, 'tok')).not.toHaveProperty('authorizationCode');
  });

  test('rejected only on a final failure', () => {
    expect(webpayVerdict({ ...committed, status: 'FAILED', response_code: -1 }, 'tok')).toMatchObject({ outcome: 'rejected', reason: 'FAILED/-1' });
    expect(webpayVerdict({ ...committed, status: 'FAILED', response_code: null }, 'tok').outcome).toBe('rejected');
    expect(webpayVerdict({ ...committed, status: 'REVERSED' }, 'tok').outcome).toBe('rejected');
    expect(webpayVerdict({ ...committed, status: 'NULLIFIED' }, 'tok').outcome).toBe('rejected');
  });

  test('an unfinished transaction (INITIALIZED, no response code, an unknown status) is pending, never rejected', () => {
    expect(webpayVerdict({ ...committed, status: 'INITIALIZED', response_code: null }, 'tok')).toMatchObject({ outcome: 'pending', reason: 'INITIALIZED/null' });
    expect(webpayVerdict({ ...committed, status: 'INITIALIZED', response_code: undefined }, 'tok').outcome).toBe('pending');
    expect(webpayVerdict({ ...committed, status: 'INITIALIZED', response_code: -1 }, 'tok').outcome).toBe('pending');
    expect(webpayVerdict({ ...committed, response_code: null }, 'tok').outcome).toBe('pending');
    expect(webpayVerdict({ ...committed, status: 'SOMETHING_NEW', response_code: -1 }, 'tok').outcome).toBe('pending');
    // Never judged: a created record only moves to `pending` (no final state, no event).
    expect(decide(record({ provider: 'webpay', amount: 1000 }), webpayVerdict({ ...committed, status: 'INITIALIZED', response_code: null }, 'tok'))).toEqual({ kind: 'progress' });
    expect(decide(record({ provider: 'webpay', amount: 1000, status: 'pending' }), webpayVerdict({ ...committed, status: 'INITIALIZED', response_code: null }, 'tok'))).toEqual({ kind: 'not_final' });
  });
});

describe('decide', () => {
  const paid: VerifiedPayment = khipuVerdict(khipuPayment, '4242');

  test('a created record matching the provider moves to the provider outcome', () => {
    expect(decide(record(), paid)).toEqual({ kind: 'record', status: 'paid' });
    expect(decide(record({ provider: 'webpay', amount: 1000 }), webpayVerdict({ status: 'FAILED', response_code: -1, amount: 1000, buy_order: 'ord-1' }, 't'))).toEqual({ kind: 'record', status: 'rejected' });
  });

  test('a final record never changes', () => {
    expect(decide(record({ status: 'paid' }), paid)).toEqual({ kind: 'already', status: 'paid' });
    expect(decide(record({ status: 'aborted' }), paid)).toEqual({ kind: 'already', status: 'aborted' });
  });

  test('a payment the provider has not finished moves created → pending once, and records nothing final', () => {
    expect(decide(record(), { ...paid, outcome: 'pending' })).toEqual({ kind: 'progress' });
    expect(decide(record({ status: 'pending' }), { ...paid, outcome: 'pending' })).toEqual({ kind: 'not_final' });
    expect(decide(record({ status: 'paid' }), { ...paid, outcome: 'pending' })).toEqual({ kind: 'already', status: 'paid' });
  });

  test('the state machine: open states reach every final state; only paid moves on (to refunded); final states never move', () => {
    for (const outcome of ['paid', 'rejected', 'aborted', 'expired', 'refunded'] as const) {
      expect(decide(record(), { ...paid, outcome })).toEqual({ kind: 'record', status: outcome });
      expect(decide(record({ status: 'pending' }), { ...paid, outcome })).toEqual({ kind: 'record', status: outcome });
    }
    expect(decide(record({ status: 'paid' }), { ...paid, outcome: 'refunded' })).toEqual({ kind: 'record', status: 'refunded' });
    for (const status of ['rejected', 'aborted', 'expired', 'refunded'] as const) {
      for (const outcome of ['paid', 'rejected', 'refunded', 'pending'] as const) expect(decide(record({ status }), { ...paid, outcome })).toEqual({ kind: 'already', status });
    }
    expect(decide(record({ status: 'paid' }), { ...paid, outcome: 'rejected' })).toEqual({ kind: 'already', status: 'paid' });
    // The write's condition: every state a move may come from.
    expect(sourcesOf('refunded').sort()).toEqual(['created', 'paid', 'pending']);
    expect(sourcesOf('paid').sort()).toEqual(['created', 'pending']);
    expect(sourcesOf('pending')).toEqual(['created']);
    expect(Object.values(TRANSITIONS).flat()).not.toContain('created');
  });

  test.each([
    ['receiver', record(), { ...paid, mismatch: 'receiver_mismatch' }, 'receiver_mismatch'],
    ['record', undefined, paid, 'unknown_payment'],
    ['provider', record({ provider: 'webpay' }), paid, 'provider_mismatch'],
    ['provider id', record({ providerPaymentId: 'other' }), paid, 'provider_payment_id_mismatch'],
    ['amount', record({ amount: 14999 }), paid, 'amount_mismatch'],
    ['currency', record({ currency: 'USD' }), paid, 'currency_mismatch'],
    ['amount, even on a final record', record({ status: 'paid', amount: 1 }), paid, 'amount_mismatch'],
  ])('a different %s is a mismatch', (_name, existing, verified, problem) => {
    expect(decide(existing, verified as VerifiedPayment)).toEqual({ kind: 'mismatch', problem });
  });
});

describe('decideAbort', () => {
  test('aborts only a created record whose stored token is the one returned', () => {
    const withToken = record({ provider: 'webpay', providerPaymentId: 'tok' });
    expect(decideAbort(withToken, 'tok')).toEqual({ kind: 'record', status: 'aborted' });
    expect(decideAbort(withToken, 'other')).toEqual({ kind: 'mismatch', problem: 'provider_payment_id_mismatch' });
    expect(decideAbort(record({ provider: 'webpay' }), 'tok')).toEqual({ kind: 'mismatch', problem: 'provider_payment_id_mismatch' });
    expect(decideAbort(undefined, 'tok')).toEqual({ kind: 'mismatch', problem: 'unknown_payment' });
    expect(decideAbort({ ...withToken, status: 'paid' }, 'tok')).toEqual({ kind: 'already', status: 'paid' });
    expect(decideAbort(withToken, undefined)).toEqual({ kind: 'not_final' });
  });
});

describe('paymentEvent', () => {
  test('one event id per payment and final state, with ids and amounts only', () => {
    const event = paymentEvent({ ...record({ providerPaymentId: 'kp-1', reason: 'done' }), status: 'paid' }, '2024-05-01T12:01:00.000Z');
    expect(event).toEqual({
      schemaVersion: 1,
      eventId: 'ord-1:paid',
      type: 'payment.paid',
      paymentId: 'ord-1',
      provider: 'khipu',
      providerPaymentId: 'kp-1',
      amount: 15000,
      currency: 'CLP',
      reason: 'done',
      authorizationCode: undefined,
      occurredAt: '2024-05-01T12:01:00.000Z',
    });
  });
});

describe('segmentationUpdate', () => {
  const fields = { lastPurchaseAt: 'paidAt', lastPurchaseAmount: 'amount', lastPurchaseProvider: 'provider' } as const;
  const paidByUser = record({ status: 'paid', updatedAt: '2024-05-01T12:05:00.000Z', realmUid: 'clientes', modyoUserId: '81', description: 'Plan' });

  test('a realm user\'s paid payment sets the configured custom fields through customer sync, with a request id fixed per payment', () => {
    expect(segmentationUpdate(paidByUser, fields)).toEqual({
      schemaVersion: 1,
      requestId: 'payment:ord-1:paid',
      receivedAt: '2024-05-01T12:05:00.000Z',
      clientId: 'connect-payments',
      update: { realmUid: 'clientes', action: 'upsert', user: { modyoUserId: '81' }, customFields: { lastPurchaseAt: '2024-05-01T12:05:00.000Z', lastPurchaseAmount: 15000, lastPurchaseProvider: 'khipu' } },
    });
  });

  test('nothing for another state, a machine client\'s payment, or no configured fields', () => {
    expect(segmentationUpdate({ ...paidByUser, status: 'rejected' }, fields)).toBeUndefined();
    expect(segmentationUpdate({ ...paidByUser, realmUid: undefined, modyoUserId: undefined }, fields)).toBeUndefined();
    expect(segmentationUpdate(paidByUser, {})).toBeUndefined();
    expect(segmentationUpdate(paidByUser, undefined)).toBeUndefined();
  });
});

describe('timeRandomPaymentId', () => {
  test('fits WebPay\'s buy_order (26 characters of [0-9a-z]) and differs per random draw', () => {
    const now = new Date('2026-12-01T05:00:00Z');
    const id = timeRandomPaymentId(now, () => new Uint8Array(8).fill(255));
    expect(id).toMatch(/^[0-9a-z]{1,26}$/);
    expect(id).not.toBe(timeRandomPaymentId(now, () => new Uint8Array(8)));
  });
});
