/**
 * Checkout and "my payments" (Cognito: a realm user's token, or a machine client with the route's scope):
 *   POST /payments        creates the record (`created`), then the payment at the provider; answers 201 with what
 *                         the browser does next. Idempotency-Key: a retry with the same key and body answers the
 *                         first checkout (422 for another body under the key, 409 while the first still runs).
 *   GET  /payments        the caller's payments, newest first, paginated (`limit`, `cursor`)
 *   GET  /payments/{id}   one of them; anyone else's (or an unknown id) is 404
 */
import { IdempotencyAlreadyInProgressError, IdempotencyValidationError } from '@aws-lambda-powertools/idempotency';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { requireCaller } from '../../shared/caller';
import { HttpError, checkedBody, errorResponse, header, jsonResponse, parseJson, validated } from '../../shared/http';
import { logger } from '../../shared/logger';
import { apiBaseUrl, checkoutProblems, decodeCursor, encodeCursor, ownerOf, paymentView } from '../checkout-core';
import { CHECKOUT_MAX_BODY_BYTES, type CheckoutAnswer, CheckoutBody, CheckoutIdempotencyKey, PAYMENTS_PAGE, type PaymentRecord } from '../contract';
import { type PaymentProvider, ProviderError } from '../provider';
import type { PaymentStore } from '../store';

/** What one checkout does, given who pays: the function the Idempotency-Key wraps. */
export interface CheckoutInput {
  /** `<owner>:<Idempotency-Key>` (the idempotency record's key), or a fresh id without a key. */
  readonly key: string;
  readonly body: CheckoutBody;
  readonly owner: { owner: string; realmUid?: string; modyoUserId?: string };
  readonly apiBase: string;
}

export interface CheckoutDependencies {
  readonly providers: readonly PaymentProvider[];
  readonly store: Pick<PaymentStore, 'create' | 'get' | 'setProviderPaymentId' | 'byOwner'>;
  /** The page the buyer returns to; `paymentId` and `provider` are added. */
  readonly resultUrl: string;
  /** Runs `checkout` once per key (Powertools idempotency in index.ts; the same answer for a retry). */
  readonly once: (run: (input: CheckoutInput) => Promise<CheckoutAnswer>) => (input: CheckoutInput) => Promise<CheckoutAnswer>;
  readonly random: (bytes: number) => Uint8Array;
  readonly newId: () => string;
  readonly now: () => Date;
}

const NOT_FOUND = new HttpError(404, 'not_found', 'No such payment');

