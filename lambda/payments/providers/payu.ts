/**
 * PayU Latam adapter (WebCheckout + reports API). Contract: ../shared/reference/payments.md (PayU Latam) and PayU's
 * docs: https://developers.payulatam.com/latam/en/docs/integrations/webcheckout-integration/payment-form.html (form
 * fields, algorithmSignature MD5/SHA/SHA256, amount with at most two decimals, tax: "in Colombia, if no VAT is sent,
 * the system applies 19%"), .../webcheckout-integration/confirmation-page.html (one confirmation per attempt,
 * approved or rejected; final states only; HTTP 200 or PayU retries, up to nine times in the older version; source
 * IPs) and https://developers.payulatam.com/latam/en/docs/integrations/api-integration/queries-api.html.
 *
 * Flow: checkout answers a form the browser posts to WebCheckout (NextStep `form_post`), signed with
 * `ApiKey~merchantId~referenceCode~amount~currency` (MD5 or SHA-256, config), our paymentId as referenceCode.
 * PayU POSTs a form to confirmationUrl (our route) once per payment attempt, final states only; attempts share
 * `reference_sale` and each has its own `transaction_id`. The `sign` (one-decimal `new_value` rule) and merchant id
 * are checked with our ApiKey first, then the orders of the reference are read from the reports API
 * (ORDER_DETAIL_BY_REFERENCE_CODE) and judged before anything is recorded.
 *
 * Attempts: a declined attempt does not end the payment, the buyer may retry with the same reference; it moves the
 * record to `pending` (reason `DECLINED/...`). An approved attempt records `paid`, whatever came before or after it.
 * Only the expiry job (status, after expiresAfterSeconds, default 24 h) turns an all-declined/expired reference into
 * `rejected`/`expired`: rejecting at the first decline would lose a later approved attempt (a final state stays).
 *
 * Answers to PayU's confirmation POST: 200 with an empty body when recorded, already recorded or not final; 422
 * (nothing recorded, security log) for a sign/merchant/amount/currency/order that is not ours; 502/504 when the
 * reports API is down (5xx, 429, timeout) or refuses our keys, and 409 when it does not show the attempt final yet:
 * PayU retries unanswered confirmations (older docs: up to 9 times), and the expiry job's query is the backstop.
 *
 * For the core helper (wiring):
 * - options: PayuOptions below. baseUrl: the API host `https://api.payulatam.com` (sandbox
 *   `https://sandbox.api.payulatam.com`); `/reports-api/4.0/service.cgi` and `/payments-api/4.0/service.cgi` are
 *   appended here.
 * - secret JSON: {"apiKey": "...", "apiLogin": "..."}.
 * - config fields: apiBaseUrl, checkoutUrl (`https://checkout.payulatam.com/ppp-web-gateway-payu/`, sandbox
 *   `https://sandbox.checkout.payulatam.com/ppp-web-gateway-payu/`), merchantId, accounts (currency → accountId,
 *   e.g. {"COP": "512321", "PEN": "512323"}: the checkout currencies), signatureAlgorithm ("MD5" | "SHA256",
 *   default MD5), test (boolean: PayU's `test` flag, sandbox only), expiresAfterSeconds (optional), taxRates
 *   (optional, currency → VAT rate included in the amount, e.g. {"COP": 0.19}; absent: tax 0 = exempt), allowed
 *   confirmation source IPs (config; the confirmation page doc lists production 198.61.156.98, 190.216.203.233,
 *   34.233.144.154 and sandbox 50.56.9.170, 74.205.10.14, 54.158.171.129 — lists differ between doc versions).
 * - route: POST /payments/payu/confirm (form, PayuConfirmation and PAYU_CONFIRMATION_LIMITS in contract.ts); it is
 *   the confirmationUrl sent in every form, so nothing is registered in PayU's panel.
 */
