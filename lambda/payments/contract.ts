import * as z from 'zod';
import { booleanFlag, optionalString, refinedEnvironment, requiredString, wholeNumber } from '../shared/env';
import { lazy } from '../shared/lazy';

/**
 * The payments contract (the only file of this feature lib/ imports): the requests the providers send us, what we
 * read back from them, the payment record, the event queued for downstream systems, and the limits and environment
 * of the API and the outbox relay. Only zod here: the CDK side imports this file too.
 */

/**
 * `build()`. Every eager schema of this file is built through it, marked pure, so a Lambda bundle that never reads
 * one leaves it out: esbuild keeps every other top-level call (it cannot know z.object() has no side effects), and
 * each payments entry point reads only its own environment and a few of these (the API none of the checkout and
 * answer models). Cold init CPU, min of 21-31 fresh processes: api 53.3 -> 47.9 ms, checkout 50.3 -> 45.6, expiry
 * 51.4 -> 46.2 (12 KB less each: the answer models' zod code too).
 */
const schema = <T>(build: () => T): T => build();

/** The providers' notification bodies (form-encoded): the WAF body-size rule and the API use the same limit. */
export const FORM_LIMITS = { maxBytes: 4096, contentTypes: ['application/x-www-form-urlencoded'] };

/** The payments table's sparse index of records whose event is not queued yet (partition `outbox`, sort `updatedAt`). */
export const OUTBOX_INDEX = 'outbox-index';
/** The payments table's index of a caller's payments (partition `owner`, sort `createdAt`): GET /payments. */
export const OWNER_INDEX = 'owner-index';
/** How long a checkout answer is kept for a retry with the same Idempotency-Key. */
export const CHECKOUT_RESULT_TTL_SECONDS = 24 * 3600;
/** Largest POST /payments body. */
export const CHECKOUT_MAX_BODY_BYTES = 4096;
/** Page size of GET /payments (default and maximum). */
export const PAYMENTS_PAGE = { default: 20, max: 100 };

/** How long a WebPay commit result is kept for replays. */
export const COMMIT_RESULT_TTL_SECONDS = 7 * 24 * 3600;
/** The outbox relay leaves records younger than this to the in-line send (OUTBOX_GRACE_SECONDS as the stack sets it). */
export const OUTBOX_GRACE_SECONDS = 60;

/** Khipu is served only when its secret is set. IAM: secretsmanager:GetSecretValue on it. */
const KhipuEnv = {
  /** JSON {"receiverId", "apiKey"}. */
  KHIPU_SECRET_ID: optionalString(),
  /** e.g. https://khipu.com/api/2.0 */
  KHIPU_API_BASE_URL: optionalString(),
};
/** WebPay is served only when its secret is set. IAM: secretsmanager:GetSecretValue on it. */
const WebpayEnv = {
  /** JSON {"commerceCode", "apiKeySecret"}. */
  WEBPAY_SECRET_ID: optionalString(),
  /** e.g. https://webpay3g.transbank.cl (integration: https://webpay3gint.transbank.cl) */
  WEBPAY_API_BASE_URL: optionalString(),
  /** Pages the buyer is redirected to (`?paymentId=` is added). */
  WEBPAY_RESULT_URL_PAID: optionalString(),
  WEBPAY_RESULT_URL_REJECTED: optionalString(),
  WEBPAY_RESULT_URL_ABORTED: optionalString(),
};

