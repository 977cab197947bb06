/**
 * Pay-me by Alignet, new API (Peru PEN 604 / USD 840; also Bolivia BOB 068 and Costa Rica CRC 188).
 *
 * Checkout (create): an OAuth client-credentials token (`POST {auth}/token` with audience and scopes, header
 * ALG-API-VERSION; cached until shortly before `expires_in`, dropped when refused) → `POST {api}/charges` registers
 * the operation (merchant_operation_number = our paymentId, amount in minor units as a string, numeric currency,
 * callback_url = our notify route) → `POST {auth}/nonce` → the browser opens Pay-me Flex (embedded) with the nonce
 * and the operation. Alignet POSTs a JSON notification to callback_url with header `signature` (base64 RSA-SHA512,
 * PKCS#1 v1.5, over the raw body): checked with Alignet's public key of the environment (config); then the charge is
 * read back (`GET {api}/charges/{merchant_code}/{merchant_operation_number}/{transaction_id}`) and only that answer
 * is judged. Reverse: `DELETE {api}/charges/{merchant_code}/{merchant_operation_number}` (REGISTRADO/PENDIENTE →
 * CANCELADO, AUTORIZADO → EXTORNADO); a settled charge (LIQUIDADO) needs the refunds API: `not_reversible`.
 * Docs: https://docs.pay-me.com/api-reference/notificacion-servertoserver,
 * https://docs.pay-me.com/en/pay-me-api-orquestador/v2/api-de-consulta,
 * https://docs.pay-me.com/api-reference/payin/cancelar-o-extornar-operacion-ecommerce,
 * https://docs.pay-me.com/checkout-web/flex/api-nonce,
 * https://docs.pay-me.com/api-orquestador/Working-version/generar-llaves-del-comercio (client_credentials token).
 *
 * For wiring (core helper):
 * - options: PaymeOptions below (ProviderConnection: baseUrl = the charges API).
 * - secret JSON: {"clientId": "...", "clientSecret": "..."}.
 * - config: apiBaseUrl (https://api.alignet.io; pre-production https://api.preprod.alignet.io), authBaseUrl
 *   (https://auth.alignet.io; pre-production https://auth.preprod.alignet.io), audience (the API base URL as Alignet
 *   names it), apiVersion (ALG-API-VERSION), merchantCode, publicKeyPem (Alignet's notification public key),
 *   currencies (subset of PEN, USD, BOB, CRC), flexScriptUrl; optional scopes, paymentMethod,
 *   operationNumberDigits, expiresAfterSeconds.
 * - route POST /payments/payme/notify (application/json, PAYME_NOTIFICATION_LIMITS): it is sent as callback_url
 *   with every charge, nothing to register by hand.
 * Legacy V-POS2 (SHA-512 purchaseVerification, `.../VPOS2/rest/operationAcquirer/consulte`): out of scope, its
 * query schema is undocumented (uncertain).
 */
