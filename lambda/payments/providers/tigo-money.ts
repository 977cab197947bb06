/**
 * Tigo Money (Millicom "Tigo Secure" payments API, v2): Paraguay, El Salvador, ... one MasterMerchant wallet per
 * country. Tigo Money Bolivia (SOAP/3DES VIPAGOS) is a different service: out of scope.
 *
 * Checkout (create): an OAuth token (`POST {base}/v1/oauth/mfs/payments/tokens`, HTTP Basic client_id:client_secret,
 * grant_type=client_credentials → accessToken; cached until shortly before expiresIn, dropped when refused) →
 * `POST {base}/v2/tigo/mfs/payments/authorizations` (MasterMerchant {account, pin, id}, Subscriber, redirectUri,
 * callbackUri, OriginPayment/LocalPayment amounts "0.00", merchantTransactionId = our paymentId) → the buyer is
 * redirected to Tigo's page and confirms with the wallet PIN. Tigo then calls callbackUri (POST) and sends the
 * buyer to redirectUri (GET, same fields in the query): NEITHER IS SIGNED, so each is answered only after
 * re-reading the transaction: `GET {base}/v2/tigo/mfs/payments/transactions/{ISO-3 country}/{MasterMerchant id}/
 * {merchantTransactionId}`, comparing MasterMerchant, mfsTransactionId (when the request named one) and
 * LocalPayment.amount/currency. Reverse: `DELETE` on that transaction (path and body uncertain: config-free guess
 * kept in one place, reversePath below). Sources: ../shared/reference/payments.md (Tigo Money), https://tigopesa-docs.netlify.app/api_spec.
 *
 * For wiring (core helper):
 * - options: TigoMoneyOptions below (ProviderConnection: baseUrl).
 * - secret JSON: {"clientId": "...", "clientSecret": "...", "masterMerchantPin": "..."} (the PIN moves money: secret).
 * - config: baseUrl (sandbox https://securesandbox.tigo.com; production host differs between sources,
 *   https://prod.api.tigo.com or https://secure.tigo.com (uncertain): config only), masterMerchantAccount,
 *   masterMerchantId, country (ISO-3, e.g. PRY), countryCallingCode (e.g. 595), currency (e.g. PYG), resultUrl (the
 *   checkout result page, PAYMENT_RESULT_URL); optional language (spa), expiresAfterSeconds.
 * - route GET|POST /payments/tigo-money/notify: sent (notifyUrl) as both callbackUri (Tigo's POST) and redirectUri
 *   (the buyer's GET) with every authorization, nothing to register by hand. The buyer's return is verified, then
 *   sent on (302) to resultUrl with `?paymentId=&provider=tigo-money&outcome=` (paid, rejected, aborted, expired,
 *   refunded, pending, or not_verified without a paymentId).
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { checkedBody, jsonResponse, parseJson, validated } from '../../shared/http';
import type { VerifiedPayment } from '../core';
import { TIGO_CALLBACK_LIMITS, type PaymentRecord, tigoMoneySchemas } from '../contract';
import { lazy } from '../../shared/lazy';
import type { CheckoutRequest, CreatedPayment, Notification, Outcome, PaymentProvider, ProviderConnection, ProviderRequest } from '../provider';
import { ProviderError, callProvider, formBody } from '../provider';
import { TokenCache, bearerCall, lifetimeSeconds } from './oauth-token';

export interface TigoMoneyCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly masterMerchantPin: string;
}

export interface TigoMoneyOptions extends ProviderConnection<TigoMoneyCredentials> {
  readonly masterMerchantAccount: string;
  readonly masterMerchantId: string;
  /** ISO 3166 alpha-3 (PRY, SLV, ...): the status path and Subscriber.country. */
  readonly country: string;
  /** Subscriber.countryCode, the calling code (595 for Paraguay). */
  readonly countryCallingCode: string;
  readonly currency: string;
  /** Where the verified buyer is sent (`outcome=pending`: Tigo has not finished; the page polls GET /payments/{id}). */
  readonly resultUrl: string;
  readonly language?: string;
  /** Tigo's own authorization window is not published (uncertain): 15 minutes by default. */
  readonly expiresAfterSeconds?: number;
  readonly now?: () => number;
}

