/**
 * Writing what the core decided, the same for a provider's notification (api/), the expiry job (expiry/) and the
 * buyer's return: one conditional write per move, then the event (and segmentation) of a final state. A write that
 * loses (a replay, a concurrent notification) reads the record and reports what is recorded.
 */
import { logger } from '../shared/logger';
import { type Decision, type Judgement, isFinal } from './core';
import { type Publish, publishOwed } from './events';
import type { PaymentRecord, ProviderName } from './contract';
import type { PaymentStore } from './store';

export interface SettleDependencies {
  readonly store: Pick<PaymentStore, 'get' | 'finalise' | 'markPending'>;
  readonly publish: Publish;
  readonly now: () => Date;
}

export interface SettleDetails {
  readonly reason: string;
  readonly authorizationCode?: string;
}

/** Applies a judgement to the record `paymentId`; answers the Decision the provider's answer is built from. */
export function createSettler(deps: SettleDependencies) {
  return async function settle(judgement: Judgement, provider: ProviderName, paymentId: string | undefined, details: SettleDetails): Promise<Decision> {
    if (judgement.kind === 'mismatch') {
      logger.warn('Payment verification failed: nothing recorded', { security: true, provider, paymentId, problem: judgement.problem });
      return judgement;
    }
    if (paymentId === undefined || judgement.kind === 'not_final') {
      logger.info('Payment not final: nothing recorded', { provider, paymentId, providerStatus: details.reason });
      return { kind: 'not_final' };
    }
    if (judgement.kind === 'progress') {
      const moved = await deps.store.markPending(paymentId, details.reason, deps.now().toISOString());
      logger.info('Payment pending at the provider', { provider, paymentId, providerStatus: details.reason, moved: moved !== undefined });
      return { kind: 'not_final' };
    }
    let record: PaymentRecord | undefined;
    let result: Decision = judgement;
    if (judgement.kind === 'record') {
      record = await deps.store.finalise(paymentId, { status: judgement.status, ...details, at: deps.now().toISOString() });
    }
    if (!record) {
      // A replay, or a concurrent notification recorded first: report what is recorded and re-send its event if owed.
      record = await deps.store.get(paymentId);
      if (!record || !isFinal(record)) throw new Error('payment record changed while it was being recorded');
      result = { kind: 'already', status: record.status };
    }
    logger.info('Payment state recorded', { provider, paymentId, outcome: result.kind, status: result.status });
    await publishOwed(deps.publish, record, deps.now);
    return result;
  };
}
export type Settle = ReturnType<typeof createSettler>;
