/**
 * Inbound profile updates from the CRM/CDP: validate, queue, answer 202 with the request id. API Gateway's Cognito
 * authorizer checks the machine client's token and scope; the handler still refuses a request without its claims.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ownerIdOf, requireCaller } from '../../shared/caller';
import { checkedBody, errorResponse, header, HttpError, jsonResponse, parseJson, validated } from '../../shared/http';
import { logger } from '../../shared/logger';
import { scopedRequestId } from '../core';
import { IdempotencyKey, MAX_BODY_BYTES, ProfileUpdateRequest, type QueuedProfileUpdate, RETRY_AFTER_SECONDS } from '../contract';


export interface InboundDependencies {
  readonly enqueue: (message: QueuedProfileUpdate) => Promise<void>;
  readonly newId: () => string;
  readonly now: () => Date;
}

export function inboundHandler(deps: InboundDependencies) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    try {
      // First: without a verified caller nothing is read, let alone queued (whatever the gateway in front).
      const caller = requireCaller(event);
      const update = validated(ProfileUpdateRequest, parseJson(checkedBody(event, { maxBytes: MAX_BODY_BYTES, contentTypes: ['application/json'] })));
      const key = header(event, 'idempotency-key');
      if (key !== undefined && !IdempotencyKey.safeParse(key).success) {
        throw new HttpError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 8 to 128 letters, digits, "_", ".", ":" or "-"');
      }
      const { clientId } = caller;
      const requestId = scopedRequestId(ownerIdOf(caller), key, deps.newId);
      try {
        await deps.enqueue({ schemaVersion: 1, requestId, receivedAt: deps.now().toISOString(), clientId, update });
      } catch (error) {
        // Nothing was queued: the caller should retry (with the same key, so a retry that overlaps is applied once).
        logger.error('profile update not queued', { requestId, error: error instanceof Error ? error.name : 'unknown' });
        const unavailable = errorResponse(new HttpError(503, 'queue_unavailable', 'The update could not be queued; retry later with the same Idempotency-Key'));
        return { ...unavailable, headers: { ...unavailable.headers, 'retry-after': String(RETRY_AFTER_SECONDS) } };
      }
      logger.info('profile update queued', { requestId, action: update.action, realmUid: update.realmUid, clientId });
      return jsonResponse(202, { requestId, status: 'queued' });
    } catch (error) {
      if (error instanceof HttpError) return errorResponse(error);
      logger.error('profile update not queued', { error: error instanceof Error ? error.name : 'unknown' });
      return errorResponse(new HttpError(500, 'internal_error', 'The update could not be queued; retry later'));
    }
  };
}