/** Currencies without minor units in Tigo's markets; Tigo still writes amounts with two decimals ("10000.00"). */
const ZERO_DECIMALS = new Set(['PYG']);

/** Tigo's transactionStatus in our terms (expired / reversed: uncertain spellings); anything else is not judged. */
const OUTCOMES: Readonly<Record<string, VerifiedPayment['outcome']>> = {
  success: 'paid',
  fail: 'rejected',
  cancel: 'aborted',
  initiated: 'pending',
  expired: 'expired',
  reversed: 'refunded',
};

/** Tigo's answers, built at Tigo Money's first use (contract.ts khipuSchemas). */
const schemas = lazy(() => {
  const amountString = z.union([z.string().regex(/^\d{1,15}(\.\d{1,2})?$/), z.number().nonnegative()]).transform(Number);
  /** The transaction status answer (only the fields we check). */
  const TigoTransactionAnswer = z.object({
    Transaction: z.object({ merchantTransactionId: z.string().min(1), mfsTransactionId: z.string().nullish(), status: z.string().min(1) }),
    MasterMerchant: z.object({ id: z.union([z.string(), z.number()]).transform(String) }),
    LocalPayment: z.object({ amount: amountString, currencyCode: z.string().min(1) }),
  });
  const TokenAnswer = z.object({ accessToken: z.string().min(1), expiresIn: z.unknown().optional() });
  const AuthorizationAnswer = z.object({ redirectUrl: z.url(), authCode: z.string().optional() });
  return { TigoTransactionAnswer, TokenAnswer, AuthorizationAnswer };
});
export type TigoTransactionAnswer = z.infer<ReturnType<typeof schemas>['TigoTransactionAnswer']>;

/** Tigo's transaction → verified payment. `mfsTransactionId`: what the unsigned request claimed, if anything. */
export function tigoVerdict(answer: TigoTransactionAnswer, ours: { masterMerchantId: string; mfsTransactionId?: string }): VerifiedPayment {
  const { Transaction: transaction } = answer;
  const outcome = OUTCOMES[transaction.status.toLowerCase()] ?? 'pending';
  const mismatch =
    answer.MasterMerchant.id !== ours.masterMerchantId
      ? 'merchant_mismatch'
      : ours.mfsTransactionId !== undefined && transaction.mfsTransactionId != null && ours.mfsTransactionId !== transaction.mfsTransactionId
        ? 'mfs_transaction_mismatch'
        : undefined;
  return {
    provider: 'tigo-money',
    paymentId: transaction.merchantTransactionId,
    // Tigo's authorization answers no transaction id at create: the record keeps our merchantTransactionId.
    providerPaymentId: transaction.merchantTransactionId,
    outcome,
    amount: answer.LocalPayment.amount,
    currency: answer.LocalPayment.currencyCode.toUpperCase(),
    reason: transaction.status,
    ...(outcome === 'paid' && transaction.mfsTransactionId ? { authorizationCode: transaction.mfsTransactionId } : {}),
    ...(mismatch ? { mismatch } : {}),
  };
}

/** Our payment id, Tigo's merchantTransactionId: 20 characters, a time prefix and random digits (uncertain: Tigo publishes no length or alphabet). */
export function merchantTransactionId(now: Date, random: (bytes: number) => Uint8Array): string {
  const digits = Array.from(random(12), (byte) => String(byte % 10)).join('');
  return `${now.getTime().toString(36)}${digits}`.slice(0, 20).toUpperCase();
}

