/**
 * One delivery attempt, for one queued message: claim the delivery, send it through Modyo, record the outcome.
 * The claim is a conditional update, so a replayed or duplicated message never sends a delivery that is sent,
 * failed, or being sent by another invocation.
 */
import { ModyoApiError } from '../shared/modyo-admin';
import { logger } from '../shared/logger';
import { type DeliveryError, failureReason, isRetryableFailure } from './core';
import type { ModyoMessaging } from './modyo-messaging';
import type { DeliveryMessage } from './schema';
import type { NotificationStore } from './store';

export interface DeliveryDeps {
  readonly store: NotificationStore;
  readonly messaging: Pick<ModyoMessaging, 'send'>;
  readonly now: () => Date;
  /** How long an attempt holds the delivery: at least the worker's timeout, at most the queue's visibility timeout. */
  readonly leaseMs: number;
}

/** Thrown so the batch reports the message as failed and SQS delivers it again later (or to the DLQ). */
export class RetryLater extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryLater';
  }
}

export type DeliveryOutcome = 'sent' | 'failed' | 'already_final';

function deliveryErrorOf(error: unknown): DeliveryError {
  if (error instanceof ModyoApiError) return { status: error.status, reason: failureReason(error.status, error.errors, error.message) };
  // Not an answer from Modyo (secret unreadable, a bug): ours to fix, so worth retrying.
  return { status: 0, reason: `internal: ${error instanceof Error ? error.name : 'error'}` };
}

export async function deliver(message: DeliveryMessage, deps: DeliveryDeps): Promise<DeliveryOutcome> {
  const { notificationId, deliveryId } = message;
  const claimed = await deps.store.claimDelivery(notificationId, deliveryId, deps.now(), deps.leaseMs);
  if (!claimed) {
    const current = await deps.store.getDelivery(notificationId, deliveryId);
    if (!current) throw new Error(`No delivery record ${deliveryId} of notification ${notificationId}`);
    if (current.status === 'sent' || current.status === 'failed') {
      logger.info('Delivery already final; message dropped', { notificationId, deliveryId, status: current.status });
      return 'already_final';
    }
    throw new RetryLater(`Delivery ${deliveryId} is being attempted by another invocation`);
  }
  const notification = await deps.store.getNotification(notificationId);
  if (!notification) throw new Error(`No notification record ${notificationId}`);

  try {
    const { modyoMessageId } = await deps.messaging.send(notification, claimed);
    await deps.store.recordSent(notificationId, deliveryId, deps.now(), modyoMessageId);
    logger.info('Delivery sent', { notificationId, deliveryId, channel: notification.channel, attempts: claimed.attempts });
    return 'sent';
  } catch (error) {
    const failure = deliveryErrorOf(error);
    if (isRetryableFailure(failure.status)) {
      await deps.store.recordRetry(notificationId, deliveryId, deps.now(), failure);
      logger.warn('Delivery failed; will retry', { notificationId, deliveryId, status: failure.status, attempts: claimed.attempts });
      throw new RetryLater(`Delivery ${deliveryId} failed with status ${failure.status}`);
    }
    await deps.store.recordFailed(notificationId, deliveryId, deps.now(), failure);
    logger.warn('Delivery failed permanently', { notificationId, deliveryId, status: failure.status, attempts: claimed.attempts });
    return 'failed';
  }
}