/** Bancard vPOS 2.0 (providers/bancard.ts). Secret JSON {"publicKey", "privateKey"}. */
const BancardEnv = {
  BANCARD_SECRET_ID: optionalString(),
  /** e.g. https://vpos.infonet.com.py (staging :8888) */
  BANCARD_API_BASE_URL: optionalString(),
  BANCARD_CHECKOUT_SCRIPT_URL: optionalString(),
  /** Comma-separated ISO 4217 codes, e.g. "PYG". */
  BANCARD_CURRENCIES: optionalString(),
};
/** PayU Latam (providers/payu.ts). Secret JSON {"apiKey", "apiLogin"}. */
const PayuEnv = {
  PAYU_SECRET_ID: optionalString(),
  /** e.g. https://api.payulatam.com */
  PAYU_API_BASE_URL: optionalString(),
  PAYU_CHECKOUT_URL: optionalString(),
  PAYU_MERCHANT_ID: optionalString(),
  /** Comma-separated `CURRENCY:accountId`, e.g. "COP:512321,PEN:512323". */
  PAYU_ACCOUNTS: optionalString(),
  /** MD5 | SHA256 */
  PAYU_SIGNATURE_ALGORITHM: optionalString(),
  PAYU_TEST: booleanFlag().optional(),
  PAYU_EXPIRES_AFTER_SECONDS: optionalString(),
};
/** Pay-me by Alignet (providers/payme.ts). Secret JSON {"clientId", "clientSecret"}. */
const PaymeEnv = {
  PAYME_SECRET_ID: optionalString(),
  /** e.g. https://api.alignet.io */
  PAYME_API_BASE_URL: optionalString(),
  PAYME_AUTH_BASE_URL: optionalString(),
  PAYME_AUDIENCE: optionalString(),
  PAYME_API_VERSION: optionalString(),
  PAYME_MERCHANT_CODE: optionalString(),
  /** Alignet's notification public key (PEM). */
  PAYME_PUBLIC_KEY_PEM: optionalString(),
  /** Comma-separated, e.g. "PEN,USD". */
  PAYME_CURRENCIES: optionalString(),
  PAYME_FLEX_SCRIPT_URL: optionalString(),
  PAYME_EXPIRES_AFTER_SECONDS: optionalString(),
};
/** Tigo Money (providers/tigo-money.ts). Secret JSON {"clientId", "clientSecret", "masterMerchantPin"}. */
const TigoEnv = {
  TIGO_SECRET_ID: optionalString(),
  /** e.g. https://securesandbox.tigo.com */
  TIGO_API_BASE_URL: optionalString(),
  TIGO_MASTER_MERCHANT_ACCOUNT: optionalString(),
  TIGO_MASTER_MERCHANT_ID: optionalString(),
  /** ISO 3166 alpha-3, e.g. PRY */
  TIGO_COUNTRY: optionalString(),
  TIGO_COUNTRY_CALLING_CODE: optionalString(),
  TIGO_CURRENCY: optionalString(),
  /** The result page the verified buyer is sent to (`?paymentId=&provider=&outcome=` added by the adapter). */
  TIGO_RESULT_URL: optionalString(),
  TIGO_EXPIRES_AFTER_SECONDS: optionalString(),
};

/** Every provider's variables: a provider is served (and offered at checkout) only when its secret is set. */
const ProviderEnv = {
  ...KhipuEnv,
  ...WebpayEnv,
  ...BancardEnv,
  ...PayuEnv,
  ...PaymeEnv,
  ...TigoEnv,
};
/** The variables each provider needs with its secret id (wiring.ts builds a provider from exactly these). */
export const PROVIDER_VARIABLES = {
  KHIPU_SECRET_ID: ['KHIPU_API_BASE_URL'],
  WEBPAY_SECRET_ID: ['WEBPAY_API_BASE_URL', 'WEBPAY_RESULT_URL_PAID', 'WEBPAY_RESULT_URL_REJECTED', 'WEBPAY_RESULT_URL_ABORTED'],
  BANCARD_SECRET_ID: ['BANCARD_API_BASE_URL', 'BANCARD_CHECKOUT_SCRIPT_URL'],
  PAYU_SECRET_ID: ['PAYU_API_BASE_URL', 'PAYU_CHECKOUT_URL', 'PAYU_MERCHANT_ID', 'PAYU_ACCOUNTS'],
  PAYME_SECRET_ID: ['PAYME_API_BASE_URL', 'PAYME_AUTH_BASE_URL', 'PAYME_AUDIENCE', 'PAYME_API_VERSION', 'PAYME_MERCHANT_CODE', 'PAYME_PUBLIC_KEY_PEM', 'PAYME_CURRENCIES', 'PAYME_FLEX_SCRIPT_URL'],
  TIGO_SECRET_ID: ['TIGO_API_BASE_URL', 'TIGO_MASTER_MERCHANT_ACCOUNT', 'TIGO_MASTER_MERCHANT_ID', 'TIGO_COUNTRY', 'TIGO_COUNTRY_CALLING_CODE', 'TIGO_CURRENCY', 'TIGO_RESULT_URL'],
} as const;
/** Every provider's variables as the entry points read them (wiring.ts). */
export type ProviderEnvValues = z.output<z.ZodObject<typeof ProviderEnv>>;

