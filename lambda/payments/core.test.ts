import { decide, decideAbort, formFields, khipuVerdict, paymentEvent, sameAmount, type VerifiedPayment, webpayVerdict } from './core';
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
    expect(decide(record({ provider: 'webpay', amount: 1000 }), webpayVerdict({ ...committed, status: 'INITIALIZED', response_code: null }, 'tok'))).toEqual({ kind: 'not_final' });
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

  test('a pending payment records nothing', () => {
    expect(decide(record(), { ...paid, outcome: 'pending' })).toEqual({ kind: 'not_final' });
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
