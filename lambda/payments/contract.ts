import { z } from 'zod';
import { nonEmptyString, refinedEnvironment, requiredString, wholeNumber } from '../shared/env';

/**
 * The payments contract (the only file of this feature lib/ imports): the requests the providers send us, what we
 * read back from them, the payment record, the event queued for downstream systems, and the limits and environment
 * of the API and the outbox relay. Only zod here: the CDK side imports this file too.
 */

/** The providers' notification bodies (form-encoded): the WAF body-size rule and the API use the same limit. */
export const FORM_LIMITS = { maxBytes: 4096, contentTypes: ['application/x-www-form-urlencoded'] };

/** The payments table's sparse index of records whose event is not queued yet (partition `outbox`, sort `updatedAt`). */
export const OUTBOX_INDEX = 'outbox-index';

/** How long a WebPay commit result is kept for replays. */
export const COMMIT_RESULT_TTL_SECONDS = 7 * 24 * 3600;
/** The outbox relay leaves records younger than this to the in-line send (OUTBOX_GRACE_SECONDS as the stack sets it). */
export const OUTBOX_GRACE_SECONDS = 60;

/** Khipu is served only when its secret is set. IAM: secretsmanager:GetSecretValue on it. */
const KhipuEnv = {
  /** JSON {"receiverId", "apiKey"}. */
  KHIPU_SECRET_ID: nonEmptyString().optional(),
  /** e.g. https://khipu.com/api/2.0 */
  KHIPU_API_BASE_URL: nonEmptyString().optional(),
};
/** WebPay is served only when its secret is set. IAM: secretsmanager:GetSecretValue on it. */
const WebpayEnv = {
  /** JSON {"commerceCode", "apiKeySecret"}. */
  WEBPAY_SECRET_ID: nonEmptyString().optional(),
  /** e.g. https://webpay3g.transbank.cl (integration: https://webpay3gint.transbank.cl) */
  WEBPAY_API_BASE_URL: nonEmptyString().optional(),
  /** Pages the buyer is redirected to (`?paymentId=` is added). */
  WEBPAY_RESULT_URL_PAID: nonEmptyString().optional(),
  WEBPAY_RESULT_URL_REJECTED: nonEmptyString().optional(),
  WEBPAY_RESULT_URL_ABORTED: nonEmptyString().optional(),
};

/**
 * The payments API. IAM: dynamodb:GetItem, UpdateItem on the payments table; sqs:SendMessage on the events queue
 * (+ kms:GenerateDataKey / Decrypt); dynamodb:GetItem, PutItem, UpdateItem, DeleteItem on the idempotency table
 * (stored WebPay commit results); each configured provider's secret. Each provider call's deadline is the stack's
 * HTTP_TIMEOUT_MS (outbound limits).
 */
export const PaymentsApiEnv = refinedEnvironment(
  {
    PAYMENTS_TABLE_NAME: requiredString(),
    PAYMENT_EVENTS_QUEUE_URL: requiredString(),
    IDEMPOTENCY_TABLE_NAME: requiredString(),
    ...KhipuEnv,
    ...WebpayEnv,
  },
  (env, context) => {
    const need = (when: string | undefined, names: Array<keyof typeof env>) => {
      for (const name of names) if (when && !env[name]) context.addIssue({ code: 'custom', path: [name], message: 'must be set' });
    };
    if (!env.KHIPU_SECRET_ID && !env.WEBPAY_SECRET_ID) context.addIssue({ code: 'custom', path: ['KHIPU_SECRET_ID'], message: 'or WEBPAY_SECRET_ID must be set: no payment provider configured' });
    need(env.KHIPU_SECRET_ID, ['KHIPU_API_BASE_URL']);
    need(env.WEBPAY_SECRET_ID, ['WEBPAY_API_BASE_URL', 'WEBPAY_RESULT_URL_PAID', 'WEBPAY_RESULT_URL_REJECTED', 'WEBPAY_RESULT_URL_ABORTED']);
  },
);

/** The outbox relay. IAM: dynamodb:Query on OUTBOX_INDEX and UpdateItem on the table; sqs:SendMessage on the queue. */
export const PaymentsOutboxEnv = z.object({
  PAYMENTS_TABLE_NAME: requiredString(),
  PAYMENT_EVENTS_QUEUE_URL: requiredString(),
  /** Seconds: records younger than this are left to the in-line send. */
  OUTBOX_GRACE_SECONDS: wholeNumber(0),
});

