/**
 * One delivery attempt, for one queued message: claim the delivery, send it through Modyo, record the outcome.
 * The claim is a conditional update, so a replayed or duplicated message never sends a delivery that is sent,
 * failed, or being sent by another invocation.
 *
 * Once Modyo has accepted a send, nothing may make the delivery claimable again: only the send is treated as a
 * Modyo failure; the `sent` write is retried, and if it keeps failing the attempt fails while still holding its
 * lease (a duplicate message cannot claim it until the lease ends) and remembers the accepted send in this
 * container, so a redelivery that reaches the same container records `sent` instead of sending again.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ModyoApiError } from '../../shared/modyo-admin';
import { logger } from '../../shared/logger';
import { type DeliveryError, failureReason, isRetryableFailure } from '../core';
import type { ModyoMessaging } from '../modyo-messaging';
import type { DeliveryMessage } from '../contract';
import type { NotificationStore } from '../store';

export interface DeliveryDeps {
  readonly store: NotificationStore;
  readonly messaging: Pick<ModyoMessaging, 'send'>;
  readonly now: () => Date;
  /** How long an attempt holds the delivery: at least the worker's timeout, at most the queue's visibility timeout. */
  readonly leaseMs: number;
  /** Tries of the `sent` write after Modyo accepted (default 4), `recordDelayMs` apart, doubling (default 200). */
  readonly recordAttempts?: number;
  readonly recordDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Sends Modyo accepted whose `sent` write failed, by delivery id: kept for the container's life (bounded), so a
   * redelivery here records them instead of sending again. Omit to disable.
   */
  readonly unrecorded?: Map<string, { modyoMessageId?: string }>;
}

const MAX_UNRECORDED = 1000;

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

/** Thrown when Modyo accepted the send but the `sent` write kept failing: the lease is kept, never released. */
export class UnrecordedSend extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnrecordedSend';
  }
}

/**
 * Records `sent`, retried. Resolves true once written, or when the delivery turned final meanwhile (nothing left
 * to record); false when every try failed.
 */
async function recordSentRetried(message: DeliveryMessage, modyoMessageId: string | undefined, deps: DeliveryDeps): Promise<boolean> {
  const { notificationId, deliveryId } = message;
  const attempts = Math.max(1, deps.recordAttempts ?? 4);
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt += 1) {
    try {
      await deps.store.recordSent(notificationId, deliveryId, deps.now(), modyoMessageId);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        // Already final (or expired by TTL): never overwritten, and nothing to send again.
        logger.warn('Delivery was final before its send was recorded', { notificationId, deliveryId });
        return true;
      }
      logger.warn('Could not record a sent delivery', { notificationId, deliveryId, attempt, reason: error instanceof Error ? error.name : 'error' });
      if (attempt >= attempts) return false;
      await sleep((deps.recordDelayMs ?? 200) * 2 ** (attempt - 1));
    }
  }
}

/** Modyo accepted it: record `sent`, or fail keeping the lease (never `recordRetry`, which would free it). */
async function finishSent(message: DeliveryMessage, modyoMessageId: string | undefined, deps: DeliveryDeps): Promise<void> {
  const { notificationId, deliveryId } = message;
  if (await recordSentRetried(message, modyoMessageId, deps)) {
    deps.unrecorded?.delete(deliveryId);
    return;
  }
  if (deps.unrecorded) {
    if (deps.unrecorded.size >= MAX_UNRECORDED) deps.unrecorded.delete(deps.unrecorded.keys().next().value as string);
    deps.unrecorded.set(deliveryId, { modyoMessageId });
  }
  logger.error('Delivery sent but not recorded; the lease is kept', { notificationId, deliveryId, modyoMessageId });
  throw new UnrecordedSend(`Delivery ${deliveryId} was accepted by Modyo but could not be recorded sent`);
}

export async function deliver(message: DeliveryMessage, deps: DeliveryDeps): Promise<DeliveryOutcome> {
  const { notificationId, deliveryId } = message;
  const unrecorded = deps.unrecorded?.get(deliveryId);
  if (unrecorded) {
    // Sent by an earlier attempt in this container, not yet recorded: record it, never send again.
    await finishSent(message, unrecorded.modyoMessageId, deps);
    logger.info('Delivery sent earlier; recorded now', { notificationId, deliveryId });
    return 'sent';
  }
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

  let modyoMessageId: string | undefined;
  try {
    ({ modyoMessageId } = await deps.messaging.send(notification, claimed));
  } catch (error) {
    const failure = deliveryErrorOf(error);
    if (isRetryableFailure(failure.status)) {
      await deps.store.recordRetry(notificationId, deliveryId, deps.now(), failure);
      logger.warn('Delivery failed; will retry', { notificationId, deliveryId, recipientId: claimed.recipientId, status: failure.status, attempts: claimed.attempts });
      throw new RetryLater(`Delivery ${deliveryId} failed with status ${failure.status}`);
    }
    await deps.store.recordFailed(notificationId, deliveryId, deps.now(), failure);
    logger.warn('Delivery failed permanently', { notificationId, deliveryId, recipientId: claimed.recipientId, status: failure.status, attempts: claimed.attempts });
    return 'failed';
  }
  await finishSent(message, modyoMessageId, deps);
  logger.info('Delivery sent', { notificationId, deliveryId, recipientId: claimed.recipientId, channel: notification.channel, attempts: claimed.attempts });
  return 'sent';
}
