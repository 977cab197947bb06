/**
 * The expiry job's decisions for what the end-to-end test (../checkout.test.ts) cannot make a double do: a provider
 * that refuses the reversal, one that cannot be reached, one that reports another amount, and the time bound. The
 * providers here are plain PaymentProvider objects; settle is recorded, not written (checkout.test.ts writes).
 */
import type { Judgement } from '../core';
import type { PaymentRecord } from '../contract';
import { type PaymentProvider, ProviderError } from '../provider';
import { createExpiryJob } from './handler';

const NOW = new Date('2026-12-01T06:00:00.000Z');
const old = (paymentId: string, provider: PaymentRecord['provider'] = 'bancard'): PaymentRecord => ({
  paymentId,
  provider,
  amount: 10000,
  currency: 'PYG',
  status: 'created',
  createdAt: '2026-12-01T05:00:00.000Z',
  updatedAt: '2026-12-01T05:00:00.000Z',
  providerPaymentId: paymentId,
  outbox: 'open',
});

function bancardLike(overrides: Partial<PaymentProvider>): PaymentProvider {
  return {
    name: 'bancard',
    route: { path: '/payments/bancard/confirm', methods: ['POST'] },
    verifyHasEffect: false,
    parseNotification: () => ({ kind: 'ping' }),
    verify: async () => {
      throw new Error('not used');
    },
    respond: () => ({ statusCode: 200, body: '' }),
    expiresAfterSeconds: 600,
    status: async (record) => ({ provider: 'bancard', paymentId: record.paymentId, providerPaymentId: record.paymentId, outcome: 'pending', amount: record.amount, currency: record.currency, reason: 'PaymentNotFoundError' }),
    ...overrides,
  };
}

function job(provider: PaymentProvider, open: PaymentRecord[], remainingMs = 60_000) {
  const settled: Array<{ judgement: Judgement; paymentId: string | undefined; reason: string }> = [];
  const run = createExpiryJob({
    providers: [provider],
    store: { openPayments: async () => ({ items: open }) },
    settle: async (judgement, _provider, paymentId, details) => {
      settled.push({ judgement, paymentId, reason: details.reason });
      return judgement.kind === 'progress' ? { kind: 'not_final' } : judgement;
    },
    now: () => NOW,
    batchLimit: 10,
    defaultAfterSeconds: 3600,
    timeoutMs: 1000,
  });
  return { settled, run: () => run(() => remainingMs) };
}

test('a reversal the provider refuses closes the payment for a person and fails the run, so the error alarm fires', async () => {
  const { settled, run } = job(bancardLike({ reverse: async () => ({ result: 'not_reversible', reason: 'TransactionAlreadyConfirmed' }) }), [old('1')]);
  await expect(run()).rejects.toThrow('1 need a person');
  expect(settled).toEqual([{ judgement: { kind: 'record', status: 'expired' }, paymentId: '1', reason: 'needs_manual_reversal:TransactionAlreadyConfirmed' }]);
});

test('a payment the buyer paid between the status read and the refused reversal is recorded paid, not expired', async () => {
  const reads: string[] = [];
  const provider = bancardLike({
    status: async (record) => {
      reads.push(record.paymentId);
      const paid = reads.length > 1; // the second read sees the confirmation that made the rollback impossible
      return { provider: 'bancard', paymentId: record.paymentId, providerPaymentId: record.paymentId, outcome: paid ? 'paid' : 'pending', amount: record.amount, currency: record.currency, reason: paid ? 'S/00' : 'PaymentNotFoundError', authorizationCode: paid ? '123456' : undefined };
    },
    reverse: async () => ({ result: 'not_reversible', reason: 'TransactionAlreadyConfirmed' }),
  });
  const { settled, run } = job(provider, [old('1')]);
  await expect(run()).resolves.toMatchObject({ closed: 1, needsPerson: 0 });
  expect(reads).toEqual(['1', '1']);
  expect(settled).toEqual([{ judgement: { kind: 'record', status: 'paid' }, paymentId: '1', reason: 'S/00' }]);
});

test('a provider that cannot be reached leaves the payment open for the next run, and fails this one', async () => {
  const { settled, run } = job(bancardLike({ status: async () => Promise.reject(new ProviderError('bancard', 'unavailable', 'answered 503')) }), [old('1'), old('2')]);
  await expect(run()).rejects.toThrow('2 payments could not be closed');
  expect(settled).toEqual([]);
});

test('a provider reporting another amount is never closed by the job: logged as a security problem, needs a person', async () => {
  const status: PaymentProvider['status'] = async (record) => ({ provider: 'bancard', paymentId: record.paymentId, providerPaymentId: record.paymentId, outcome: 'paid', amount: 1, currency: 'PYG', reason: '00' });
  const { settled, run } = job(bancardLike({ status }), [old('1')]);
  await expect(run()).rejects.toThrow('need a person');
  expect(settled).toEqual([{ judgement: { kind: 'mismatch', problem: 'amount_mismatch' }, paymentId: '1', reason: '00' }]);
});

test('a payment unknown to the provider (its create never completed) is closed expired', async () => {
  const { settled, run } = job(bancardLike({ status: async () => Promise.reject(new ProviderError('bancard', 'unknown_reference', 'BuyNotFoundError')) }), [old('1')]);
  await expect(run()).resolves.toMatchObject({ closed: 1, failed: 0 });
  expect(settled[0]).toEqual({ judgement: { kind: 'record', status: 'expired' }, paymentId: '1', reason: 'unknown_at_provider' });
});

test('the run stops while the function has less than three provider calls of time left, and a payment inside its window waits', async () => {
  const young = { ...old('young'), updatedAt: '2026-12-01T05:55:00.000Z' };
  expect(await job(bancardLike({}), [young]).run()).toMatchObject({ notDue: 1, closed: 0 });
  const short = job(bancardLike({}), [old('1')], 4000);
  expect(await short.run()).toMatchObject({ stoppedEarly: true, closed: 0 });
  expect(short.settled).toEqual([]);
});

test('payments inside a longer window do not starve the due ones on later pages', async () => {
  const young = (id: string) => ({ ...old(id), updatedAt: '2026-12-01T05:55:00.000Z' });
  const pages = [{ items: [young('a'), young('b')], next: { k: 1 } }, { items: [old('due')] }];
  const settled: string[] = [];
  const run = createExpiryJob({
    providers: [bancardLike({ reverse: async () => ({ result: 'reversed', reason: 'rolled back' }) })],
    store: { openPayments: async (_before, _limit, start) => pages[start ? 1 : 0] },
    settle: async (judgement, _provider, paymentId) => {
      settled.push(String(paymentId));
      return judgement.kind === 'progress' ? { kind: 'not_final' } : judgement;
    },
    now: () => NOW,
    batchLimit: 2,
    defaultAfterSeconds: 3600,
    timeoutMs: 1000,
  });
  expect(await run(() => 60_000)).toMatchObject({ notDue: 2, closed: 1 });
  expect(settled).toEqual(['due']);
});