import { HttpError, jsonResponse, validated } from '../../shared/http';
import { logger } from '../../shared/logger';
import type { VerifiedPayment } from '../core';
import { PAYU_CONFIRMATION_LIMITS, type PaymentRecord, payuSchemas } from '../contract';
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
} from '../provider';
import { sameDigest } from './digest';
import {
  type PayuOrder,
  type PayuSignatureAlgorithm,
  newPayuPaymentId,
  payuAnswers,
  payuAmount,
  payuConfirmationSign,
  payuDecimals,
  payuSignature,
  payuTax,
  payuVerdict,
} from './payu-core';

export interface PayuCredentials {
  readonly apiKey: string;
  readonly apiLogin: string;
}

export interface PayuOptions extends ProviderConnection<PayuCredentials> {
  /** WebCheckout's form action for this environment. */
  readonly checkoutUrl: string;
  readonly merchantId: string;
  /** Currency → PayU accountId (one account per country): the currencies offered at checkout. */
  readonly accounts: Readonly<Record<string, string>>;
  /** Default MD5 (PayU accepts MD5, SHA and SHA256 for WebCheckout). */
  readonly signatureAlgorithm?: PayuSignatureAlgorithm;
  /** PayU's `test` flag (sandbox). */
  readonly test?: boolean;
  /**
   * After this, the expiry job's status() takes an all-failed reference as final (default 24 h). Cash vouchers stay
   * PENDING up to their expirationDate (7 days, 15 in Argentina): status() reports them pending until PayU ends them.
   */
  readonly expiresAfterSeconds?: number;
  /**
   * VAT included in the amount, per currency (e.g. COP 0.19): sent as `tax` and `taxReturnBase`. Without a rate the
   * form says tax 0, i.e. exempt: PayU Colombia adds 19% on its own only when `tax` is absent.
   */
  readonly taxRates?: Readonly<Record<string, number>>;
}

const REPORTS_PATH = '/reports-api/4.0/service.cgi';
const PAYMENTS_PATH = '/payments-api/4.0/service.cgi';
const DEFAULT_EXPIRES_AFTER_SECONDS = 24 * 3600;
/** How the reports API reports refused keys (HTTP 200, code ERROR): uncertain, PayU documents no error codes for it. */
const CREDENTIALS_REFUSED = /credencial|credential|api ?key|api ?login|autentica|authenticat/i;
/** PayU's description limit on WebCheckout. */
const MAX_DESCRIPTION = 255;

/** The notification's reference: our referenceCode and the attempt's transaction_id (our ids never contain ":"). */
const reference = {
  of: (referenceCode: string, transactionId: string) => `${referenceCode}:${transactionId}`,
  parse: (value: string) => {
    const at = value.indexOf(':');
    return at < 0 ? { referenceCode: value, transactionId: undefined } : { referenceCode: value.slice(0, at), transactionId: value.slice(at + 1) };
  },
};

