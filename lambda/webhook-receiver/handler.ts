import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { checkedBody, errorResponse, header, HttpError, jsonResponse, parseJson } from '../shared/http';
import { logger } from '../shared/logger';
import { isUserLifecycleEvent, type NormalisedModyoEvent } from '../shared/modyo-events';
import { authenticationFailure, CODES_WORTH_A_REFRESH, type DedupeWindows, deliveryIdentity, isKnownEventType, normalise, parseModyoWebhook } from './core';
import type { WebhookSecretSource } from './credentials';
import type { DeliveryLedger } from './ledger';
import type { EventQueue, RawArchive } from './adapters';
import { WEBHOOK_MAX_BODY_BYTES, type WebhookAccepted } from './contract';

export interface ReceiverDeps {
  readonly secrets: WebhookSecretSource;
  readonly ledger: DeliveryLedger;
  readonly archive: RawArchive;
  readonly events: EventQueue;
  readonly identity: EventQueue;
  readonly headers: { readonly secret: string; readonly signature: string; readonly timestamp: string };
  readonly dedupe: DedupeWindows;
  readonly now?: () => number;
}

const LIMITS = { maxBytes: WEBHOOK_MAX_BODY_BYTES, contentTypes: ['application/json'] };

/**
 * The receive flow: check the request, authenticate, parse, then claim → archive → queue → complete. Only a
 * delivery that was archived and queued is answered 202; anything that failed to store is a 5xx so Modyo retries.
 */
export function createWebhookHandler(deps: ReceiverDeps): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  const now = deps.now ?? Date.now;

  async function authenticate(request: APIGatewayProxyEvent, rawBody: Buffer): Promise<void> {
    const sent = { secret: header(request, deps.headers.secret), signature: header(request, deps.headers.signature), timestamp: header(request, deps.headers.timestamp) };
    const failure = authenticationFailure(sent, rawBody, await deps.secrets.current(), now());
    if (!failure) return;
    if (CODES_WORTH_A_REFRESH.has(failure.code)) {
      const fresh = await deps.secrets.refreshed();
      if (fresh && !authenticationFailure(sent, rawBody, fresh, now())) return;
    }
    throw failure;
  }

  async function store(event: NormalisedModyoEvent, rawBody: Buffer, queued: boolean): Promise<void> {
    await deps.archive.put(event.archiveKey, rawBody, event.eventId);
    if (!queued) return;
    await Promise.all([deps.events.send(event), isUserLifecycleEvent(event) ? deps.identity.send(event) : undefined]);
  }

  return async (request) => {
    try {
      const rawBody = checkedBody(request, LIMITS);
      await authenticate(request, rawBody);
      const parsed = parseModyoWebhook(parseJson(rawBody));
      const receivedAtMs = now();
      const receivedAt = new Date(receivedAtMs).toISOString();
      const identity = deliveryIdentity(parsed, rawBody, receivedAtMs, deps.dedupe);
      normalise(parsed, identity.eventId, receivedAt); // a 400 before anything is claimed
      const queued = isKnownEventType(parsed.type);
      const claimLog = { eventId: identity.eventId, eventType: parsed.type, shape: parsed.shape };

      const claim = await unavailableOnFailure('claim', claimLog, () => deps.ledger.claim(identity));
      // A retry of a body-hash delivery gets back the event id of its first claim.
      const delivery = { ...identity, eventId: claim.eventId };
      const event = normalise(parsed, delivery.eventId, receivedAt);
      const log = { eventId: event.eventId, eventType: event.type, shape: event.shape };
      if (claim.status === 'completed') {
        logger.info('Duplicate delivery', { ...log, outcome: 'duplicate' });
        return accepted({ eventId: event.eventId, duplicate: true, queued });
      }
      if (claim.status === 'in_progress') {
        // The same delivery is being handled right now; it may still fail, so this one must not claim success.
        throw new HttpError(409, 'delivery_in_progress', 'The same event is being processed; retry later');
      }

      await unavailableOnFailure('store', log, async () => {
        try {
          await store(event, rawBody, queued);
        } catch (error) {
          await deps.ledger.release(delivery).catch(() => undefined); // else its lock runs out
          throw error;
        }
      });
      // Stored and queued: the answer is 202 even if the mark fails (a later duplicate is then redone, and
      // consumers deduplicate on eventId).
      await deps.ledger.complete(delivery).catch((error: unknown) => logger.error('Could not mark the delivery completed', { ...log, error: errorName(error) }));
      logger.info(queued ? 'Webhook accepted' : 'Webhook of an unknown type archived, not queued', { ...log, outcome: queued ? 'queued' : 'archived' });
      return accepted({ eventId: event.eventId, duplicate: false, queued });
    } catch (error) {
      if (error instanceof HttpError) {
        if (error.status >= 500) logger.error('Webhook not stored', { code: error.code });
        else logger.warn('Webhook rejected', { status: error.status, code: error.code });
        return errorResponse(error);
      }
      logger.error('Unexpected failure', { error: errorName(error) });
      return errorResponse(new HttpError(500, 'internal_error', 'Internal error'));
    }
  };
}

function accepted(body: WebhookAccepted): APIGatewayProxyResult {
  return jsonResponse(202, body);
}

/** A failing dependency is a 503: the sender should retry, and nothing was claimed as stored. */
async function unavailableOnFailure<T>(step: string, log: Record<string, string>, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    logger.error('Dependency failed', { ...log, step, error: errorName(error) });
    throw new HttpError(503, 'temporarily_unavailable', 'The event could not be stored; retry later');
  }
}

/** The error's name only: SDK messages may echo request data. */
function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
