/**
 * The expiry job (scheduled): payments left `created` or `pending` beyond their provider's window
 * (`expiresAfterSeconds`, counted from the last change) are asked about with `provider.status`. A final word is
 * recorded like a notification's; a payment the provider still has open is reversed where the provider allows it
 * (Bancard rollback, Pay-me cancel, Tigo reverse) and closed `expired`; a provider that does not know the payment
 * (its create never completed) closes it `expired` too. Bounded: at most `batchLimit` payments a run, and it stops
 * while the function still has time for one more payment. A run with failures, or with a payment a person must
 * reverse by hand, ends in an error so the function's error alarm fires.
 */
import { logger } from '../../shared/logger';
import { type Judgement, decide } from '../core';
import type { PaymentRecord } from '../contract';
import { type PaymentProvider, ProviderError } from '../provider';
import type { Settle } from '../settle';
import type { PaymentStore } from '../store';

export interface ExpiryDependencies {
  readonly providers: readonly PaymentProvider[];
  readonly store: Pick<PaymentStore, 'openPayments'>;
  readonly settle: Settle;
  readonly now: () => Date;
  readonly batchLimit: number;
  readonly defaultAfterSeconds: number;
  /** Each provider call's deadline: a payment may take a status read and a reversal. */
  readonly timeoutMs: number;
}

export interface ExpiryRun {
  /** Open payments past the shortest window that this run considered (due or not). */
  readonly looked: number;
  readonly closed: number;
  readonly notDue: number;
  readonly failed: number;
  readonly needsPerson: number;
  readonly stoppedEarly: boolean;
}

const EXPIRED: Judgement = { kind: 'record', status: 'expired' };
/** Index pages one run reads at most (each of batchLimit items). */
const MAX_PAGES = 20;

export function createExpiryJob(deps: ExpiryDependencies) {
  const windowOf = (provider: PaymentProvider | undefined) => provider?.expiresAfterSeconds ?? deps.defaultAfterSeconds;

  /** What to do with one due payment; throws ProviderError when the provider cannot answer (retried next run). */
  async function close(provider: PaymentProvider & Required<Pick<PaymentProvider, 'status'>>, record: PaymentRecord): Promise<'closed' | 'needs_person'> {
    let judgement: Judgement;
    let reason: string;
    let authorizationCode: string | undefined;
    try {
      const verified = await provider.status(record);
      judgement = decide(record, verified);
      reason = verified.reason;
      authorizationCode = verified.authorizationCode;
    } catch (error) {
      if (!(error instanceof ProviderError) || error.kind !== 'unknown_reference') throw error;
      await deps.settle(EXPIRED, record.provider, record.paymentId, { reason: 'unknown_at_provider' });
      return 'closed';
    }
    if (judgement.kind === 'mismatch') {
      await deps.settle(judgement, record.provider, record.paymentId, { reason });
      return 'needs_person'; // the provider reports something else than we recorded: never closed by a machine
    }
    if (judgement.kind === 'record' || judgement.kind === 'already') {
      await deps.settle(judgement, record.provider, record.paymentId, { reason, authorizationCode });
      return 'closed';
    }
    // Still open at the provider after its window: reverse it where the provider can, then close it.
    if (!provider.reverse) {
      await deps.settle(EXPIRED, record.provider, record.paymentId, { reason: `window_passed:${reason}` });
      return 'closed';
    }
    const reversal = await provider.reverse(record);
    if (reversal.result === 'reversed') {
      await deps.settle(EXPIRED, record.provider, record.paymentId, { reason: `reversed:${reversal.reason}` });
      return 'closed';
    }
    // Not reversible: the provider may have finished the payment between the status read and the reversal (Bancard
    // TransactionAlreadyConfirmed: the buyer paid meanwhile). Asked again, a final answer is recorded as what it is.
    const again = await provider.status(record);
    const second = decide(record, again);
    if (second.kind === 'record' || second.kind === 'already') {
      await deps.settle(second, record.provider, record.paymentId, { reason: again.reason, authorizationCode: again.authorizationCode });
      return 'closed';
    }
    if (second.kind === 'mismatch') {
      await deps.settle(second, record.provider, record.paymentId, { reason: again.reason });
      return 'needs_person';
    }
    // Still open and not reversible: closed so the job stops asking, marked and alarmed for a person.
    await deps.settle(EXPIRED, record.provider, record.paymentId, { reason: `needs_manual_reversal:${reversal.reason}` });
    logger.error('Payment could not be reversed by the provider: a person must reverse it in the provider portal', { paymentId: record.paymentId, provider: record.provider, reason: reversal.reason });
    return 'needs_person';
  }

  return async function run(remainingMs: () => number): Promise<ExpiryRun> {
    const now = deps.now().getTime();
    const shortest = Math.min(deps.defaultAfterSeconds, ...deps.providers.map((provider) => windowOf(provider)));
    const before = new Date(now - shortest * 1000).toISOString();
    const summary = { looked: 0, closed: 0, notDue: 0, failed: 0, needsPerson: 0, stoppedEarly: false };
    // Pages of the oldest open payments: a page of payments still inside a longer window (PayU's 24 h) does not
    // starve the due ones behind it; at most batchLimit are asked about, and never past the time bound.
    let start: Record<string, unknown> | undefined;
    let pages = 0;
    do {
      const page = await deps.store.openPayments(before, deps.batchLimit, start);
      start = page.next;
      pages += 1;
      for (const record of page.items) {
        if (summary.closed + summary.failed + summary.needsPerson >= deps.batchLimit) break;
        // A token, a status read, a reversal and a second status read per payment at most, plus time for the writes:
        // stop before the timeout (the invocation's provider deadline cuts a longer chain).
        if (remainingMs() < 4 * deps.timeoutMs + 2000) {
          summary.stoppedEarly = true;
          break;
        }
        summary.looked += 1;
        await one(record, now, summary);
      }
    } while (start && !summary.stoppedEarly && pages < MAX_PAGES && summary.closed + summary.failed + summary.needsPerson < deps.batchLimit);
    logger.info('Payment expiry run', summary);
    if (summary.failed > 0 || summary.needsPerson > 0) {
      throw new Error(`payment expiry: ${summary.failed} payments could not be closed, ${summary.needsPerson} need a person (see the log)`);
    }
    return summary;
  };

  async function one(record: PaymentRecord, now: number, summary: { closed: number; notDue: number; failed: number; needsPerson: number }): Promise<void> {
    const provider = deps.providers.find((candidate) => candidate.name === record.provider);
    if (Date.parse(record.updatedAt ?? record.createdAt) + windowOf(provider) * 1000 > now) {
      summary.notDue += 1;
      return;
    }
    if (!provider?.status) {
      summary.failed += 1;
      logger.error('Open payment of a provider this job cannot ask', { paymentId: record.paymentId, provider: record.provider });
      return;
    }
    try {
      const result = await close(provider as PaymentProvider & Required<Pick<PaymentProvider, 'status'>>, record);
      if (result === 'closed') summary.closed += 1;
      else summary.needsPerson += 1;
    } catch (error) {
      summary.failed += 1;
      const detail = error instanceof ProviderError ? { kind: error.kind, reason: error.message } : { error: (error as Error)?.name };
      logger.warn('Open payment not closed this run; the next run asks again', { paymentId: record.paymentId, provider: record.provider, ...detail });
    }
  }
}
