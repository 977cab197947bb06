import { apiBaseUrl, checkoutProblems, decodeCursor, encodeCursor, ownerOf, paymentView } from './checkout-core';
import type { CheckoutBody, PaymentRecord } from './contract';
import type { CheckoutRules } from './provider';

const rules: CheckoutRules = { currencies: ['PYG', 'USD'], decimals: (currency) => (currency === 'PYG' ? 0 : 2), maxDescriptionLength: 20, requiredBuyerFields: ['phone'] };
const body = (fields: Partial<CheckoutBody> = {}): CheckoutBody => ({ provider: 'bancard', amount: 10000, currency: 'PYG', description: 'Plan', buyer: { phone: '981123456' }, ...fields });

describe('checkoutProblems', () => {
  test('a payment within the provider\'s rules has none', () => {
    expect(checkoutProblems(body(), rules)).toEqual([]);
    expect(checkoutProblems(body({ currency: 'USD', amount: 10.25 }), rules)).toEqual([]);
  });

  test('every broken rule is named by its field', () => {
    expect(checkoutProblems(body({ amount: 100.5, description: 'x'.repeat(21), buyer: {} }), rules)).toEqual([
      { field: 'amount', message: 'PYG amounts have no decimals' },
      { field: 'description', message: 'bancard takes at most 20 characters' },
      { field: 'buyer.phone', message: 'required by bancard' },
    ]);
    expect(checkoutProblems(body({ currency: 'USD', amount: 1.005 }), rules)).toEqual([{ field: 'amount', message: 'USD amounts have at most 2 decimals' }]);
    expect(checkoutProblems(body({ currency: 'EUR' }), rules)).toEqual([{ field: 'currency', message: 'bancard charges in PYG, USD here' }]);
    // Tiny and exponent-written numbers count their real decimals.
    expect(checkoutProblems(body({ currency: 'USD', amount: 1e-7 }), rules)).toEqual([{ field: 'amount', message: 'USD amounts have at most 2 decimals' }]);
  });
});

describe('ownerOf', () => {
  test('a realm user owns by Modyo realm and user id; a machine client by its client id; a user without Modyo claims owns nothing', () => {
    expect(ownerOf({ kind: 'user', clientId: 'w', userSub: 's', modyo: { realmUid: 'clientes', userId: '81' } })).toEqual({ owner: 'modyo:clientes:81', realmUid: 'clientes', modyoUserId: '81' });
    expect(ownerOf({ kind: 'machine', clientId: 'shop' })).toEqual({ owner: 'client:shop' });
    expect(ownerOf({ kind: 'user', clientId: 'w', userSub: 's' })).toBeUndefined();
  });
});

describe('cursors', () => {
  const key = { paymentId: 'p1', owner: 'modyo:clientes:81', createdAt: '2026-12-01T05:00:00.000Z' };

  test('round-trip for their owner only', () => {
    expect(decodeCursor(encodeCursor(key), key.owner)).toEqual(key);
    expect(decodeCursor(encodeCursor(key), 'modyo:clientes:82')).toBeUndefined();
  });

  test('anything else is refused', () => {
    expect(decodeCursor('!!', key.owner)).toBeUndefined();
    expect(decodeCursor(encodeCursor({ ...key, extra: 1 }), key.owner)).toBeUndefined();
    expect(decodeCursor(Buffer.from('[1]').toString('base64url'), key.owner)).toBeUndefined();
    expect(decodeCursor(Buffer.from('{').toString('base64url'), key.owner)).toBeUndefined();
  });
});

describe('apiBaseUrl', () => {
  test('the execute-api endpoint carries its stage; a custom domain does not; a missing or odd domain gives none', () => {
    expect(apiBaseUrl({ domainName: 'abc.execute-api.us-east-1.amazonaws.com', stage: 'v1' })).toBe('https://abc.execute-api.us-east-1.amazonaws.com/v1');
    expect(apiBaseUrl({ domainName: 'api.connect.example.com', stage: 'v1' })).toBe('https://api.connect.example.com');
    expect(apiBaseUrl({ domainName: 'evil.example/x?', stage: 'v1' })).toBeUndefined();
    expect(apiBaseUrl(undefined)).toBeUndefined();
  });
});

test('paymentView shows the owner nothing internal', () => {
  const record: PaymentRecord = { paymentId: 'p1', provider: 'khipu', amount: 1, currency: 'CLP', status: 'paid', createdAt: 'c', owner: 'modyo:r:1', realmUid: 'r', modyoUserId: '1', outbox: 'pending', providerPaymentId: 'k1' };
  expect(paymentView(record)).toEqual({ paymentId: 'p1', provider: 'khipu', amount: 1, currency: 'CLP', status: 'paid', createdAt: 'c' });
});
