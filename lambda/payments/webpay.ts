/**
 * Transbank WebPay Plus (REST v1.2) adapter. Checkout creates the transaction (`POST .../transactions` with
 * buy_order = our payment id, session_id, amount, return_url = our /payments/webpay/return → token, url); the
 * browser then form-posts `token_ws` to `url` (https://transbankdevelopers.cl/referencia/webpay). The buyer comes back to our return_url (GET or POST form): with
 * `token_ws` we commit (`PUT .../transactions/{token}`), which has an effect at Transbank and answers an error the
 * second time, so the handler runs it under Powertools idempotency; without it the payment was aborted (or timed
 * out) and nothing is committed. The buyer is answered with a redirect to the result page of the outcome.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { HttpError, validated } from '../shared/http';
import * as z from 'zod';
import { type VerifiedPayment, timeRandomPaymentId, webpayVerdict } from './core';
import {
  type CheckoutRequest,
  type CreatedPayment,
  type Notification,
  type Outcome,
  type PaymentProvider,
  type ProviderConnection,
  ProviderError,
  type ProviderRequest,
  callProvider,
  parseForm,
} from './provider';
import { type PaymentRecord, webpaySchemas } from './contract';
import { lazy } from '../shared/lazy';

/** Transbank's answer to a transaction creation. Built at first use (contract.ts khipuSchemas). */
const webpayCreated = lazy(() => z.object({ token: z.string().min(1).max(64), url: z.string().url() }));
/**
 * (uncertain) How long after creation an unfinished WebPay transaction is asked about and closed: the buyer has a
 * few minutes on Transbank's form (its token stops being usable after that).
 */
const WEBPAY_WINDOW_SECONDS = 15 * 60;

export interface WebpayCredentials {
  readonly commerceCode: string;
  readonly apiKeySecret: string;
}

export interface ResultPages {
  readonly paid: string;
  readonly rejected: string;
  readonly aborted: string;
}

/** baseUrl e.g. `https://webpay3g.transbank.cl` */
export interface WebpayOptions extends ProviderConnection<WebpayCredentials> {
  readonly resultPages: ResultPages;
}

const TRANSACTIONS_PATH = '/rswebpaytransaction/api/webpay/v1.2/transactions';

function returnFields(request: ProviderRequest): Record<string, string> {
  if (request.httpMethod === 'POST') return parseForm(request);
  return Object.fromEntries(Object.entries(request.queryStringParameters ?? {}).filter((entry): entry is [string, string] => entry[1] != null));
}