/** A provider's variables are required together (checked at synth by contractEnvironment, and at cold start). */
function requireProviders(env: ProviderEnvValues, context: z.RefinementCtx): void {
  const secrets = Object.keys(PROVIDER_VARIABLES) as (keyof typeof PROVIDER_VARIABLES)[];
  if (!secrets.some((secret) => env[secret])) {
    context.addIssue({ code: 'custom', path: ['KHIPU_SECRET_ID'], message: 'or another provider\'s secret id must be set: no payment provider configured' });
  }
  for (const secret of secrets) {
    if (!env[secret]) continue;
    for (const name of PROVIDER_VARIABLES[secret]) if (!env[name]) context.addIssue({ code: 'custom', path: [name], message: 'must be set' });
  }
}

/** What a realm user's paid payment writes to their Modyo custom fields (segmentation), by field key. */
export const SEGMENTATION_FACTS = ['paidAt', 'amount', 'currency', 'provider', 'paymentId', 'description'] as const;
export type SegmentationFact = (typeof SEGMENTATION_FACTS)[number];
/** A Modyo custom field key (config checks it; events.ts checks the variable again at cold start without zod). */
export const SEGMENTATION_FIELD_KEY = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const SegmentationFields = /* @__PURE__ */ schema(() => z.record(z.string().regex(SEGMENTATION_FIELD_KEY), z.enum(SEGMENTATION_FACTS)));
export type SegmentationFields = z.infer<typeof SegmentationFields>;

/**
 * Who publishes payment events (the notification API, the outbox relay, the expiry job). With segmentation
 * configured, a paid realm user's payment also queues a customer-sync profile update (sqs:SendMessage on that queue).
 */
const PublisherEnv = {
  PAYMENTS_TABLE_NAME: requiredString(),
  PAYMENT_EVENTS_QUEUE_URL: requiredString(),
  /** customer-sync's profile updates queue (QueuedProfileUpdate); set together with PAYMENT_SEGMENTATION_FIELDS. */
  PROFILE_UPDATES_QUEUE_URL: optionalString(),
  /** JSON SegmentationFields: Modyo custom field key → payment fact (read by events.ts segmentationFields, without zod at cold start). */
  PAYMENT_SEGMENTATION_FIELDS: optionalString(),
};

/**
 * The payments API. IAM: dynamodb:GetItem, UpdateItem on the payments table; sqs:SendMessage on the events queue
 * (+ kms:GenerateDataKey / Decrypt); dynamodb:GetItem, PutItem, UpdateItem, DeleteItem on the idempotency table
 * (stored WebPay commit results); each configured provider's secret. Each provider call's deadline is the stack's
 * HTTP_TIMEOUT_MS (outbound limits).
 */
export const PaymentsApiEnv = /* @__PURE__ */ schema(() => refinedEnvironment(
  {
    ...PublisherEnv,
    IDEMPOTENCY_TABLE_NAME: requiredString(),
    ...ProviderEnv,
  },
  requireProviders,
));

/**
 * Checkout and my payments (POST /payments, GET /payments, GET /payments/{id}). IAM: dynamodb:PutItem, GetItem,
 * UpdateItem on the table and Query on OWNER_INDEX; the idempotency table's item actions (Idempotency-Key); each
 * configured provider's secret.
 */
export const PaymentsCheckoutEnv = /* @__PURE__ */ schema(() => refinedEnvironment(
  {
    PAYMENTS_TABLE_NAME: requiredString(),
    IDEMPOTENCY_TABLE_NAME: requiredString(),
    /** The page the buyer's browser returns to (`?paymentId=&provider=` added), for providers that return there. */
    PAYMENT_RESULT_URL: requiredString(),
    ...ProviderEnv,
  },
  requireProviders,
));

