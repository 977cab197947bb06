/**
 * The notification flow, the same for every provider: parse the provider's request, verify with the provider, judge
 * against the payment record, record the final state once (conditional write), queue the event (outbox).
 * Adapters come in as arguments; index.ts wires the real ones.
 */
import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { logger } from '../../shared/logger';
import { HttpError, errorResponse } from '../../shared/http';
import { type VerifiedPayment, decide, decideAbort } from '../core';
import { type PaymentEventQueue, type PublisherDependencies, paymentPublisher } from '../events';
import { type Outcome, type PaymentProvider, ProviderError } from '../provider';
import { createSettler } from '../settle';
import type { PaymentStore } from '../store';

export interface PaymentDependencies {
  readonly providers: readonly PaymentProvider[];
  readonly store: Pick<PaymentStore, 'get' | 'finalise' | 'markPending' | 'clearOutbox'>;
  readonly events: Pick<PaymentEventQueue, 'send'>;
  /** Segmentation of paid realm users' payments (customer-sync profile updates); absent: none. */
  readonly segmentation?: PublisherDependencies['segmentation'];
  /** `provider.verify` under Powertools idempotency: the stored result is returned for a reference seen before. */
  readonly verifyOnce: (input: { provider: string; reference: string }) => Promise<VerifiedPayment>;
  readonly now: () => Date;
}

export function createPaymentHandler(deps: PaymentDependencies) {
  const publish = paymentPublisher({ events: deps.events, store: deps.store, segmentation: deps.segmentation });
  const settle = createSettler({ store: deps.store, publish, now: deps.now });

  function routed(event: APIGatewayProxyEvent): PaymentProvider {
    const path = event.resource ?? event.path ?? '';
    const provider = deps.providers.find((candidate) => path === candidate.route.path || path.endsWith(candidate.route.path));
    if (!provider) throw new HttpError(404, 'not_found', 'No payment provider serves this path');
    if (!provider.route.methods.includes(event.httpMethod)) throw new HttpError(405, 'method_not_allowed', `Use ${provider.route.methods.join(' or ')}`);
    return provider;
  }

  async function verify(provider: PaymentProvider, reference: string): Promise<VerifiedPayment> {
    return provider.verifyHasEffect ? deps.verifyOnce({ provider: provider.name, reference }) : provider.verify(reference);
  }

  async function handle(provider: PaymentProvider, event: APIGatewayProxyEvent): Promise<Outcome> {
    const notification = await provider.parseNotification(event);
    if (notification.kind === 'ping') return { decision: { kind: 'not_final' }, paymentId: undefined };
    if (notification.kind === 'aborted') {
      const record = await deps.store.get(notification.paymentId);
      const decision = decideAbort(record, notification.token);
      return { decision: await settle(decision, provider.name, notification.paymentId, { reason: 'aborted_by_buyer' }), paymentId: notification.paymentId };
    }
    const verified = await verify(provider, notification.reference);
    const record = verified.paymentId === undefined ? undefined : await deps.store.get(verified.paymentId);
    const decision = decide(record, verified);
    return { decision: await settle(decision, provider.name, verified.paymentId, verified), paymentId: verified.paymentId };
  }

  return async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    try {
      const provider = routed(event);
      return provider.respond({ ...(await handle(provider, event)), method: event.httpMethod });
    } catch (error) {
      return failure(error);
    }
  };

  function failure(error: unknown): APIGatewayProxyResult {
    if (error instanceof HttpError) return errorResponse(error);
    if (error instanceof ProviderError) {
      logger.warn('Payment provider gave no usable answer: nothing recorded', { provider: error.provider, kind: error.kind, reason: error.message });
      if (!error.retryable) return errorResponse(new HttpError(400, 'unknown_reference', 'The provider does not know this payment reference'));
      if (error.kind === 'not_final') {
        return errorResponse(new HttpError(409, 'in_progress', 'This payment is still being processed by the provider; try again in a moment'));
      }
      const status = error.kind === 'timeout' ? 504 : 502;
      return errorResponse(new HttpError(status, 'provider_unavailable', 'The payment provider could not be reached; try again'));
    }
    if (error instanceof IdempotencyAlreadyInProgressError) {
      return errorResponse(new HttpError(409, 'in_progress', 'This payment is being processed; try again in a moment'));
    }
    logger.error('Payment notification failed', { error: (error as Error)?.name, reason: (error as Error)?.message });
    return errorResponse(new HttpError(500, 'internal_error', 'The notification could not be processed; try again'));
  }
}