export function webpayProvider(options: WebpayOptions): PaymentProvider {
  const base = `${options.baseUrl.replace(/\/$/, '')}${TRANSACTIONS_PATH}`;

  async function call(method: 'PUT' | 'GET' | 'POST', token: string | undefined, body?: unknown): Promise<{ status: number; body: unknown }> {
    const { commerceCode, apiKeySecret } = await options.credentials();
    const headers = { 'Tbk-Api-Key-Id': commerceCode, 'Tbk-Api-Key-Secret': apiKeySecret, 'content-type': 'application/json', accept: 'application/json' };
    const url = token === undefined ? base : `${base}/${encodeURIComponent(token)}`;
    const answer = await callProvider('webpay', url, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) }, options.timeoutMs);
    if (answer.status === 401 || answer.status === 403) {
      options.credentialsRejected();
      throw new ProviderError('webpay', 'credentials_rejected', `${method} answered ${answer.status}`);
    }
    return answer;
  }

  function read(body: unknown, token: string): VerifiedPayment {
    const parsed = webpaySchemas().WebpayTransaction.safeParse(body);
    if (!parsed.success) throw new ProviderError('webpay', 'bad_response', 'transaction does not match the REST v1.2 shape');
    return webpayVerdict(parsed.data, token);
  }

  function transaction(body: unknown, token: string): VerifiedPayment {
    const verdict = read(body, token);
    // Not final (INITIALIZED, no response code): an earlier commit may still be running, or the buyer is still on the
    // form. Throwing keeps it out of the stored commit result and leaves the record `created`; the buyer retries.
    if (verdict.outcome === 'pending') throw new ProviderError('webpay', 'not_final', `transaction not final yet (${verdict.reason})`);
    return verdict;
  }

  return {
    name: 'webpay',
    route: { path: '/payments/webpay/return', methods: ['GET', 'POST'] },
    verifyHasEffect: true,
    checkoutRules: { currencies: ['CLP'], decimals: () => 0, maxDescriptionLength: 255, requiredBuyerFields: [] },
    expiresAfterSeconds: WEBPAY_WINDOW_SECONDS,
    newPaymentId: timeRandomPaymentId,

    /** return_url is our return route (notifyUrl): the commit happens there, never on the result page. */
    async create(request: CheckoutRequest): Promise<CreatedPayment> {
      const answer = await call('POST', undefined, { buy_order: request.paymentId, session_id: request.paymentId, amount: request.amount, return_url: request.notifyUrl });
      if (answer.status !== 200) throw new ProviderError('webpay', 'bad_response', `create answered ${answer.status}`);
      const created = webpayCreated().safeParse(answer.body);
      if (!created.success) throw new ProviderError('webpay', 'bad_response', 'create answer does not match the REST v1.2 shape');
      return { providerPaymentId: created.data.token, next: { kind: 'form_post', url: created.data.url, fields: { token_ws: created.data.token } } };
    },

    /** The status read (safe to repeat); an unfinished transaction is reported `pending`, for the expiry job to close. */
    async status(record: PaymentRecord): Promise<VerifiedPayment> {
      if (!record.providerPaymentId) throw new ProviderError('webpay', 'unknown_reference', 'no WebPay token stored (create never answered)');
      const answer = await call('GET', record.providerPaymentId);
      if (answer.status === 200) return read(answer.body, record.providerPaymentId);
      if (answer.status === 404 || answer.status === 422) throw new ProviderError('webpay', 'unknown_reference', `status answered ${answer.status}`);
      throw new ProviderError('webpay', 'bad_response', `status answered ${answer.status}`);
    },

    parseNotification(request: ProviderRequest): Notification {
      const fields = validated(webpaySchemas().WebpayReturn, returnFields(request));
      // TBK_TOKEN means the buyer cancelled (alone) or left after a form error (with token_ws): never commit.
      if (fields.TBK_TOKEN !== undefined || fields.token_ws === undefined) {
        if (fields.TBK_ORDEN_COMPRA === undefined) throw new HttpError(400, 'validation_failed', 'TBK_ORDEN_COMPRA is required with TBK_TOKEN');
        return { kind: 'aborted', paymentId: fields.TBK_ORDEN_COMPRA, token: fields.TBK_TOKEN };
      }
      return { kind: 'verify', reference: fields.token_ws };
    },

    /**
     * Commits. Transbank answers 4xx to a second commit of the same token: when the stored commit result has
     * expired, or while an earlier commit (one that timed out on our side) is still running, or before the buyer
     * has finished the form. The transaction's status (a read, safe to repeat) is asked instead; a status that is
     * not final yet is a `not_final` ProviderError, never a rejection.
     */
    async verify(token: string): Promise<VerifiedPayment> {
      const commit = await call('PUT', token);
      if (commit.status === 200) return transaction(commit.body, token);
      if (commit.status !== 400 && commit.status !== 404 && commit.status !== 422) {
        throw new ProviderError('webpay', 'bad_response', `commit answered ${commit.status}`);
      }
      const status = await call('GET', token);
      if (status.status === 200) return transaction(status.body, token);
      throw new ProviderError('webpay', 'unknown_reference', `commit answered ${commit.status}, status ${status.status}`);
    },

    respond({ decision, paymentId }: Outcome): APIGatewayProxyResult {
      const page =
        decision.kind === 'record' || decision.kind === 'already'
          ? options.resultPages[decision.status === 'paid' || decision.status === 'aborted' ? decision.status : 'rejected']
          : decision.kind === 'not_final'
            ? options.resultPages.aborted
            : options.resultPages.rejected;
      const location = new URL(page);
      if (paymentId !== undefined && decision.kind !== 'mismatch') location.searchParams.set('paymentId', paymentId);
      return { statusCode: 302, headers: { location: location.toString(), 'cache-control': 'no-store' }, body: '' };
    },
  };
}