function callbackFields(request: ProviderRequest): unknown {
  if (request.httpMethod === 'GET') {
    return Object.fromEntries(Object.entries(request.queryStringParameters ?? {}).filter((entry): entry is [string, string] => entry[1] != null));
  }
  const body = checkedBody(request, TIGO_CALLBACK_LIMITS);
  if (body.subarray(0, 1).toString() === '{') return parseJson(body);
  return formBody(body);
}

export function tigoMoneyProvider(options: TigoMoneyOptions): PaymentProvider {
  const base = options.baseUrl.replace(/\/$/, '');
  const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json' };
  const decimals = (currency: string) => (ZERO_DECIMALS.has(currency) ? 0 : 2);

  const tokens = new TokenCache({
    now: options.now,
    issue: async () => {
      const { clientId, clientSecret } = await options.credentials();
      const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
      const headers = { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
      const answer = await callProvider('tigo-money', `${base}/v1/oauth/mfs/payments/tokens`, { method: 'POST', headers, body: 'grant_type=client_credentials' }, options.timeoutMs);
      if (answer.status === 429) throw new ProviderError('tigo-money', 'unavailable', 'token answered 429');
      if (answer.status === 400 || answer.status === 401 || answer.status === 403) {
        options.credentialsRejected();
        throw new ProviderError('tigo-money', 'credentials_rejected', `token answered ${answer.status}`);
      }
      const token = schemas().TokenAnswer.safeParse(answer.body);
      if (answer.status !== 200 || !token.success) throw new ProviderError('tigo-money', 'bad_response', `token answered ${answer.status} without an access token`);
      return { accessToken: token.data.accessToken, expiresInSeconds: lifetimeSeconds(token.data.expiresIn) };
    },
  });

  const call = (method: string, url: string, body?: unknown) =>
    bearerCall('tigo-money', tokens, options.credentialsRejected, url, { method, headers: jsonHeaders, body: body === undefined ? undefined : JSON.stringify(body) }, options.timeoutMs);

  const transactionPath = (paymentId: string) =>
    `${base}/v2/tigo/mfs/payments/transactions/${encodeURIComponent(options.country)}/${encodeURIComponent(options.masterMerchantId)}/${encodeURIComponent(paymentId)}`;
  /** (uncertain) The reverse is a DELETE on the transaction resource; its exact path is not public: one place. */
  const reversePath = transactionPath;

  async function query(paymentId: string, mfsTransactionId?: string): Promise<VerifiedPayment> {
    const answer = await call('GET', transactionPath(paymentId));
    if (answer.status === 404 || answer.status === 400) throw new ProviderError('tigo-money', 'unknown_reference', `status answered ${answer.status}`);
    const parsed = schemas().TigoTransactionAnswer.safeParse(answer.body);
    if (answer.status !== 200 || !parsed.success) throw new ProviderError('tigo-money', 'bad_response', `status answered ${answer.status} without a transaction`);
    return tigoVerdict(parsed.data, { masterMerchantId: options.masterMerchantId, mfsTransactionId });
  }

  return {
    name: 'tigo-money',
    route: { path: '/payments/tigo-money/notify', methods: ['GET', 'POST'] },
    verifyHasEffect: false,
    expiresAfterSeconds: options.expiresAfterSeconds ?? 900,
    checkoutRules: { currencies: [options.currency], decimals, maxDescriptionLength: 255, requiredBuyerFields: ['phone'] },

    newPaymentId: merchantTransactionId,

    async create(request: CheckoutRequest): Promise<CreatedPayment> {
      const { masterMerchantPin } = await options.credentials();
      const amount = request.amount.toFixed(2);
      const route = request.notifyUrl.replace(/\/+$/, '');
      const answer = await call('POST', `${base}/v2/tigo/mfs/payments/authorizations`, {
        MasterMerchant: { account: options.masterMerchantAccount, pin: masterMerchantPin, id: options.masterMerchantId },
        Subscriber: { account: request.buyer.phone, countryCode: options.countryCallingCode, country: options.country, emailId: request.buyer.email },
        // Both come back to our route: the return is verified like the callback before the buyer sees a result.
        redirectUri: route,
        callbackUri: route, // Tigo refuses a trailing slash
        language: options.language ?? 'spa',
        OriginPayment: { amount, currencyCode: request.currency, tax: '0.00', fee: '0.00' },
        LocalPayment: { amount, currencyCode: request.currency },
        merchantTransactionId: request.paymentId,
      });
      const created = schemas().AuthorizationAnswer.safeParse(answer.body);
      if ((answer.status !== 200 && answer.status !== 201) || !created.success) throw new ProviderError('tigo-money', 'bad_response', `authorizations answered ${answer.status}`);
      return { providerPaymentId: request.paymentId, next: { kind: 'redirect', url: created.data.redirectUrl } };
    },

    status: (record: PaymentRecord) => query(record.paymentId),

    async reverse(record: PaymentRecord) {
      const { masterMerchantPin } = await options.credentials();
      const answer = await call('DELETE', reversePath(record.paymentId), {
        MasterMerchant: { account: options.masterMerchantAccount, pin: masterMerchantPin, id: options.masterMerchantId },
        LocalPayment: { amount: record.amount.toFixed(2), currencyCode: record.currency },
      });
      if (answer.status === 200 || answer.status === 204) return { result: 'reversed' as const, reason: 'reversed by Tigo' };
      if (answer.status === 404) return { result: 'reversed' as const, reason: 'unknown at Tigo: nothing charged' };
      if (answer.status >= 400 && answer.status < 500) {
        const now = await query(record.paymentId);
        if (['rejected', 'aborted', 'expired', 'refunded'].includes(now.outcome)) return { result: 'reversed' as const, reason: now.reason };
        return { result: 'not_reversible' as const, reason: `reverse refused (${answer.status}) in status ${now.reason}` };
      }
      throw new ProviderError('tigo-money', 'bad_response', `reverse answered ${answer.status}`);
    },

    parseNotification(request: ProviderRequest): Notification {
      const fields = validated(tigoMoneySchemas().TigoMoneyCallback, callbackFields(request));
      // Unsigned: the claimed status is ignored; the ids only say which transaction to read back.
      return { kind: 'verify', reference: [fields.merchantTransactionId, fields.mfsTransactionId ?? ''].join('/') };
    },

    async verify(reference: string): Promise<VerifiedPayment> {
      const [paymentId, mfsTransactionId] = reference.split('/');
      if (!paymentId) throw new ProviderError('tigo-money', 'unknown_reference', 'not a Tigo Money reference');
      return query(paymentId, mfsTransactionId || undefined);
    },

    /** The callback (POST) gets JSON (200 unless the report is not ours: 422); the buyer (GET) a result page. */
    respond({ decision, paymentId, method }: Outcome): APIGatewayProxyResult {
      const final = decision.kind === 'record' || decision.kind === 'already' ? decision.status : undefined;
      if (method !== 'GET') {
        if (final) return jsonResponse(200, { outcome: final, paymentId, duplicate: decision.kind === 'already' });
        if (decision.kind === 'mismatch') return jsonResponse(422, { error: { code: 'verification_failed', message: 'The payment does not match the expected payment' } });
        return jsonResponse(200, { outcome: 'not_final', paymentId });
      }
      const outcome = decision.kind === 'mismatch' ? 'not_verified' : (final ?? 'pending');
      const location = new URL(options.resultUrl);
      if (paymentId !== undefined && decision.kind !== 'mismatch') location.searchParams.set('paymentId', paymentId);
      location.searchParams.set('provider', 'tigo-money');
      location.searchParams.set('outcome', outcome);
      return { statusCode: 302, headers: { location: location.toString(), 'cache-control': 'no-store' }, body: '' };
    },
  };
}
