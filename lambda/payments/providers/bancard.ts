/**
 * Bancard vPOS 2.0 adapter (Paraguay). Contract: ../shared/reference/payments.md (Bancard), Bancard's "Integración
 * eCommerce Compra Simple" v0.3.1 (an old version, hosted by a third party:
 * https://www.afd.gov.py/userfiles/files/transparencia/ecommerce-bancard-compra-simple-version-0-3-1.pdf; the current
 * vPOS 2.0 documents are behind Bancard's merchant portal) and Bancard's SDK
 * (https://github.com/Bancard/bancard-connectors, vpos/sdk/python: tokens, the 20-character description, the
 * confirmations answer read by response_code, PaymentNotFoundError = not paid, rollback of unconfirmed buys).
 *
 * Flow: checkout calls `single_buy` with our integer `shop_process_id` (= paymentId) and gets a `process_id`; the
 * browser loads Bancard's checkout script and opens its iframe with it (NextStep `embedded`). Bancard POSTs the
 * confirmation (JSON) to the URL registered once in its portal: its MD5 token is checked with our private key, then
 * the outcome is read back with the confirmations query (the token does not cover response_code) before anything is
 * recorded. The expiry job asks the same query after 10 minutes and rolls back what Bancard never confirmed.
 *
 * Answers to Bancard's confirmation POST (Bancard requires HTTP 200 {"status":"success"}, within about 30 s; 60 s in
 * other readings of the guide — either is far above our provider-call deadline):
 * - recorded, already recorded, or the monitoring ping (the guide: an empty JSON POSTed every 5 minutes to the
 *   confirmation URL, which must not fail): 200 {"status":"success"};
 * - token or order that is not ours, amount/currency other than the record: 422 `verification_failed`, nothing
 *   recorded (a person looks at the security log; the expiry job's query/rollback settles the payment);
 * - confirmations query down (5xx, 429, timeout), our keys refused, or no confirmation there yet: 502/504/409,
 *   nothing recorded, so Bancard retries (uncertain: Bancard publishes no retry policy for confirmations; if it does
 *   not retry, the expiry job's query after 10 minutes records the outcome or rolls the payment back).
 *
 * For the core helper (wiring):
 * - options: BancardOptions below. baseUrl `https://vpos.infonet.com.py` (staging `https://vpos.infonet.com.py:8888`),
 *   the API root `/vpos/api/0.3` is appended here.
 * - secret JSON: {"publicKey": "...", "privateKey": "..."} (Bancard portal keys; the private key never leaves us).
 * - config fields: apiBaseUrl, checkoutScriptUrl (per environment: Bancard's checkout JS, e.g.
 *   `https://vpos.infonet.com.py:8888/checkout/javascript/dist/bancard-checkout-4.0.0.js` in staging), currencies
 *   (default ["PYG"]), allowed callback source IPs (not published by Bancard: none by default).
 * - route: POST /payments/bancard/confirm (JSON, BancardConfirmation and BANCARD_CONFIRMATION_LIMITS in contract.ts);
 *   it is what the confirmation URL must be registered as in Bancard's portal.
 */
import * as z from 'zod';
import { HttpError, checkedBody, jsonResponse, parseJson, validated } from '../../shared/http';
import { logger } from '../../shared/logger';
import type { VerifiedPayment } from '../core';
import { BANCARD_CONFIRMATION_LIMITS, type PaymentRecord, bancardSchemas } from '../contract';
import { lazy } from '../../shared/lazy';
import {
  type CheckoutRequest,
  type CheckoutRules,
  type CreatedPayment,
  type Notification,
  type Outcome,
  type PaymentProvider,
  type ProviderConnection,
  ProviderError,
  type ProviderRequest,
  callProvider,
} from '../provider';
import { md5Hex, sameDigest } from './digest';

export interface BancardCredentials {
  readonly publicKey: string;
  readonly privateKey: string;
}

export interface BancardOptions extends ProviderConnection<BancardCredentials> {
  /** Bancard's checkout JS for this environment (config): the browser loads it and opens the iframe with process_id. */
  readonly checkoutScriptUrl: string;
  /** Currencies the commerce is enabled for (default PYG; USD commerces exist: uncertain, so config). */
  readonly currencies?: readonly string[];
}