/**
 * The expiry job (scheduled): payments still `created`/`pending` past their provider's window are asked about
 * (provider.status), then closed or reversed. IAM: dynamodb:Query on OUTBOX_INDEX, GetItem, UpdateItem; the
 * publisher's; each configured provider's secret.
 */
export const PaymentsExpiryEnv = /* @__PURE__ */ schema(() => refinedEnvironment(
  {
    ...PublisherEnv,
    /** Most payments one run looks at (the run also stops while the function has time for one more provider call). */
    EXPIRY_BATCH_LIMIT: wholeNumber(1),
    /** Window of a provider that does not set its own (expiresAfterSeconds). */
    EXPIRY_DEFAULT_AFTER_SECONDS: wholeNumber(60),
    ...ProviderEnv,
  },
  requireProviders,
));

/** The outbox relay. IAM: dynamodb:Query on OUTBOX_INDEX and UpdateItem on the table; sqs:SendMessage on the queue. */
export const PaymentsOutboxEnv = /* @__PURE__ */ schema(() => z.object({
  ...PublisherEnv,
  /** Seconds: records younger than this are left to the in-line send. */
  OUTBOX_GRACE_SECONDS: wholeNumber(0),
}));

/** Every gateway Modyo lists for Latin America. */
export const PROVIDERS = ['khipu', 'webpay', 'bancard', 'payu', 'payme', 'tigo-money'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/**
 * Khipu's schemas, built at Khipu's first use like every provider's (lazy; the adapters' own too): a cold start
 * serves one provider, so it builds only that one's. Cold init CPU of api, checkout, expiry ~7-8 ms lower each; the
 * first Khipu notification ~4.5 ms higher (medians of 15-21 fresh processes, load ~6).
 */
export const khipuSchemas = lazy(() => ({
  /** Khipu's POST to our notify_url (application/x-www-form-urlencoded). */
  KhipuNotification: z.object({
    notification_token: z.string().min(1).max(200),
    api_version: z.string().min(1).max(10),
  }),
  /** The payment Khipu returns for a notification token (API v2); only the fields we check are required. */
  KhipuPayment: z.object({
    payment_id: z.string().min(1),
    receiver_id: z.union([z.number(), z.string()]).transform(String),
    status: z.string().min(1),
    amount: z.union([z.number(), z.string()]).transform(Number).pipe(z.number().finite()),
    currency: z.string().min(1),
    transaction_id: z.string().min(1).optional(),
    custom: z.string().optional(),
  }),
}));
export type KhipuNotification = z.infer<ReturnType<typeof khipuSchemas>['KhipuNotification']>;
export type KhipuPayment = z.infer<ReturnType<typeof khipuSchemas>['KhipuPayment']>;

/** WebPay's schemas, built at WebPay's first use (khipuSchemas). */
export const webpaySchemas = lazy(() => {
  const webpayToken = z.string().min(1).max(64);
  return {
    /**
     * The buyer's return to WebPay Plus's return_url (GET query or POST form). Normal flow: `token_ws` only.
     * Aborted: `TBK_TOKEN`, `TBK_ORDEN_COMPRA`, `TBK_ID_SESION`. Error in the payment form: all four.
     * Timeout: `TBK_ORDEN_COMPRA` and `TBK_ID_SESION` only.
     */
    WebpayReturn: z
      .object({
        token_ws: webpayToken.optional(),
        TBK_TOKEN: webpayToken.optional(),
        TBK_ORDEN_COMPRA: z.string().min(1).max(26).optional(),
        TBK_ID_SESION: z.string().min(1).max(61).optional(),
      })
      .refine((value) => value.token_ws !== undefined || value.TBK_ORDEN_COMPRA !== undefined, {
        message: 'token_ws, or TBK_ORDEN_COMPRA with TBK_TOKEN, is required',
      }),
    /** WebPay Plus commit / status response (REST v1.2); card data is never kept beyond these fields. */
    WebpayTransaction: z.object({
      status: z.string().min(1),
      /** Absent or null on a transaction that was never authorised (e.g. a status read of an unfinished one). */
      response_code: z.number().int().nullish(),
      amount: z.number().finite(),
      buy_order: z.string().min(1),
      authorization_code: z.string().optional(),
    }),
  };
});
export type WebpayReturn = z.infer<ReturnType<typeof webpaySchemas>['WebpayReturn']>;
export type WebpayTransaction = z.infer<ReturnType<typeof webpaySchemas>['WebpayTransaction']>;

export const PAYMENT_STATUSES = ['created', 'pending', 'paid', 'rejected', 'aborted', 'expired', 'refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
/** `pending` is not final: the provider has the payment but has not finished it (PayU 7, Pay-me PENDIENTE, ...). */
export type FinalPaymentStatus = Exclude<PaymentStatus, 'created' | 'pending'>;

/**
 * The payment record (DynamoDB, partition key `paymentId`). Created by checkout (POST /payments) with status
 * `created`, before the payment is created at the provider; every later move is one conditional write (store.ts).
 */
export const PaymentRecord = /* @__PURE__ */ schema(() => z.object({
  /** Our id, the provider's order reference (Khipu `transaction_id`, WebPay `buy_order`, Bancard `shop_process_id`, ...). */
  paymentId: z.string().min(1).max(26),
  provider: z.enum(PROVIDERS),
  /** Expected amount in the currency's major units (CLP and PYG have no decimals). */
  amount: z.number().positive(),
  currency: z.string().length(3),
  status: z.enum(PAYMENT_STATUSES),
  /** The provider's id of the payment, stored at checkout; verified against what the provider reports. */
  providerPaymentId: z.string().min(1).optional(),
  createdAt: z.string(),
  updatedAt: z.string().optional(),
  /** Why it reached its state (provider status / response code); no card or personal data. */
  reason: z.string().optional(),
  authorizationCode: z.string().optional(),
  /**
   * Work marker on the sparse GSI `outbox-index` (partition `outbox`, sort `updatedAt`): `open` while the payment
   * waits for the provider's final word (the expiry job reads these), `pending` while the event of its latest state
   * is not queued yet (the outbox relay reads these); absent otherwise.
   */
  outbox: z.enum(['pending', 'open']).optional(),
  /** Whose payment it is (GSI `owner-index`, sort `createdAt`): `modyo:<realm>:<user id>` or `client:<client id>`. */
  owner: z.string().min(1).optional(),
  /** The Modyo realm user who pays (from the token's modyo_realm / modyo_user_id), for segmentation. */
  realmUid: z.string().optional(),
  modyoUserId: z.string().optional(),
  description: z.string().optional(),
}));
export type PaymentRecord = z.infer<typeof PaymentRecord>;

export const PAYMENT_EVENT_TYPES = ['payment.paid', 'payment.rejected', 'payment.aborted', 'payment.expired', 'payment.refunded'] as const;

/** The event queued for downstream systems once a payment reaches a final state. Consumers dedupe on `eventId`. */
export const PaymentEvent = /* @__PURE__ */ schema(() => z.object({
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
}));
export type PaymentEvent = z.infer<typeof PaymentEvent>;

/** Idempotency-Key of POST /payments: retries with the same key and body answer the first checkout. */
export const CheckoutIdempotencyKey = /* @__PURE__ */ schema(() => z.string().regex(/^[A-Za-z0-9_.:-]{8,128}$/, '8 to 128 letters, digits, "_", ".", ":" or "-"'));

/**
 * Body of POST /payments. The provider's own rules (currencies, decimals, description length, buyer fields) are
 * checked by the handler after this shape (lambda/payments/checkout.ts): a 400 names the field either way.
 */
export const CheckoutBody = /* @__PURE__ */ schema(() => z.strictObject({
  provider: z.enum(PROVIDERS),
  /** In the currency's major units: 15000 (CLP), 10000 (PYG), 150.5 (PEN). */
  amount: z.number().positive().max(1_000_000_000_000),
  /** ISO 4217 alphabetic code. */
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code in capitals, e.g. "CLP"'),
  description: z.string().trim().min(1).max(255),
  /** Optional (no default: API Gateway's model, built from the output side, would then require it). */
  buyer: z
    .strictObject({
      email: z.email().max(254).optional(),
      /** Digits only, without country code (Tigo Money's wallet number). */
      phone: z.string().regex(/^\d{6,15}$/, '6 to 15 digits').optional(),
      name: z.string().min(1).max(100).optional(),
    })
    .optional(),
}));
export type CheckoutBody = z.infer<typeof CheckoutBody>;

/** What the browser does next (provider.ts NextStep). */
export const NextStepSchema = /* @__PURE__ */ schema(() => z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('redirect'), url: z.string() }),
  z.object({ kind: z.literal('form_post'), url: z.string(), fields: z.record(z.string(), z.string()) }),
  z.object({ kind: z.literal('embedded'), scriptUrl: z.string(), parameters: z.record(z.string(), z.string()) }),
]));