import { constants, createPublicKey, verify as verifySignature } from 'node:crypto';
import type { APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { logger } from '../../shared/logger';
import { HttpError, checkedBody, header, jsonResponse, parseJson, validated } from '../../shared/http';
import type { VerifiedPayment } from '../core';
import { PAYME_NOTIFICATION_LIMITS, type PaymentRecord, paymeSchemas } from '../contract';
import { lazy } from '../../shared/lazy';
import type { CheckoutRequest, CreatedPayment, Notification, Outcome, PaymentProvider, ProviderConnection, ProviderRequest } from '../provider';
import { ProviderError, callProvider } from '../provider';
import { TokenCache, bearerCall, lifetimeSeconds } from './oauth-token';

export interface PaymeCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface PaymeOptions extends ProviderConnection<PaymeCredentials> {
  readonly authBaseUrl: string;
  readonly audience: string;
  /** e.g. "1709847567" (the docs show 1618440906 and 1709847567 in different versions: uncertain, so config). */
  readonly apiVersion: string;
  readonly merchantCode: string;
  /** Alignet's notification public key (PEM, RSA 2048) of this environment. */
  readonly publicKeyPem: string;
  readonly currencies: readonly string[];
  /** The Pay-me Flex library the browser loads. */
  readonly flexScriptUrl: string;
  /** Space-separated (uncertain: which scopes the status read needs is not published). */
  readonly scopes?: string;
  /** payment_method.method_name of the registered charge (uncertain: the docs show CARD, YAPE, PAGOEFECTIVO, ...). */
  readonly paymentMethod?: string;
  /** Length of merchant_operation_number (uncertain: "numeric, at least 6 digits"; legacy V-POS2 took 9). */
  readonly operationNumberDigits?: number;
  /** Alignet's own window of a registered operation is not published (uncertain): 30 minutes by default. */
  readonly expiresAfterSeconds?: number;
  readonly now?: () => number;
}

/** ISO 4217 numeric codes Alignet writes; every one of these currencies has two decimals. */
export const PAYME_CURRENCIES: Readonly<Record<string, string>> = { PEN: '604', USD: '840', BOB: '068', CRC: '188' };

/** Alignet's states in our terms; anything else is not judged (pending). */
const OUTCOMES: Readonly<Record<string, VerifiedPayment['outcome']>> = {
  REGISTRADO: 'pending',
  PENDIENTE: 'pending',
  AUTORIZADO: 'paid',
  LIQUIDADO: 'paid',
  DEPOSITADO: 'paid',
  DENEGADO: 'rejected',
  INVALIDO: 'rejected',
  EXPIRADO: 'expired',
  CANCELADO: 'aborted',
  EXTORNADO: 'refunded',
  DEVUELTO: 'refunded',
};

/** Alignet's answers, built at Pay-me's first use (contract.ts khipuSchemas). */
const schemas = lazy(() => {
  const minorUnits = z.string().regex(/^\d{1,15}$/);
  const PaymeTransaction = z.object({
    transaction_id: z.string().min(1),
    state: z.string().min(1),
    amount: minorUnits,
    currency: z.string().min(1),
    processor_response: z.object({ authorization_code: z.string().nullish(), result_message: z.object({ code: z.string().nullish() }).nullish() }).nullish(),
  });
  /** The status (and cancel) answer: the operation with its transactions. */
  const PaymeOperationAnswer = z.object({
    merchant_code: z.string().min(1),
    operation: z.object({ merchant_operation_number: z.string().min(1), state: z.string().min(1), transactions: z.array(PaymeTransaction) }),
  });
  const TokenAnswer = z.object({ access_token: z.string().min(1), expires_in: z.unknown().optional() });
  const ChargeAnswer = z.object({ transaction: z.object({ transaction_id: z.string().min(1) }) });
  const NonceAnswer = z.object({ nonce: z.string().min(1) });
  return { PaymeOperationAnswer, TokenAnswer, ChargeAnswer, NonceAnswer };
});
export type PaymeOperationAnswer = z.infer<ReturnType<typeof schemas>['PaymeOperationAnswer']>;

/** Alignet's status answer → verified payment, judged on the transaction the notification named. */
export function paymeVerdict(answer: PaymeOperationAnswer, ours: { merchantCode: string; transactionId: string }): VerifiedPayment | undefined {
  const transaction = answer.operation.transactions.find((candidate) => candidate.transaction_id === ours.transactionId);
  if (!transaction) return undefined;
  const currency = Object.keys(PAYME_CURRENCIES).find((code) => PAYME_CURRENCIES[code] === transaction.currency) ?? `numeric:${transaction.currency}`;
  const outcome = OUTCOMES[transaction.state] ?? 'pending';
  const authorizationCode = outcome === 'paid' ? (transaction.processor_response?.authorization_code ?? undefined) : undefined;
  return {
    provider: 'payme',
    paymentId: answer.operation.merchant_operation_number,
    providerPaymentId: transaction.transaction_id,
    outcome,
    amount: Number(transaction.amount) / 100,
    currency,
    reason: `${transaction.state}/${transaction.processor_response?.result_message?.code ?? '-'}`,
    ...(authorizationCode ? { authorizationCode } : {}),
    ...(answer.merchant_code === ours.merchantCode ? {} : { mismatch: 'merchant_mismatch' }),
  };
}

/** Our payment id: the operation number Alignet takes, digits only, never starting with 0. */
export function operationNumber(random: (bytes: number) => Uint8Array, digits: number): string {
  let out = '';
  while (out.length < digits) {
    for (const byte of random(digits * 2)) {
      if (byte >= 250 || out.length === digits || (out.length === 0 && byte % 10 === 0)) continue; // unbiased digits
      out += String(byte % 10);
    }
  }
  return out;
}

export function paymeProvider(options: PaymeOptions): PaymentProvider {
  // A bad PEM is a configuration error: fail at cold start, not at the first notification.
  const publicKey = createPublicKey(options.publicKeyPem);
  const api = options.baseUrl.replace(/\/$/, '');
  const auth = options.authBaseUrl.replace(/\/$/, '');
  const scopes = options.scopes ?? 'create:token post:charges delete:charges';
  const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json', 'ALG-API-VERSION': options.apiVersion };

  const tokens = new TokenCache({
    now: options.now,
    issue: async () => {
      const { clientId, clientSecret } = await options.credentials();
      const body = JSON.stringify({ action: 'authorize', grant_type: 'client_credentials', audience: options.audience, client_id: clientId, client_secret: clientSecret, scope: scopes });
      const answer = await callProvider('payme', `${auth}/token`, { method: 'POST', headers: jsonHeaders, body }, options.timeoutMs);
      if (answer.status === 429) throw new ProviderError('payme', 'unavailable', 'token answered 429');
      if (answer.status === 400 || answer.status === 401 || answer.status === 403) {
        options.credentialsRejected();
        throw new ProviderError('payme', 'credentials_rejected', `token answered ${answer.status}`);
      }
      const token = schemas().TokenAnswer.safeParse(answer.body);
      if (answer.status !== 200 || !token.success) throw new ProviderError('payme', 'bad_response', `token answered ${answer.status} without an access token`);
      return { accessToken: token.data.access_token, expiresInSeconds: lifetimeSeconds(token.data.expires_in) };
    },
  });

  const call = (method: string, url: string, body?: unknown) =>
    bearerCall('payme', tokens, options.credentialsRejected, url, { method, headers: jsonHeaders, body: body === undefined ? undefined : JSON.stringify(body) }, options.timeoutMs);

  const operationPath = (paymentId: string) => `${api}/charges/${encodeURIComponent(options.merchantCode)}/${encodeURIComponent(paymentId)}`;

  async function query(paymentId: string, transactionId: string): Promise<VerifiedPayment> {
    const answer = await call('GET', `${operationPath(paymentId)}/${encodeURIComponent(transactionId)}`);
    if (answer.status === 404 || answer.status === 400) throw new ProviderError('payme', 'unknown_reference', `status answered ${answer.status}`);
    const parsed = schemas().PaymeOperationAnswer.safeParse(answer.body);
    if (answer.status !== 200 || !parsed.success) throw new ProviderError('payme', 'bad_response', `status answered ${answer.status} without an operation`);
    const verdict = paymeVerdict(parsed.data, { merchantCode: options.merchantCode, transactionId });
    if (!verdict) throw new ProviderError('payme', 'unknown_reference', 'the operation has no such transaction');
    return verdict;
  }

  return {
    name: 'payme',
    route: { path: '/payments/payme/notify', methods: ['POST'] },
    verifyHasEffect: false,
    expiresAfterSeconds: options.expiresAfterSeconds ?? 1800,
    checkoutRules: {
      currencies: options.currencies.filter((currency) => currency in PAYME_CURRENCIES),
      decimals: () => 2,
      maxDescriptionLength: 255,
      requiredBuyerFields: ['email'],
    },

    newPaymentId: (_now, random) => operationNumber(random, options.operationNumberDigits ?? 12),

    async create(request: CheckoutRequest): Promise<CreatedPayment> {
      const amount = String(Math.round(request.amount * 100));
      const currency = PAYME_CURRENCIES[request.currency];
      if (!currency) throw new ProviderError('payme', 'bad_response', `currency ${request.currency} is not one Pay-me charges in`);
      const charge = await call('POST', `${api}/charges`, {
        action: 'authorize',
        channel: 'ecommerce',
        merchant_code: options.merchantCode,
        merchant_operation_number: request.paymentId,
        // Where a charge keeps its callback_url, as Alignet's cancel answer shows it (uncertain for every method).
        payment_method: { method_name: options.paymentMethod ?? 'CARD', method_details: { callback_url: request.notifyUrl } },
        payment_details: { amount, currency, customer: { email: request.buyer.email, first_name: request.buyer.name } },
        additional_fields: { description: request.description, return_url: request.returnUrl },
      });
      const created = schemas().ChargeAnswer.safeParse(charge.body);
      if ((charge.status !== 200 && charge.status !== 201) || !created.success) throw new ProviderError('payme', 'bad_response', `charges answered ${charge.status}`);
      const { clientId } = await options.credentials();
      const nonce = await call('POST', `${auth}/nonce`, { action: 'create.nonce', audience: options.audience, client_id: clientId, scope: 'post:charges' });
      const issued = schemas().NonceAnswer.safeParse(nonce.body);
      if (nonce.status !== 200 || !issued.success) throw new ProviderError('payme', 'bad_response', `nonce answered ${nonce.status}`);
      const transactionId = created.data.transaction.transaction_id;
      return {
        providerPaymentId: transactionId,
        next: {
          kind: 'embedded',
          scriptUrl: options.flexScriptUrl,
          parameters: { nonce: issued.data.nonce, merchant_code: options.merchantCode, merchant_operation_number: request.paymentId, transaction_id: transactionId, amount, currency },
        },
      };
    },

    async status(record: PaymentRecord): Promise<VerifiedPayment> {
      if (!record.providerPaymentId) throw new ProviderError('payme', 'unknown_reference', 'no Alignet transaction id stored');
      return query(record.paymentId, record.providerPaymentId);
    },

    async reverse(record: PaymentRecord) {
      const answer = await call('DELETE', operationPath(record.paymentId));
      const parsed = schemas().PaymeOperationAnswer.safeParse(answer.body);
      if (answer.status === 200 && parsed.success && ['CANCELADO', 'EXTORNADO'].includes(parsed.data.operation.state)) {
        return { result: 'reversed' as const, reason: parsed.data.operation.state };
      }
      if (answer.status === 404) return { result: 'reversed' as const, reason: 'unknown at Alignet: nothing charged' };
      if (answer.status >= 400 && answer.status < 500 && record.providerPaymentId) {
        // Refused: already closed (nothing charged) or settled (only the refunds API, by a person).
        const now = await query(record.paymentId, record.providerPaymentId);
        if (['rejected', 'aborted', 'expired', 'refunded'].includes(now.outcome)) return { result: 'reversed' as const, reason: now.reason };
        return { result: 'not_reversible' as const, reason: `cancel refused (${answer.status}) in state ${now.reason}: refund through Alignet's refunds API` };
      }
      throw new ProviderError('payme', 'bad_response', `cancel answered ${answer.status}`);
    },

    parseNotification(request: ProviderRequest): Notification {
      const body = checkedBody(request, PAYME_NOTIFICATION_LIMITS);
      const signature = header(request, 'signature') ?? '';
      const valid =
        signature.length > 0 &&
        signature.length <= 1024 &&
        verifySignature('sha512', body, { key: publicKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(signature, 'base64'));
      if (!valid) {
        logger.warn('Pay-me notification with a missing or wrong signature: nothing recorded', { security: true, provider: 'payme' });
        throw new HttpError(401, 'invalid_signature', 'The signature header does not match the body');
      }
      const notification = validated(paymeSchemas().PaymeNotification, parseJson(body));
      const parts = [notification.merchant_code, notification.merchant_operation_number, notification.transaction.transaction_id];
      return { kind: 'verify', reference: parts.join('/') };
    },

    /** Signed by Alignet, still only ids: another merchant's operation is never queried with our token. */
    async verify(reference: string): Promise<VerifiedPayment> {
      const [merchantCode, paymentId, transactionId] = reference.split('/');
      if (!merchantCode || !paymentId || !transactionId) throw new ProviderError('payme', 'unknown_reference', 'not a Pay-me reference');
      if (merchantCode !== options.merchantCode) {
        return { provider: 'payme', paymentId, providerPaymentId: transactionId, outcome: 'pending', amount: 0, currency: '', reason: 'another merchant', mismatch: 'merchant_mismatch' };
      }
      return query(paymentId, transactionId);
    },

    /** 200 for anything a retry cannot change (Alignet retries until 200, within 10 s); 422 for a mismatch. */
    respond({ decision, paymentId }: Outcome): APIGatewayProxyResult {
      if (decision.kind === 'record' || decision.kind === 'already') return jsonResponse(200, { outcome: decision.status, paymentId, duplicate: decision.kind === 'already' });
      if (decision.kind === 'mismatch') return jsonResponse(422, { error: { code: 'verification_failed', message: 'The payment does not match the expected payment' } });
      return jsonResponse(200, { outcome: 'not_final', paymentId });
    },
  };
}
