/**
 * One interface for every payment provider: read its request, verify with its API, answer it. Adding a provider
 * (Bancard, PayU, ...) is one adapter implementing this and one entry in index.ts.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { HttpError, checkedBody } from '../shared/http';
import { type Decision, type VerifiedPayment, formFields } from './core';
import { FORM_LIMITS, type ProviderName } from './contract';

export { FORM_LIMITS };

export type ProviderRequest = Pick<APIGatewayProxyEvent, 'httpMethod' | 'headers' | 'body' | 'isBase64Encoded' | 'queryStringParameters'>;

/** What a provider's request asks us to do. */
export type Notification =
  /** Ask the provider what happened to the payment behind this reference (Khipu notification token, WebPay token). */
  | { readonly kind: 'verify'; readonly reference: string }
  /** The buyer left the provider's page: no verification call, the token must match the record. */
  | { readonly kind: 'aborted'; readonly paymentId: string; readonly token: string | undefined };

/** What happened, for the provider-specific answer. */
export interface Outcome {
  readonly decision: Decision;
  readonly paymentId: string | undefined;
}

export interface PaymentProvider {
  readonly name: ProviderName;
  /** API route this provider's requests arrive on (resource path) and the methods it uses. */
  readonly route: { readonly path: string; readonly methods: readonly string[] };
  /** True when verifying has an effect at the provider (WebPay's commit), so a replay must reuse the stored result. */
  readonly verifyHasEffect: boolean;
  /** Reads the request; throws HttpError 400/415/413 for a request that is not the provider's. */
  parseNotification(request: ProviderRequest): Notification;
  /** Asks the provider; throws ProviderError when it cannot answer. */
  verify(reference: string): Promise<VerifiedPayment>;
  /** The provider-facing answer (JSON for a server-to-server notification, a redirect for a returning buyer). */
  respond(outcome: Outcome): APIGatewayProxyResult;
}

/**
 * The provider could not give an answer we can act on. `retryable` failures (5xx, timeout, our credentials
 * refused) become 5xx so the provider (or buyer) retries; `not_final` (the provider has not finished the
 * transaction yet) becomes 409 so the buyer retries; the others (it does not know the token) become 400.
 * Thrown inside an idempotent verification, none of them is stored as its result.
 */
export class ProviderError extends Error {
  constructor(
    readonly provider: ProviderName,
    readonly kind: 'unavailable' | 'timeout' | 'credentials_rejected' | 'unknown_reference' | 'bad_response' | 'not_final',
    message: string,
  ) {
    super(message);
    this.name = 'ProviderError';
  }

  get retryable(): boolean {
    return this.kind !== 'unknown_reference';
  }
}

/** JSON over HTTP with a deadline; network failures and timeouts become ProviderError. */
export async function callProvider(
  provider: ProviderName,
  url: string,
  init: { method: string; headers: Record<string, string> },
  timeoutMs: number,
): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    // fetch rejects with the signal's DOMException on timeout (not always an Error of this realm): judge by name.
    const name = (error as { name?: unknown } | undefined)?.name;
    const timedOut = name === 'TimeoutError' || name === 'AbortError';
    throw new ProviderError(provider, timedOut ? 'timeout' : 'unavailable', timedOut ? `no answer within ${timeoutMs} ms` : 'connection failed');
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.status >= 500) throw new ProviderError(provider, 'unavailable', `answered ${response.status}`);
  return { status: response.status, body };
}

/** Providers post small forms; anything else is not theirs. */
/** What every provider adapter is built with: where the provider is, its credentials, and the call deadline. */
export interface ProviderConnection<Credentials> {
  /** The provider's API base URL, from config. */
  readonly baseUrl: string;
  readonly credentials: () => Promise<Credentials>;
  /** Called when the provider refuses the credentials, so a rotated secret is read again. */
  readonly credentialsRejected: () => void;
  readonly timeoutMs: number;
}



/** The fields of a posted form (415 / 413 / 400 from checkedBody; a repeated field is ambiguous: 400). */
export function parseForm(request: ProviderRequest): Record<string, string> {
  const fields = formFields(checkedBody(request, FORM_LIMITS).toString('utf8'));
  if ('duplicate' in fields) throw new HttpError(400, 'validation_failed', `Field ${fields.duplicate} is repeated`, [{ field: fields.duplicate, message: 'repeated' }]);
  return fields;
}