const API_ROOT = '/vpos/api/0.3';
/** Bancard's documented limit for `description`. */
const MAX_DESCRIPTION = 20;
/** "If no confirmation arrives within 10 minutes, query, then roll back" (Bancard's integration guide). */
const EXPIRES_AFTER_SECONDS = 600;
/** newPaymentId counts seconds from here: 10 digits last until the year 2336. */
const ID_EPOCH_MS = Date.UTC(2020, 0, 1);

// --- Pure: tokens, amounts, ids, verdicts -------------------------------------------------------------------------

/** The MD5 tokens of vPOS 2.0: lowercase hex of the private key followed by the operation's fields, no separators. */
export const bancardToken = {
  singleBuy: (privateKey: string, shopProcessId: string, amount: string, currency: string) => md5Hex(`${privateKey}${shopProcessId}${amount}${currency}`),
  confirm: (privateKey: string, shopProcessId: string, amount: string, currency: string) => md5Hex(`${privateKey}${shopProcessId}confirm${amount}${currency}`),
  getConfirmation: (privateKey: string, shopProcessId: string) => md5Hex(`${privateKey}${shopProcessId}get_confirmation`),
  rollback: (privateKey: string, shopProcessId: string) => md5Hex(`${privateKey}${shopProcessId}rollback0.00`),
};

/** Bancard writes every amount with two decimals and a dot, PYG included: 10100 → "10100.00". */
export function bancardAmount(amount: number): string {
  return amount.toFixed(2);
}

/**
 * A shop_process_id: an integer of at most 15 digits that Bancard keeps unique forever. Seconds since 2020 (10
 * digits) then 5 random digits: two ids collide only when made in the same second with the same random part
 * (1 in 100 000), and then Bancard's "already been taken" and our conditional put refuse the second one.
 */
export function newBancardPaymentId(now: Date, random: (bytes: number) => Uint8Array): string {
  const seconds = Math.floor((now.getTime() - ID_EPOCH_MS) / 1000);
  if (seconds <= 0 || seconds >= 1e10) throw new Error('clock outside the shop_process_id range');
  const bytes = random(4);
  const draw = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0) % 100_000; // bias < 3e-5: irrelevant here
  return String(seconds * 100_000 + draw);
}

/** Bancard's answers, built at Bancard's first use (contract.ts khipuSchemas). */
const schemas = lazy(() => {
  /** The confirmation as the confirmations query returns it (only the fields judged; Bancard sends more). */
  const BancardConfirmationAnswer = z.looseObject({
    shop_process_id: z.union([z.number(), z.string()]).transform(String),
    response: z.string().nullish(),
    response_code: z.string().nullish(),
    amount: z.string().regex(/^\d+(\.\d+)?$/),
    currency: z.string().min(3).max(3),
    authorization_number: z.union([z.string(), z.number()]).nullish(),
  });

  /** Every answer of the vPOS API: success (with what the operation returns) or error with its message keys. */
  const BancardAnswer = z.looseObject({
    status: z.enum(['success', 'error']),
    process_id: z.string().min(1).optional(),
    confirmation: z.unknown().optional(),
    messages: z.array(z.looseObject({ key: z.string(), level: z.string().optional(), dsc: z.string().optional() })).optional(),
  });
  return { BancardConfirmationAnswer, BancardAnswer };
});
export type BancardConfirmationAnswer = z.infer<ReturnType<typeof schemas>['BancardConfirmationAnswer']>;

/**
 * The confirmations query → verified payment. Paid only with response "S" and response code "00"; any other
 * confirmation is a decline (05, 12, 15, 51, 94, ...): Bancard confirms a buy once, so it is final. The answer must
 * be about the shop_process_id asked for.
 */
export function bancardVerdict(confirmation: BancardConfirmationAnswer, askedFor: string): VerifiedPayment {
  const paid = confirmation.response === 'S' && confirmation.response_code === '00';
  const verdict: VerifiedPayment = {
    provider: 'bancard',
    paymentId: confirmation.shop_process_id,
    providerPaymentId: confirmation.shop_process_id,
    outcome: paid ? 'paid' : 'rejected',
    amount: Number(confirmation.amount),
    currency: confirmation.currency.toUpperCase(),
    reason: `${confirmation.response ?? '-'}/${confirmation.response_code ?? '-'}`,
  };
  const authorization = paid && confirmation.authorization_number != null ? String(confirmation.authorization_number) : undefined;
  return {
    ...verdict,
    ...(authorization ? { authorizationCode: authorization } : {}),
    ...(confirmation.shop_process_id === askedFor ? {} : { mismatch: 'order_mismatch' }),
  };
}

