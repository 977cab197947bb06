/**
 * One interface for every payment provider: read its request, verify with its API, answer it. Adding a provider
 * (Bancard, PayU, ...) is one adapter implementing this and one entry in index.ts.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type BodyLimits, HttpError, checkedBody } from '../shared/http';
import { type Decision, type VerifiedPayment, formFields } from './core';
import { FORM_LIMITS, type PaymentRecord, type ProviderName } from './contract';

export { FORM_LIMITS };

export type ProviderRequest = Pick<APIGatewayProxyEvent, 'httpMethod' | 'headers' | 'body' | 'isBase64Encoded' | 'queryStringParameters'>;

/** What a provider's request asks us to do. */
export type Notification =
  /** Ask the provider what happened to the payment behind this reference (Khipu notification token, WebPay token). */
  | { readonly kind: 'verify'; readonly reference: string }
  /** The buyer left the provider's page: no verification call, the token must match the record. */
  | { readonly kind: 'aborted'; readonly paymentId: string; readonly token: string | undefined }
  /** A request that carries no payment (Bancard's monitoring ping, an empty JSON every 5 minutes): answered, nothing asked or recorded. */
  | { readonly kind: 'ping' };

/** What happened, for the provider-specific answer. */
export interface Outcome {
  readonly decision: Decision;
  readonly paymentId: string | undefined;
  /**
   * The HTTP method of the provider's request: a provider that takes a server callback (POST) and the buyer's
   * browser return (GET) on one route answers each its own way (Tigo Money: JSON vs a redirect).
   */
  readonly method?: string;
}

export interface PaymentProvider {
  readonly name: ProviderName;
  /** API route this provider's requests arrive on (resource path) and the methods it uses. */
  readonly route: { readonly path: string; readonly methods: readonly string[] };
  /** True when verifying has an effect at the provider (WebPay's commit), so a replay must reuse the stored result. */
  readonly verifyHasEffect: boolean;
  /**
   * Reads the request; throws HttpError 400/415/413 for a request that is not the provider's. May be async: an
   * adapter that checks a signature made with its secret (Bancard's token, PayU's `sign`) reads the secret first.
   */
  parseNotification(request: ProviderRequest): Notification | Promise<Notification>;
  /** Asks the provider; throws ProviderError when it cannot answer. */
  verify(reference: string): Promise<VerifiedPayment>;
  /** The provider-facing answer (JSON for a server-to-server notification, a redirect for a returning buyer). */
  respond(outcome: Outcome): APIGatewayProxyResult;

  // --- Checkout, status and reversal (issue 13). Optional until every adapter implements them; a provider offered
  // at checkout implements all three of checkoutRules, newPaymentId and create.

  /** What checkout accepts for this provider (currencies, decimals, description length, buyer fields). */
  readonly checkoutRules?: CheckoutRules;
  /**
   * Our payment id in the form the provider accepts as its order reference (Bancard: an integer of up to 15
   * digits; others: up to 26 characters), so a notification's reference finds the record by key. `random` gives
   * uniformly random bytes.
   */
  newPaymentId?(now: Date, random: (bytes: number) => Uint8Array): string;
  /** Creates the payment at the provider; throws ProviderError when it cannot (nothing is shown to the buyer then). */
  create?(request: CheckoutRequest): Promise<CreatedPayment>;
  /**
   * Asks the provider what happened to a payment of ours (by its record, not by a notification): used by the
   * expiry job and by providers whose notification carries only our order reference. Throws ProviderError.
   */
  status?(record: PaymentRecord): Promise<VerifiedPayment>;
  /**
   * Cancels / rolls back / reverses a payment at the provider (Bancard rollback, Pay-me cancel, Tigo reverse, PayU
   * void/refund). `reversed`: the provider confirms nothing is (or stays) charged; `not_reversible`: it must be
   * handled by a person (e.g. Bancard TransactionAlreadyConfirmed). Throws ProviderError when it cannot answer.
   */
  reverse?(record: PaymentRecord): Promise<{ readonly result: 'reversed' | 'not_reversible'; readonly reason: string }>;
  /** Seconds after which a payment still `created`/`pending` is queried and closed by the expiry job (Bancard: 600). */
  readonly expiresAfterSeconds?: number;
}

/** Per-provider checkout rules, checked before anything is created (a clear 400 names the field). */
export interface CheckoutRules {
  /** ISO 4217 alphabetic codes this provider (as configured) charges in. */
  readonly currencies: readonly string[];
  /** Decimal places allowed per currency (PYG 0, CLP 0, PEN 2, ...). */
  readonly decimals: (currency: string) => number;
  /** Longest description the provider accepts (Bancard 20). */
  readonly maxDescriptionLength: number;
  /** Buyer fields the provider needs (Tigo Money: the wallet phone number; PayU: e-mail). */
  readonly requiredBuyerFields: readonly (keyof CheckoutBuyer)[];
}