/** A payment as its owner sees it (GET /payments/{id}, items of GET /payments). */
export const PaymentView = /* @__PURE__ */ schema(() => z.object({
  paymentId: z.string(),
  provider: z.enum(PROVIDERS),
  status: z.enum(PAYMENT_STATUSES),
  amount: z.number(),
  currency: z.string(),
  description: z.string().optional(),
  reason: z.string().optional(),
  authorizationCode: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string().optional(),
}));
export type PaymentView = z.infer<typeof PaymentView>;

/** 201 answer of POST /payments. */
export const CheckoutAnswer = /* @__PURE__ */ schema(() => PaymentView.extend({ next: NextStepSchema }));
export type CheckoutAnswer = z.infer<typeof CheckoutAnswer>;

/** 200 answer of GET /payments: newest first; `nextCursor` fetches the next page. */
export const PaymentPage = /* @__PURE__ */ schema(() => z.object({ items: z.array(PaymentView), nextCursor: z.string().optional() }));

/**
 * Pay-me (Alignet) server-to-server notification: a JSON POST to our callback_url, header `signature` = base64
 * SHA512withRSA over the raw body (https://docs.pay-me.com/api-reference/notificacion-servertoserver). Only the
 * ids are used: the charge is re-read from Alignet's status API before anything is recorded. The WAF body-size rule
 * of its route uses PAYME_NOTIFICATION_LIMITS (an operation's lifecycle makes it larger than a form).
 */