export function createCheckoutHandler(deps: CheckoutDependencies) {
  function offered(name: string): PaymentProvider & Required<Pick<PaymentProvider, 'create' | 'checkoutRules' | 'newPaymentId'>> {
    const provider = deps.providers.find((candidate) => candidate.name === name);
    if (!provider?.create || !provider.checkoutRules || !provider.newPaymentId) {
      throw new HttpError(400, 'validation_failed', `Provider ${name} is not offered here`, [{ field: 'provider', message: `offered: ${deps.providers.filter((p) => p.create).map((p) => p.name).join(', ')}` }]);
    }
    return provider as PaymentProvider & Required<Pick<PaymentProvider, 'create' | 'checkoutRules' | 'newPaymentId'>>;
  }

  /** The record, then the payment at the provider; a provider failure leaves the record `created` for the expiry job. */
  async function checkout({ body, owner, apiBase }: CheckoutInput): Promise<CheckoutAnswer> {
    const provider = offered(body.provider);
    const createdAt = deps.now().toISOString();
    let record: PaymentRecord | undefined;
    for (let attempt = 0; attempt < 3 && !record; attempt += 1) {
      const candidate: PaymentRecord = {
        paymentId: provider.newPaymentId(deps.now(), deps.random),
        provider: provider.name,
        amount: body.amount,
        currency: body.currency,
        status: 'created',
        description: body.description,
        createdAt,
        updatedAt: createdAt,
        outbox: 'open',
        ...owner,
      };
      if (await deps.store.create(candidate)) record = candidate;
    }
    if (!record) throw new Error('no free payment id after 3 draws');
    const returnUrl = new URL(deps.resultUrl);
    returnUrl.searchParams.set('paymentId', record.paymentId);
    returnUrl.searchParams.set('provider', provider.name);
    const created = await provider.create({
      paymentId: record.paymentId,
      amount: body.amount,
      currency: body.currency,
      description: body.description,
      buyer: body.buyer ?? {},
      returnUrl: returnUrl.toString(),
      notifyUrl: `${apiBase}${provider.route.path}`,
    });
    await deps.store.setProviderPaymentId(record.paymentId, created.providerPaymentId);
    logger.info('Payment created at the provider', { paymentId: record.paymentId, provider: provider.name, next: created.next.kind });
    return { ...paymentView(record), next: created.next };
  }
  const checkoutOnce = deps.once(checkout);

  async function create(event: APIGatewayProxyEvent, owner: CheckoutInput['owner']): Promise<APIGatewayProxyResult> {
    const body = validated(CheckoutBody, parseJson(checkedBody(event, { maxBytes: CHECKOUT_MAX_BODY_BYTES, contentTypes: ['application/json'] })));
    const problems = checkoutProblems(body, offered(body.provider).checkoutRules);
    if (problems.length > 0) throw new HttpError(400, 'validation_failed', 'The payment does not meet the provider\'s rules', problems);
    const key = header(event, 'idempotency-key');
    if (key !== undefined && !CheckoutIdempotencyKey.safeParse(key).success) {
      throw new HttpError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 8 to 128 letters, digits, "_", ".", ":" or "-"');
    }
    const apiBase = apiBaseUrl(event.requestContext);
    if (!apiBase) throw new Error('the request names no API domain to build the provider callback from');
    // Without a key each request is its own checkout: nothing to remember for a retry.
    const answer = key === undefined ? await checkout({ key: deps.newId(), body, owner, apiBase }) : await checkoutOnce({ key: `${owner.owner}:${key}`, body, owner, apiBase });
    return jsonResponse(201, answer, { location: `/payments/${answer.paymentId}` });
  }

  async function list(event: APIGatewayProxyEvent, owner: string): Promise<APIGatewayProxyResult> {
    const query = event.queryStringParameters ?? {};
    const limit = query.limit === undefined || query.limit === null ? PAYMENTS_PAGE.default : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > PAYMENTS_PAGE.max) {
      throw new HttpError(400, 'validation_failed', `limit must be a whole number from 1 to ${PAYMENTS_PAGE.max}`, [{ field: 'limit', message: 'out of range' }]);
    }
    const start = query.cursor ? decodeCursor(query.cursor, owner) : undefined;
    if (query.cursor && !start) throw new HttpError(400, 'validation_failed', 'cursor is not one this API gave you', [{ field: 'cursor', message: 'invalid' }]);
    const page = await deps.store.byOwner(owner, limit, start);
    return jsonResponse(200, { items: page.items.map(paymentView), ...(page.next && { nextCursor: encodeCursor(page.next) }) });
  }

  async function read(paymentId: string | undefined, owner: string): Promise<APIGatewayProxyResult> {
    if (!paymentId || !/^[0-9A-Za-z_-]{1,26}$/.test(paymentId)) throw NOT_FOUND;
    const record = await deps.store.get(paymentId);
    // 404, not 403, for someone else's payment: a 403 would confirm that the id exists.
    if (!record || record.owner !== owner) throw NOT_FOUND;
    return jsonResponse(200, paymentView(record));
  }

  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    try {
      const owner = ownerOf(requireCaller(event));
      if (!owner) throw new HttpError(403, 'not_a_realm_user', 'Payments belong to Modyo realm users: this token carries no modyo_realm / modyo_user_id');
      const route = `${event.httpMethod} ${event.resource}`;
      if (route === 'POST /payments') return await create(event, owner);
      if (route === 'GET /payments') return await list(event, owner.owner);
      if (route === 'GET /payments/{id}') return await read(event.pathParameters?.id, owner.owner);
      throw new HttpError(404, 'not_found', `No route ${route}`);
    } catch (error) {
      return failure(error);
    }
  };
}

function failure(error: unknown): APIGatewayProxyResult {
  if (error instanceof HttpError) return errorResponse(error);
  if (error instanceof IdempotencyValidationError) {
    return errorResponse(new HttpError(422, 'idempotency_key_reused', 'This Idempotency-Key was already used with a different payment'));
  }
  if (error instanceof IdempotencyAlreadyInProgressError) {
    return errorResponse(new HttpError(409, 'in_progress', 'A checkout with this Idempotency-Key is still running; try again in a moment'));
  }
  if (error instanceof ProviderError) {
    logger.warn('Payment provider did not create the payment; the record stays created for the expiry job', { provider: error.provider, kind: error.kind, reason: error.message });
    const status = error.kind === 'timeout' ? 504 : 502;
    return errorResponse(new HttpError(status, 'provider_unavailable', 'The payment provider did not create the payment; try again'));
  }
  logger.error('Checkout request failed', { reason: error instanceof Error ? error.name : 'error' });
  return errorResponse(new HttpError(500, 'internal_error', 'Internal error'));
}