export interface CheckoutBuyer {
  readonly email?: string;
  /** The buyer's phone / wallet number, digits only, without country code (Tigo Money's Subscriber.account). */
  readonly phone?: string;
  readonly name?: string;
}

/** What checkout asks the provider to create; the amount already satisfies the provider's CheckoutRules. */
export interface CheckoutRequest {
  /** Our id (from newPaymentId), the provider's order reference. */
  readonly paymentId: string;
  /** In the currency's major units (PYG 10000, PEN 150.5); adapters format it as their provider writes amounts. */
  readonly amount: number;
  readonly currency: string;
  readonly description: string;
  readonly buyer: CheckoutBuyer;
  /** Where the buyer's browser comes back to (our return route or the configured result page, with paymentId). */
  readonly returnUrl: string;
  /** Our provider-callback route for this provider (absolute URL), for providers that take it per request. */
  readonly notifyUrl: string;
}

/** What the browser needs next. */
export type NextStep =
  /** Send the buyer to this URL (Khipu, Tigo Money). */
  | { readonly kind: 'redirect'; readonly url: string }
  /** Post these fields to this URL from the browser (PayU WebCheckout, WebPay's token_ws). */
  | { readonly kind: 'form_post'; readonly url: string; readonly fields: Readonly<Record<string, string>> }
  /** Load the provider's script and open its iframe/modal with these parameters (Bancard process_id, Pay-me). */
  | { readonly kind: 'embedded'; readonly scriptUrl: string; readonly parameters: Readonly<Record<string, string>> };

export interface CreatedPayment {
  /** The provider's id for this payment, stored and compared with every later verification (may equal paymentId). */
  readonly providerPaymentId: string;
  readonly next: NextStep;
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
/** The time (epoch ms) by which every provider call of the current invocation must have ended. */
const invocationDeadline = new AsyncLocalStorage<number>();

/**
 * Runs one invocation's work with every provider call inside it ending by `deadline` (epoch ms). Each call has its
 * own deadline, but an invocation may chain several (a token, a call refused with 401, a new token, the call again,
 * a status read): the chain must still end while the function has time to record and answer.
 */
export function withProviderDeadline<T>(deadline: number, work: () => Promise<T>): Promise<T> {
  return invocationDeadline.run(deadline, work);
}

/**
 * The deadline for an invocation of a function with `remainingMs` left: `reserveMs` stays for the writes and the
 * answer after the last provider call. Without a Lambda context (a direct call in a test) there is none.
 */
export function invocationDeadlineFrom(context: { getRemainingTimeInMillis?: () => number } | undefined, reserveMs: number, now = Date.now()): number | undefined {
  const remaining = context?.getRemainingTimeInMillis?.();
  return remaining === undefined ? undefined : now + remaining - reserveMs;
}

export async function callProvider(
  provider: ProviderName,
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
  timeoutMs: number,
): Promise<{ status: number; body: unknown }> {
  const deadline = invocationDeadline.getStore();
  const budgetMs = deadline === undefined ? timeoutMs : Math.min(timeoutMs, deadline - Date.now());
  // Out of time: the call is not made, and the caller answers as for a timeout (the provider or buyer retries).
  if (budgetMs <= 0) throw new ProviderError(provider, 'timeout', 'no time left in this invocation for another call');
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(budgetMs) });
  } catch (error) {
    // fetch rejects with the signal's DOMException on timeout (not always an Error of this realm): judge by name.
    const name = (error as { name?: unknown } | undefined)?.name;
    const timedOut = name === 'TimeoutError' || name === 'AbortError';
    throw new ProviderError(provider, timedOut ? 'timeout' : 'unavailable', timedOut ? `no answer within ${budgetMs} ms` : 'connection failed');
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

/** What every provider adapter is built with: where the provider is, its credentials, and the call deadline. */
export interface ProviderConnection<Credentials> {
  /** The provider's API base URL, from config. */
  readonly baseUrl: string;
  readonly credentials: () => Promise<Credentials>;
  /** Called when the provider refuses the credentials, so a rotated secret is read again. */
  readonly credentialsRejected: () => void;
  readonly timeoutMs: number;
}

/** The fields of a form body already read; a repeated field is ambiguous: 400. */
export function formBody(body: Buffer): Record<string, string> {
  const fields = formFields(body.toString('utf8'));
  if ('duplicate' in fields) throw new HttpError(400, 'validation_failed', `Field ${fields.duplicate} is repeated`, [{ field: fields.duplicate, message: 'repeated' }]);
  return fields;
}

/** The fields of a posted form (415 / 413 / 400 from checkedBody; providers post small forms: FORM_LIMITS unless given). */
export function parseForm(request: ProviderRequest, limits: BodyLimits = FORM_LIMITS): Record<string, string> {
  return formBody(checkedBody(request, limits));
}