export const PAYME_NOTIFICATION_LIMITS = { maxBytes: 8192, contentTypes: ['application/json'] };
// Loose objects: Alignet and Tigo send more fields than these, and the API Gateway model built from the schema must
// not refuse them (a closed z.object becomes `additionalProperties: false` in the model).
/** Pay-me's schemas, built at Pay-me's first use (khipuSchemas). */
export const paymeSchemas = lazy(() => ({
  PaymeNotification: z.looseObject({
    action: z.string().max(40).optional(),
    merchant_code: z.string().regex(/^[0-9A-Za-z-]{1,64}$/, "Alignet's merchant code"),
    merchant_operation_number: z.string().regex(/^[0-9A-Za-z-]{1,26}$/, 'our payment id (1 to 26 letters, digits or "-")'),
    transaction: z.looseObject({
      transaction_id: z.string().regex(/^[0-9A-Za-z-]{1,64}$/, "Alignet's transaction id"),
      state: z.string().max(40).optional(),
    }),
  }),
}));
export type PaymeNotification = z.infer<ReturnType<typeof paymeSchemas>['PaymeNotification']>;

/**
 * Tigo Money's callback to our callbackUri (POST) and the buyer's return to our redirectUri (GET query): NOT signed,
 * so only merchantTransactionId (and mfsTransactionId, compared with what Tigo's status API reports) are used. The
 * callback's encoding is not settled by public sources (uncertain): JSON and form are both accepted.
 */
