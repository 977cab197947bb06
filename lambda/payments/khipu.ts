/**
 * Khipu (API v2) adapter. Checkout creates the payment (`POST {base}/payments`, form fields subject, currency,
 * amount, transaction_id, notify_url, return_url, expires_date → payment_id, payment_url: the buyer is redirected
 * there). Khipu POSTs `notification_token` and `api_version` to our notify_url; nothing in it is trusted: the payment
 * is fetched from Khipu with the token (`GET {base}/payments?notification_token=`, header `x-api-key`) and judged by
 * the core. The expiry job reads `GET {base}/payments/{payment_id}`.
 * Fields: https://rubydoc.info/gems/khipu-api-client/file/README.md (Khipu's client for API 2.0). (uncertain) the
 * create body is sent form-encoded as API 2.0's clients do, authenticated with the same x-api-key as the reads.
 */
import { jsonResponse, validated } from '../shared/http';
import * as z from 'zod';
import { type VerifiedPayment, amountString, khipuVerdict, timeRandomPaymentId } from './core';
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
import { type PaymentRecord, khipuSchemas } from './contract';
import { lazy } from '../shared/lazy';

/** How long a Khipu payment can be paid (its expires_date); the expiry job asks Khipu a little after it. */
const KHIPU_PAYMENT_WINDOW_SECONDS = 3600;
/** Decimal places Khipu takes per currency (CLP has none). */
const KHIPU_DECIMALS: Readonly<Record<string, number>> = { CLP: 0, ARS: 2, BOB: 2, USD: 2 };

/** Khipu's answer to a payment creation; only what we use is required. Built at first use (contract.ts khipuSchemas). */
const khipuCreated = lazy(() => z.object({ payment_id: z.string().min(1), payment_url: z.string().url() }));

export interface KhipuCredentials {
  readonly receiverId: string | number;
  readonly apiKey: string;
}

/** baseUrl e.g. `https://khipu.com/api/2.0`; currencies the account charges in (config, default CLP). */
export interface KhipuOptions extends ProviderConnection<KhipuCredentials> {
  readonly currencies?: readonly string[];
  readonly now?: () => Date;
}

export function khipuProvider(options: KhipuOptions): PaymentProvider {
  const base = options.baseUrl.replace(/\/$/, '');
  const now = options.now ?? (() => new Date());

  async function read(url: string): Promise<VerifiedPayment> {
    const { receiverId, apiKey } = await options.credentials();
    const { status, body } = await callProvider('khipu', url, { method: 'GET', headers: { 'x-api-key': apiKey, accept: 'application/json' } }, options.timeoutMs);
    if (status === 401 || status === 403) {
      options.credentialsRejected();
      throw new ProviderError('khipu', 'credentials_rejected', `answered ${status}`);
    }
    if (status === 400 || status === 404) throw new ProviderError('khipu', 'unknown_reference', `answered ${status}`);
    if (status !== 200) throw new ProviderError('khipu', 'bad_response', `answered ${status}`);
    const payment = khipuSchemas().KhipuPayment.safeParse(body);
    if (!payment.success) throw new ProviderError('khipu', 'bad_response', 'payment does not match the API v2 shape');
    return khipuVerdict(payment.data, String(receiverId));
  }

  return {
    checkoutRules: {
      currencies: options.currencies ?? ['CLP'],
      decimals: (currency) => KHIPU_DECIMALS[currency] ?? 2,
      maxDescriptionLength: 255,
      requiredBuyerFields: [],
    },
    expiresAfterSeconds: KHIPU_PAYMENT_WINDOW_SECONDS + 300,
    newPaymentId: timeRandomPaymentId,

    async create(request: CheckoutRequest): Promise<CreatedPayment> {
      const { apiKey } = await options.credentials();
      const form = new URLSearchParams({
        subject: request.description,
        currency: request.currency,
        amount: amountString(request.amount, KHIPU_DECIMALS[request.currency] ?? 2),
        transaction_id: request.paymentId,
        notify_url: request.notifyUrl,
        notify_api_version: '1.3',
        return_url: request.returnUrl,
        cancel_url: request.returnUrl,
        expires_date: new Date(now().getTime() + KHIPU_PAYMENT_WINDOW_SECONDS * 1000).toISOString(),
      });
      if (request.buyer.email) form.set('payer_email', request.buyer.email);
      const headers = { 'x-api-key': apiKey, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
      const { status, body } = await callProvider('khipu', `${base}/payments`, { method: 'POST', headers, body: form.toString() }, options.timeoutMs);
      if (status === 401 || status === 403) {
        options.credentialsRejected();
        throw new ProviderError('khipu', 'credentials_rejected', `create answered ${status}`);
      }
      const created = khipuCreated().safeParse(body);
      if (status !== 200 && status !== 201) throw new ProviderError('khipu', 'bad_response', `create answered ${status}`);
      if (!created.success) throw new ProviderError('khipu', 'bad_response', 'create answer does not match the API v2 shape');
      return { providerPaymentId: created.data.payment_id, next: { kind: 'redirect', url: created.data.payment_url } };
    },

    async status(record: PaymentRecord): Promise<VerifiedPayment> {
      if (!record.providerPaymentId) throw new ProviderError('khipu', 'unknown_reference', 'no Khipu payment id stored (create never answered)');
      return read(`${base}/payments/${encodeURIComponent(record.providerPaymentId)}`);
    },

    name: 'khipu',
    route: { path: '/payments/khipu/notify', methods: ['POST'] },
    verifyHasEffect: false,

    parseNotification(request: ProviderRequest): Notification {
      const notification = validated(khipuSchemas().KhipuNotification, parseForm(request));
      return { kind: 'verify', reference: notification.notification_token };
    },

    async verify(notificationToken: string): Promise<VerifiedPayment> {
      return read(`${base}/payments?notification_token=${encodeURIComponent(notificationToken)}`);
    },

    /**
     * 200 for every outcome Khipu cannot change by retrying (including "not done yet": Khipu notifies again when the
     * payment is conciliated, and retrying the same token would only repeat the same answer); 422 for a
     * notification that does not match our payment.
     */
    respond({ decision, paymentId }: Outcome) {
      switch (decision.kind) {
        case 'record':
        case 'already':
          return jsonResponse(200, { outcome: decision.status, paymentId, duplicate: decision.kind === 'already' });
        case 'not_final':
          return jsonResponse(200, { outcome: 'not_done', paymentId });
        case 'mismatch':
          return jsonResponse(422, { error: { code: 'verification_failed', message: 'The payment does not match the expected payment' } });
      }
    },
  };
}