/** Message keys meaning Bancard refused our keys or token: the cached secret is dropped so a rotated one is read. */
const CREDENTIAL_ERRORS = new Set(['InvalidPublicKeyError', 'InvalidTokenError', 'UnauthorizedOperationError', 'ApplicationNotFoundError']);

// --- The adapter --------------------------------------------------------------------------------------------------

type Answer = { readonly ok: true; readonly body: z.infer<ReturnType<typeof schemas>['BancardAnswer']> } | { readonly ok: false; readonly key: string; readonly description: string };

export function bancardProvider(options: BancardOptions): PaymentProvider {
  const api = `${options.baseUrl.replace(/\/$/, '')}${API_ROOT}`;

  /** One vPOS operation: JSON POST {public_key, operation}. Throws ProviderError for what no caller can act on. */
  async function call(path: string, operation: (keys: BancardCredentials) => Record<string, unknown>): Promise<Answer> {
    const keys = await options.credentials();
    const body = JSON.stringify({ public_key: keys.publicKey, operation: operation(keys) });
    const headers = { 'content-type': 'application/json', accept: 'application/json' };
    const answer = await callProvider('bancard', `${api}/${path}`, { method: 'POST', headers, body }, options.timeoutMs);
    const parsed = schemas().BancardAnswer.safeParse(answer.body);
    const key = parsed.success ? (parsed.data.messages?.[0]?.key ?? '') : '';
    if (answer.status === 401 || answer.status === 403 || CREDENTIAL_ERRORS.has(key)) {
      options.credentialsRejected();
      throw new ProviderError('bancard', 'credentials_rejected', `${path} answered ${answer.status} ${key}`.trim());
    }
    if (answer.status === 429 || key === 'PosCommunicationError') throw new ProviderError('bancard', 'unavailable', `${path} answered ${answer.status} ${key}`.trim());
    if (!parsed.success) throw new ProviderError('bancard', 'bad_response', `${path} answered ${answer.status} without the vPOS answer shape`);
    if (parsed.data.status === 'error') return { ok: false, key: key || 'UnknownError', description: parsed.data.messages?.[0]?.dsc ?? '' };
    return { ok: true, body: parsed.data };
  }

  async function confirmation(shopProcessId: string): Promise<Answer> {
    return call('single_buy/confirmations', (keys) => ({
      token: bancardToken.getConfirmation(keys.privateKey, shopProcessId),
      shop_process_id: Number(shopProcessId),
    }));
  }

  function confirmed(answer: Answer & { ok: true }, shopProcessId: string): VerifiedPayment {
    const parsed = schemas().BancardConfirmationAnswer.safeParse(answer.body.confirmation);
    if (!parsed.success) throw new ProviderError('bancard', 'bad_response', 'confirmation does not match the vPOS shape');
    return bancardVerdict(parsed.data, shopProcessId);
  }

  /** What the query says about a buy Bancard has no confirmation of, judged against our record (amount unchanged). */
  function unconfirmed(record: PaymentRecord, outcome: 'pending' | 'expired', reason: string): VerifiedPayment {
    return { provider: 'bancard', paymentId: record.paymentId, providerPaymentId: record.providerPaymentId ?? record.paymentId, outcome, amount: record.amount, currency: record.currency.toUpperCase(), reason };
  }

  const rules: CheckoutRules = {
    currencies: options.currencies ?? ['PYG'],
    decimals: (currency) => (currency === 'PYG' ? 0 : 2),
    maxDescriptionLength: MAX_DESCRIPTION,
    requiredBuyerFields: [],
  };

  return {
    name: 'bancard',
    route: { path: '/payments/bancard/confirm', methods: ['POST'] },
    verifyHasEffect: false,
    checkoutRules: rules,
    expiresAfterSeconds: EXPIRES_AFTER_SECONDS,
    newPaymentId: newBancardPaymentId,

    /**
     * single_buy. Not repeatable: a buy that timed out on our side may exist at Bancard, and the same id then answers
     * "already been taken" (checkout fails; a new checkout gets a new id; the orphan buy is never paid).
     */
    async create(request: CheckoutRequest): Promise<CreatedPayment> {
      const shopProcessId = request.paymentId;
      const amount = bancardAmount(request.amount);
      const answer = await call('single_buy', (keys) => ({
        token: bancardToken.singleBuy(keys.privateKey, shopProcessId, amount, request.currency),
        shop_process_id: Number(shopProcessId),
        amount,
        currency: request.currency,
        description: request.description,
        return_url: request.returnUrl,
        // The buyer who leaves the iframe comes back to the same page, which reads the state (return proves nothing).
        cancel_url: request.returnUrl,
      }));
      if (!answer.ok) throw new ProviderError('bancard', 'bad_response', `single_buy refused: ${answer.key}${/already been taken/i.test(answer.description) ? ' (shop_process_id already taken)' : ''}`);
      if (!answer.body.process_id) throw new ProviderError('bancard', 'bad_response', 'single_buy answered without process_id');
      return {
        // The confirmation and the query carry shop_process_id, never process_id: that is what later answers are compared with.
        providerPaymentId: shopProcessId,
        next: { kind: 'embedded', scriptUrl: options.checkoutScriptUrl, parameters: { processId: answer.body.process_id } },
      };
    },

    async parseNotification(request: ProviderRequest): Promise<Notification> {
      const { operation } = validated(bancardSchemas().BancardConfirmation, parseJson(checkedBody(request, BANCARD_CONFIRMATION_LIMITS)));
      if (!operation) return { kind: 'ping' };
      const shopProcessId = String(operation.shop_process_id);
      const { privateKey } = await options.credentials();
      if (!sameDigest(operation.token, bancardToken.confirm(privateKey, shopProcessId, operation.amount, operation.currency))) {
        logger.warn('Bancard confirmation with a token that is not ours: nothing recorded', { security: true, provider: 'bancard', paymentId: shopProcessId, problem: 'token_mismatch' });
        throw new HttpError(422, 'verification_failed', 'The payment does not match the expected payment');
      }
      return { kind: 'verify', reference: shopProcessId };
    },

    /** The confirmations query. A buy with no confirmation there yet is not judged: Bancard (or the expiry job) asks again. */
    async verify(shopProcessId: string): Promise<VerifiedPayment> {
      const answer = await confirmation(shopProcessId);
      if (answer.ok) return confirmed(answer, shopProcessId);
      if (answer.key === 'PaymentNotFoundError') throw new ProviderError('bancard', 'not_final', 'no confirmation at Bancard yet');
      if (answer.key === 'BuyNotFoundError' || answer.key === 'AlreadyRollbackedError') throw new ProviderError('bancard', 'unknown_reference', answer.key);
      throw new ProviderError('bancard', 'bad_response', `confirmations answered ${answer.key}`);
    },

    /** For the expiry job: no confirmation yet is `pending` (then rolled back by reverse); a rolled-back buy is `expired`. */
    async status(record: PaymentRecord): Promise<VerifiedPayment> {
      const answer = await confirmation(record.paymentId);
      if (answer.ok) return confirmed(answer, record.paymentId);
      if (answer.key === 'PaymentNotFoundError') return unconfirmed(record, 'pending', answer.key);
      if (answer.key === 'AlreadyRollbackedError') return unconfirmed(record, 'expired', answer.key);
      if (answer.key === 'BuyNotFoundError') throw new ProviderError('bancard', 'unknown_reference', answer.key);
      throw new ProviderError('bancard', 'bad_response', `confirmations answered ${answer.key}`);
    },

    /**
     * single_buy/rollback: same day, before the charge posts. PaymentNotFoundError (never paid), AlreadyRollbackedError
     * and BuyNotFoundError leave nothing charged; TransactionAlreadyConfirmed must be annulled by hand in the portal.
     */
    async reverse(record: PaymentRecord) {
      const answer = await call('single_buy/rollback', (keys) => ({ token: bancardToken.rollback(keys.privateKey, record.paymentId), shop_process_id: Number(record.paymentId) }));
      if (answer.ok) return { result: 'reversed' as const, reason: answer.body.messages?.[0]?.key ?? 'RollbackSuccessful' };
      if (['PaymentNotFoundError', 'AlreadyRollbackedError', 'BuyNotFoundError'].includes(answer.key)) return { result: 'reversed' as const, reason: answer.key };
      if (answer.key === 'TransactionAlreadyConfirmed') return { result: 'not_reversible' as const, reason: answer.key };
      throw new ProviderError('bancard', 'bad_response', `rollback answered ${answer.key}`);
    },

    respond({ decision }: Outcome) {
      if (decision.kind === 'mismatch') return jsonResponse(422, { error: { code: 'verification_failed', message: 'The payment does not match the expected payment' } });
      return jsonResponse(200, { status: 'success' });
    },
  };
}