export const TIGO_CALLBACK_LIMITS = { maxBytes: 4096, contentTypes: ['application/json', 'application/x-www-form-urlencoded'] };
/** Tigo Money's schemas, built at Tigo Money's first use (khipuSchemas). */
export const tigoMoneySchemas = lazy(() => ({
  TigoMoneyCallback: z.looseObject({
    merchantTransactionId: z.string().regex(/^[0-9A-Za-z-]{1,26}$/, 'our payment id (1 to 26 letters, digits or "-")'),
    mfsTransactionId: z.string().regex(/^[0-9A-Za-z._-]{1,64}$/).optional(),
    transactionCode: z.string().max(64).optional(),
    transactionDescription: z.string().max(500).optional(),
    transactionStatus: z.string().max(40).optional(),
  }),
}));
export type TigoMoneyCallback = z.infer<ReturnType<typeof tigoMoneySchemas>['TigoMoneyCallback']>;

/**
 * Bancard vPOS 2.0 confirmation: a JSON POST from Bancard to the confirmation URL registered in its portal, and an
 * empty `{}` every 5 minutes as a monitor (so `operation` is optional). Only the fields the token covers and the ids
 * are read; Bancard adds others (response_details, security_information, ...), so the object stays open. The
 * outcome is read back from the confirmations query before anything is recorded (providers/bancard.ts).
 * Content type: application/json (uncertain: Bancard's published docs do not state the header it sends).
 */
export const BANCARD_CONFIRMATION_LIMITS = { maxBytes: 4096, contentTypes: ['application/json'] };
/** Bancard's schemas, built at Bancard's first use (khipuSchemas). */
export const bancardSchemas = lazy(() => {
  const bancardDecimal = z.string().regex(/^\d{1,13}\.\d{2}$/, 'an amount with two decimals, e.g. "10100.00"');
  return {
    BancardConfirmation: z.looseObject({
      operation: z
        .looseObject({
          token: z.string().regex(/^[0-9a-fA-F]{32}$/, 'an MD5 hex digest'),
          /** Our payment id: an integer of up to 15 digits (Bancard may write it as a number or a string). */
          shop_process_id: z.union([z.number().int().positive().max(999_999_999_999_999), z.string().regex(/^[1-9]\d{0,14}$/)]),
          amount: bancardDecimal,
          currency: z.string().regex(/^[A-Z]{3}$/),
          /** "S" processed, "N" not. */
          response: z.string().max(2).optional(),
          /** "00" approved; others are declines. */
          response_code: z.string().max(4).nullish(),
        })
        .optional(),
    }),
  };
});
export type BancardConfirmation = z.infer<ReturnType<typeof bancardSchemas>['BancardConfirmation']>;

/**
 * PayU Latam confirmation: a form POST to the confirmationUrl of the WebCheckout form, one per payment attempt,
 * attempts sharing `reference_sale`. `sign` = MD5 hex of ApiKey~merchant_id~reference_sale~new_value~currency~state_pol.
 * PayU sends many more fields (buyer, billing, bank data: never read), so the limit is larger than FORM_LIMITS.
 */
export const PAYU_CONFIRMATION_LIMITS = { maxBytes: 8192, contentTypes: ['application/x-www-form-urlencoded'] };
/** PayU's schemas, built at PayU's first use (khipuSchemas). */
export const payuSchemas = lazy(() => ({
  PayuConfirmation: z.looseObject({
    merchant_id: z.string().regex(/^\d{1,12}$/),
    /** Our payment id (the form's referenceCode). */
    reference_sale: z.string().regex(/^[0-9A-Za-z-]{1,26}$/, 'our payment id (1 to 26 letters, digits or "-")'),
    reference_pol: z.string().max(64).optional(),
    transaction_id: z.string().regex(/^[0-9A-Za-z-]{1,64}$/),
    /** 4 approved, 6 declined, 5 expired, 7 pending, 104 error. */
    state_pol: z.string().regex(/^\d{1,3}$/),
    response_code_pol: z.string().max(8).optional(),
    value: z.string().regex(/^\d{1,13}(\.\d{1,2})?$/, 'an amount with at most two decimals'),
    currency: z.string().regex(/^[A-Z]{3}$/),
    sign: z.string().regex(/^[0-9a-fA-F]{32}$|^[0-9a-fA-F]{64}$/, 'an MD5 or SHA-256 hex digest'),
    test: z.string().max(5).optional(),
  }),
}));
export type PayuConfirmation = z.infer<ReturnType<typeof payuSchemas>['PayuConfirmation']>;
