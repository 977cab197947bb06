/**
 * The notifications API: `POST /notifications` accepts a request and answers 202 only once every delivery is
 * recorded `queued` and its message is on the queue; `GET /notifications/{id}` shows the deliveries' states to
 * the client that created it, and to a realm user the notification addressed to them with their own delivery.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type Caller, ownerIdOf, requireCaller } from '../../shared/caller';
import { checkedBody, errorResponse, header, HttpError, jsonResponse, parseJson, validated } from '../../shared/http';
import { logger } from '../../shared/logger';
import { acceptedBody, notificationView, planNotification, readAccess, replayDecision } from '../core';
import type { DeliveryQueue } from '../queue';
import { IdempotencyKey, MAX_BODY_BYTES, NotificationRequest } from '../contract';
import type { NotificationStore } from '../store';

export interface NotificationsApiDeps {
  readonly store: NotificationStore;
  readonly queue: Pick<DeliveryQueue, 'send'>;
  readonly now: () => Date;
  readonly newId: () => string;
  /** How long records (and so idempotency keys) are kept. */
  readonly retentionDays: number;
}

const NOT_FOUND = new HttpError(404, 'not_found', 'No such notification');

export function notificationsApi(deps: NotificationsApiDeps) {
  async function accept(event: APIGatewayProxyEvent, clientId: string): Promise<APIGatewayProxyResult> {
    const request = validated(NotificationRequest, parseJson(checkedBody(event, { maxBytes: MAX_BODY_BYTES, contentTypes: ['application/json'] })));
    const idempotencyKey = header(event, 'idempotency-key');
    if (idempotencyKey !== undefined && !IdempotencyKey.safeParse(idempotencyKey).success) {
      throw new HttpError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1-255 visible ASCII characters');
    }
    const plan = planNotification({ request, clientId, idempotencyKey, now: deps.now(), newId: deps.newId, retentionDays: deps.retentionDays });
    const { notificationId } = plan.notification;
    const location = { location: `/notifications/${notificationId}` };

    const outcome = await deps.store.createNotification(plan.notification);
    if (!outcome.created) {
      const decision = replayDecision(outcome.existing, plan.notification);
      if (decision === 'conflict') {
        throw new HttpError(422, 'idempotency_key_reused', 'This Idempotency-Key was already used with a different request');
      }
      if (decision === 'replay') {
        logger.info('Notification replayed', { notificationId });
        return jsonResponse(202, acceptedBody(outcome.existing), { ...location, 'idempotent-replayed': 'true' });
      }
      logger.info('Resuming an interrupted accept', { notificationId });
    }

    await deps.store.createDeliveries(plan.deliveries);
    try {
      await deps.queue.send(plan.deliveries.map(({ deliveryId }) => ({ schemaVersion: 1, notificationId, deliveryId })));
    } catch (error) {
      logger.error('Could not queue the deliveries', { notificationId, reason: error instanceof Error ? error.name : 'error' });
      throw new HttpError(
        503,
        'queue_unavailable',
        idempotencyKey === undefined
          ? 'The notification could not be queued. Without an Idempotency-Key a retry creates a new notification (and some messages of this one may still be delivered); send one to retry safely'
          : 'The notification could not be queued; retry with the same Idempotency-Key',
      );
    }
    await deps.store.markAccepted(notificationId);
    logger.info('Notification accepted', { notificationId, channel: request.channel, deliveries: plan.deliveries.length });
    return jsonResponse(202, acceptedBody(plan.notification), location);
  }

  async function read(notificationId: string | undefined, caller: Caller): Promise<APIGatewayProxyResult> {
    if (!notificationId || !/^[0-9a-f-]{36}$/.test(notificationId)) throw NOT_FOUND;
    const found = await deps.store.readNotification(notificationId);
    const access = found && readAccess(caller, found.notification);
    // 404, not 403, for someone else's notification: a 403 would confirm that the id exists, and ids sent with an
    // Idempotency-Key follow from (client, key), so a caller could probe which keys another client or user used.
    if (!found || !access) throw NOT_FOUND;
    return jsonResponse(200, notificationView(found.notification, found.deliveries, access.recipientId));
  }

  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    try {
      const caller = requireCaller(event);
      const route = `${event.httpMethod} ${event.resource}`;
      if (route === 'POST /notifications') return await accept(event, ownerIdOf(caller));
      if (route === 'GET /notifications/{id}') return await read(event.pathParameters?.id, caller);
      throw new HttpError(404, 'not_found', `No route ${route}`);
    } catch (error) {
      if (error instanceof HttpError) return errorResponse(error);
      // The name only: a message, stack or cause may quote the request (personal data) or an AWS answer.
      logger.error('Notification request failed', { reason: error instanceof Error ? error.name : 'error' });
      return errorResponse(new HttpError(500, 'internal_error', 'Internal error'));
    }
  };
}