/** Every gateway Modyo lists for Latin America. */
export const PROVIDERS = ['khipu', 'webpay', 'bancard', 'payu', 'payme', 'tigo-money'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** Khipu's POST to our notify_url (application/x-www-form-urlencoded). */
export const KhipuNotification = z.object({
  notification_token: z.string().min(1).max(200),
  api_version: z.string().min(1).max(10),
});
export type KhipuNotification = z.infer<typeof KhipuNotification>;

/** The payment Khipu returns for a notification token (API v2); only the fields we check are required. */
export const KhipuPayment = z.object({
  payment_id: z.string().min(1),
  receiver_id: z.union([z.number(), z.string()]).transform(String),
  status: z.string().min(1),
  amount: z.union([z.number(), z.string()]).transform(Number).pipe(z.number().finite()),
  currency: z.string().min(1),
  transaction_id: z.string().min(1).optional(),
  custom: z.string().optional(),
});
export type KhipuPayment = z.infer<typeof KhipuPayment>;

/**
 * The buyer's return to WebPay Plus's return_url (GET query or POST form). Normal flow: `token_ws` only.
 * Aborted: `TBK_TOKEN`, `TBK_ORDEN_COMPRA`, `TBK_ID_SESION`. Error in the payment form: all four.
 * Timeout: `TBK_ORDEN_COMPRA` and `TBK_ID_SESION` only.
 */
const webpayToken = z.string().min(1).max(64);
export const WebpayReturn = z
  .object({
    token_ws: webpayToken.optional(),
    TBK_TOKEN: webpayToken.optional(),
    TBK_ORDEN_COMPRA: z.string().min(1).max(26).optional(),
    TBK_ID_SESION: z.string().min(1).max(61).optional(),
  })
  .refine((value) => value.token_ws !== undefined || value.TBK_ORDEN_COMPRA !== undefined, {
    message: 'token_ws, or TBK_ORDEN_COMPRA with TBK_TOKEN, is required',
  });
export type WebpayReturn = z.infer<typeof WebpayReturn>;

/** WebPay Plus commit / status response (REST v1.2); card data is never kept beyond these fields. */
export const WebpayTransaction = z.object({
  status: z.string().min(1),
  /** Absent or null on a transaction that was never authorised (e.g. a status read of an unfinished one). */
  response_code: z.number().int().nullish(),
  amount: z.number().finite(),
  buy_order: z.string().min(1),
  authorization_code: z.string().optional(),
});
export type WebpayTransaction = z.infer<typeof WebpayTransaction>;

export const PAYMENT_STATUSES = ['created', 'pending', 'paid', 'rejected', 'aborted', 'expired', 'refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
/** `pending` is not final: the provider has the payment but has not finished it (PayU 7, Pay-me PENDIENTE, ...). */
export type FinalPaymentStatus = Exclude<PaymentStatus, 'created' | 'pending'>;

/**
 * The payment record (DynamoDB, partition key `paymentId`). Created at checkout by whatever creates the payment at
 * the provider, with status `created`; this handler only moves it to a final state.
 */
export const PaymentRecord = z.object({
  /** Our id: Khipu's `transaction_id`, WebPay's `buy_order`. */
  paymentId: z.string().min(1).max(26),
  provider: z.enum(PROVIDERS),
  /** Expected amount in the currency's units (CLP has no decimals). */
  amount: z.number().positive(),
  currency: z.string().length(3),
  status: z.enum(PAYMENT_STATUSES),
  /** Khipu's `payment_id` or WebPay's token, stored at checkout; verified against what the provider reports. */
  providerPaymentId: z.string().min(1).optional(),
  createdAt: z.string(),
  updatedAt: z.string().optional(),
  /** Why it reached its final state (provider status / response code); no card or personal data. */
  reason: z.string().optional(),
  authorizationCode: z.string().optional(),
  /** Outbox marker: present while the event for the final state has not been queued (sparse GSI `outbox`). */
  outbox: z.literal('pending').optional(),
});
export type PaymentRecord = z.infer<typeof PaymentRecord>;

export const PAYMENT_EVENT_TYPES = ['payment.paid', 'payment.rejected', 'payment.aborted', 'payment.expired', 'payment.refunded'] as const;

/** The event queued for downstream systems once a payment reaches a final state. Consumers dedupe on `eventId`. */
export const PaymentEvent = z.object({
  schemaVersion: z.literal(1),
  /** `<paymentId>:<status>`: one event per payment and final state, however often it is re-sent. */
  eventId: z.string().min(1),
  type: z.enum(PAYMENT_EVENT_TYPES),
  paymentId: z.string().min(1),
  provider: z.enum(PROVIDERS),
  providerPaymentId: z.string().optional(),
  amount: z.number(),
  currency: z.string().length(3),
  reason: z.string().optional(),
  authorizationCode: z.string().optional(),
  occurredAt: z.string().datetime({ offset: true }),
});
export type PaymentEvent = z.infer<typeof PaymentEvent>;
