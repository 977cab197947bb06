/**
 * Transbank WebPay Plus (REST v1.2) adapter. The buyer comes back to our return_url (GET or POST form): with
 * `token_ws` we commit (`PUT .../transactions/{token}`), which has an effect at Transbank and answers an error the
 * second time, so the handler runs it under Powertools idempotency; without it the payment was aborted (or timed
 * out) and nothing is committed. The buyer is answered with a redirect to the result page of the outcome.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { HttpError, validated } from '../shared/http';
import { type VerifiedPayment, webpayVerdict } from './core';
import { type Notification, type Outcome, type PaymentProvider, type ProviderConnection, ProviderError, type ProviderRequest, callProvider, parseForm } from './provider';
import { WebpayReturn, WebpayTransaction } from './contract';

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

  async function call(method: 'PUT' | 'GET', token: string): Promise<{ status: number; body: unknown }> {
    const { commerceCode, apiKeySecret } = await options.credentials();
    const headers = { 'Tbk-Api-Key-Id': commerceCode, 'Tbk-Api-Key-Secret': apiKeySecret, 'content-type': 'application/json', accept: 'application/json' };
    const answer = await callProvider('webpay', `${base}/${encodeURIComponent(token)}`, { method, headers }, options.timeoutMs);
    if (answer.status === 401 || answer.status === 403) {
      options.credentialsRejected();
      throw new ProviderError('webpay', 'credentials_rejected', `${method} answered ${answer.status}`);
    }
    return answer;
  }

  function transaction(body: unknown, token: string): VerifiedPayment {
    const parsed = WebpayTransaction.safeParse(body);
    if (!parsed.success) throw new ProviderError('webpay', 'bad_response', 'transaction does not match the REST v1.2 shape');
    const verdict = webpayVerdict(parsed.data, token);
    // Not final (INITIALIZED, no response code): an earlier commit may still be running, or the buyer is still on the
    // form. Throwing keeps it out of the stored commit result and leaves the record `created`; the buyer retries.
    if (verdict.outcome === 'pending') throw new ProviderError('webpay', 'not_final', `transaction not final yet (${verdict.reason})`);
    return verdict;
  }

  return {
    name: 'webpay',
    route: { path: '/payments/webpay/return', methods: ['GET', 'POST'] },
    verifyHasEffect: true,

    parseNotification(request: ProviderRequest): Notification {
      const fields = validated(WebpayReturn, returnFields(request));
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