export function payuProvider(options: PayuOptions): PaymentProvider {
  const base = options.baseUrl.replace(/\/$/, '');
  const accountIds = Object.values(options.accounts);
  const algorithm = options.signatureAlgorithm ?? 'MD5';

  /** One command of PayU's JSON APIs (merchant credentials in the body, as PayU requires). */
  async function command(path: string, name: string, fields: Record<string, unknown>): Promise<unknown> {
    const { apiKey, apiLogin } = await options.credentials();
    const body = JSON.stringify({ test: options.test ?? false, language: 'es', command: name, merchant: { apiLogin, apiKey }, ...fields });
    const headers = { 'content-type': 'application/json; charset=utf-8', accept: 'application/json' };
    const answer = await callProvider('payu', `${base}${path}`, { method: 'POST', headers, body }, options.timeoutMs);
    const refused = answer.status === 401 || answer.status === 403 || (typeof answer.body === 'object' && answer.body !== null && (answer.body as { code?: unknown }).code === 'ERROR' && CREDENTIALS_REFUSED.test(String((answer.body as { error?: unknown }).error ?? '')));
    if (refused) {
      options.credentialsRejected();
      throw new ProviderError('payu', 'credentials_rejected', `${name} answered ${answer.status}: keys refused`);
    }
    if (answer.status === 429) throw new ProviderError('payu', 'unavailable', `${name} answered 429`);
    if (answer.status !== 200) throw new ProviderError('payu', 'bad_response', `${name} answered ${answer.status}`);
    return answer.body;
  }

  async function orders(referenceCode: string): Promise<PayuOrder[]> {
    const parsed = payuAnswers().PayuReportsAnswer.safeParse(await command(REPORTS_PATH, 'ORDER_DETAIL_BY_REFERENCE_CODE', { details: { referenceCode } }));
    if (!parsed.success) throw new ProviderError('payu', 'bad_response', 'reports answer does not match the ORDER_DETAIL_BY_REFERENCE_CODE shape');
    if (parsed.data.code === 'ERROR') throw new ProviderError('payu', 'bad_response', 'reports API answered ERROR');
    return parsed.data.result?.payload ?? [];
  }

  /** The record's own amount for a reference PayU has nothing for (nothing was paid, nothing to compare). */
  function nothingAtPayu(record: PaymentRecord, outcome: 'pending' | 'expired'): VerifiedPayment {
    return { provider: 'payu', paymentId: record.paymentId, providerPaymentId: record.providerPaymentId ?? record.paymentId, outcome, amount: record.amount, currency: record.currency.toUpperCase(), reason: 'NO_ORDER' };
  }

  return {
    name: 'payu',
    route: { path: '/payments/payu/confirm', methods: ['POST'] },
    verifyHasEffect: false,
    checkoutRules: { currencies: Object.keys(options.accounts), decimals: payuDecimals, maxDescriptionLength: MAX_DESCRIPTION, requiredBuyerFields: ['email'] },
    expiresAfterSeconds: options.expiresAfterSeconds ?? DEFAULT_EXPIRES_AFTER_SECONDS,
    newPaymentId: newPayuPaymentId,

    /** WebCheckout needs no server call: the signed form is the payment's creation. */
    async create(request: CheckoutRequest): Promise<CreatedPayment> {
      const accountId = options.accounts[request.currency];
      if (!accountId) throw new ProviderError('payu', 'bad_response', `no PayU account configured for ${request.currency}`);
      const { apiKey } = await options.credentials();
      const amount = payuAmount(request.amount, request.currency);
      const fields: Record<string, string> = {
        merchantId: options.merchantId,
        accountId,
        description: request.description,
        referenceCode: request.paymentId,
        amount,
        ...payuTax(request.amount, request.currency, options.taxRates?.[request.currency]),
        currency: request.currency,
        signature: payuSignature(algorithm, apiKey, options.merchantId, request.paymentId, amount, request.currency),
        algorithmSignature: algorithm,
        test: options.test ? '1' : '0',
        responseUrl: request.returnUrl,
        confirmationUrl: request.notifyUrl,
      };
      if (request.buyer.email) fields.buyerEmail = request.buyer.email;
      if (request.buyer.name) fields.buyerFullName = request.buyer.name;
      // PayU's order id exists only once the buyer submits: the referenceCode is what every later answer carries.
      return { providerPaymentId: request.paymentId, next: { kind: 'form_post', url: options.checkoutUrl, fields } };
    },

    async parseNotification(request: ProviderRequest): Promise<Notification> {
      const confirmation = validated(payuSchemas().PayuConfirmation, parseForm(request, PAYU_CONFIRMATION_LIMITS));
      const { apiKey } = await options.credentials();
      const problem =
        confirmation.merchant_id !== options.merchantId
          ? 'merchant_mismatch'
          : !sameDigest(confirmation.sign, payuConfirmationSign(confirmation.sign.length, apiKey, confirmation))
            ? 'sign_mismatch'
            : undefined;
      if (problem) {
        logger.warn('PayU confirmation that is not ours: nothing recorded', { security: true, provider: 'payu', paymentId: confirmation.reference_sale, problem });
        throw new HttpError(422, 'verification_failed', 'The payment does not match the expected payment');
      }
      return { kind: 'verify', reference: reference.of(confirmation.reference_sale, confirmation.transaction_id) };
    },

    /**
     * The reference's orders from the reports API. PayU confirms final states only: while the reports do not show
     * this attempt final (or at all), the answer is not judged (409, PayU retries).
     */
    async verify(value: string): Promise<VerifiedPayment> {
      const { referenceCode, transactionId } = reference.parse(value);
      const found = await orders(referenceCode);
      const attempt = found.flatMap((order) => order.transactions).find((transaction) => transaction.id === transactionId);
      if (!attempt || attempt.transactionResponse.state === 'PENDING') throw new ProviderError('payu', 'not_final', 'the reports API does not show this attempt final yet');
      return payuVerdict(found, referenceCode, { accountIds, windowClosed: false });
    },

    /** For the expiry job (after the window): the last word on the reference; no order at all is `expired`. */
    async status(record: PaymentRecord): Promise<VerifiedPayment> {
      const found = await orders(record.paymentId);
      if (found.length === 0) return nothingAtPayu(record, 'expired');
      return payuVerdict(found, record.paymentId, { accountIds, windowClosed: true });
    },

    /**
     * REFUND (VOID for an authorisation not captured) of the approved attempt. Nothing approved: nothing to reverse.
     * A pending attempt (cash voucher) cannot be cancelled through the API (uncertain): a person decides. PayU often
     * answers a refund PENDING: it is accepted and completed by PayU, reported as `reversed` with that reason.
     */
    async reverse(record: PaymentRecord) {
      const found = await orders(record.paymentId);
      const verdict = found.length === 0 ? undefined : payuVerdict(found, record.paymentId, { accountIds, windowClosed: true });
      if (verdict?.mismatch) throw new ProviderError('payu', 'bad_response', `reports answered an order that is not ours (${verdict.mismatch})`);
      if (verdict?.outcome === 'refunded') return { result: 'reversed' as const, reason: 'REFUNDED' };
      if (verdict?.outcome === 'pending') return { result: 'not_reversible' as const, reason: `pending at PayU (${verdict.reason})` };
      const approved = found.flatMap((order) => order.transactions.map((transaction) => ({ order, transaction }))).find(({ transaction }) => transaction.transactionResponse.state === 'APPROVED');
      if (!approved) return { result: 'reversed' as const, reason: verdict ? `nothing charged (${verdict.reason})` : 'NO_ORDER' };
      const type = approved.order.status === 'AUTHORIZED' ? 'VOID' : 'REFUND';
      const parsed = payuAnswers().PayuSubmitAnswer.safeParse(
        await command(PAYMENTS_PATH, 'SUBMIT_TRANSACTION', {
          transaction: { order: { id: Number(approved.order.id) }, type, reason: 'Payment reversed by Connect', parentTransactionId: approved.transaction.id },
        }),
      );
      if (!parsed.success || parsed.data.code === 'ERROR' || !parsed.data.transactionResponse) throw new ProviderError('payu', 'bad_response', `${type} was not accepted`);
      const { state, responseCode } = parsed.data.transactionResponse;
      if (state === 'APPROVED' || state === 'PENDING') return { result: 'reversed' as const, reason: `${type}/${state}` };
      return { result: 'not_reversible' as const, reason: `${type}/${state}${responseCode ? `/${responseCode}` : ''}` };
    },

    /** PayU wants HTTP 200 and no HTML body; anything else is retried. */
    respond({ decision }: Outcome) {
      if (decision.kind === 'mismatch') {
        return jsonResponse(422, { error: { code: 'verification_failed', message: 'The payment does not match the expected payment' } });
      }
      return { statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body: '' };
    },
  };
}
