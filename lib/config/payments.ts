import { z } from 'zod';
import { SEGMENTATION_FACTS, SEGMENTATION_FIELD_KEY } from '../../lambda/payments/contract';
import { httpsUrl, positiveInt } from './fields';

/**
 * The payment providers beyond Khipu and WebPay (`integrations.bancard`, `payu`, `payme`, `tigoMoney`) and the
 * payments options (`integrations.payments`): base URLs, merchant ids and currencies per environment. Credentials
 * never go here: each provider's secret is `connect/<env>/<provider>` in Secrets Manager (IntegrationSecret).
 * Allowed callback source IPs go to `api.waf.routes["<METHOD> <provider route>"].allowedSourceCidrs`.
 * Facts marked (uncertain) in ../shared/reference/payments.md are fields here, not constants in code.
 */

const currencyCode = z.string().regex(/^[A-Z]{3}$/, { message: 'expected an ISO 4217 code in capitals, e.g. "PYG"' });
const digits = z.string().regex(/^\d{1,20}$/, { message: 'expected digits only, as a string' });
const windowSeconds = positiveInt.max(7 * 24 * 3600, { message: 'expected at most 604800 seconds (7 days)' });

/** Bancard vPOS 2.0. Secret {"publicKey", "privateKey"}. */
export const BancardConfig = z.strictObject({
  /** https://vpos.infonet.com.py (staging https://vpos.infonet.com.py:8888); the API root is added in code. */
  apiBaseUrl: httpsUrl,
  /** Bancard's checkout JS the browser loads to open the iframe with the process_id. */
  checkoutScriptUrl: httpsUrl,
  currencies: z.array(currencyCode).min(1).default(['PYG']),
});

/** PayU Latam WebCheckout + reports API. Secret {"apiKey", "apiLogin"}. */
export const PayuConfig = z.strictObject({
  /** API host: https://api.payulatam.com (sandbox https://sandbox.api.payulatam.com). */
  apiBaseUrl: httpsUrl,
  /** WebCheckout form action: https://checkout.payulatam.com/ppp-web-gateway-payu/ (sandbox host sandbox.checkout...). */
  checkoutUrl: httpsUrl,
  merchantId: digits,
  /** Currency → PayU accountId (one account per country): the currencies offered at checkout. */
  accounts: z.record(currencyCode, digits).refine((accounts) => Object.keys(accounts).length > 0, { message: 'expected at least one currency → accountId' }),
  signatureAlgorithm: z.enum(['MD5', 'SHA256']).default('MD5'),
  /** PayU's `test` flag: true only against the sandbox. */
  test: z.boolean().default(false),
  expiresAfterSeconds: windowSeconds.optional(),
});

/** Pay-me by Alignet (new API). Secret {"clientId", "clientSecret"}. */
export const PaymeConfig = z.strictObject({
  /** Charges API: https://api.alignet.io (pre-production https://api.preprod.alignet.io). */
  apiBaseUrl: httpsUrl,
  /** Token endpoint host: https://auth.alignet.io (pre-production https://auth.preprod.alignet.io). */
  authBaseUrl: httpsUrl,
  /** The audience of the client-credentials token, as Alignet names the API. */
  audience: z.string().min(1),
  /** ALG-API-VERSION header (uncertain: the docs show more than one). */
  apiVersion: z.string().regex(/^\d{1,20}$/, { message: 'expected the ALG-API-VERSION digits, e.g. "1709847567"' }),
  merchantCode: z.string().min(1).max(64),
  /** Alignet's notification public key of this environment (PEM, RSA 2048): the callbacks' signatures are checked with it. */
  publicKeyPem: z.string().regex(/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+\n-----END PUBLIC KEY-----\n?$/, { message: 'expected a PEM public key ("-----BEGIN PUBLIC KEY-----" ... "-----END PUBLIC KEY-----")' }),
  currencies: z.array(z.enum(['PEN', 'USD', 'BOB', 'CRC'], { message: 'expected PEN, USD, BOB or CRC' })).min(1),
  /** The Pay-me Flex library the browser loads. */
  flexScriptUrl: httpsUrl,
  expiresAfterSeconds: windowSeconds.optional(),
});

/** Tigo Money (Tigo Secure payments API v2). Secret {"clientId", "clientSecret", "masterMerchantPin"}. */
export const TigoMoneyConfig = z.strictObject({
  /** https://securesandbox.tigo.com; production host (uncertain: https://prod.api.tigo.com or https://secure.tigo.com). */
  apiBaseUrl: httpsUrl,
  masterMerchantAccount: digits,
  masterMerchantId: z.string().min(1).max(64),
  /** ISO 3166 alpha-3, e.g. "PRY". */
  country: z.string().regex(/^[A-Z]{3}$/, { message: 'expected an ISO 3166 alpha-3 country code, e.g. "PRY"' }),
  /** The country's calling code, e.g. "595". */
  countryCallingCode: z.string().regex(/^\d{1,4}$/, { message: 'expected the calling code digits, e.g. "595"' }),
  currency: currencyCode,
  expiresAfterSeconds: windowSeconds.optional(),
});

/** Options of the payments feature as a whole. */
export const PaymentsOptions = z.strictObject({
  /**
   * Segmentation: Modyo custom field key → payment fact, written to the paying realm user through customer sync when
   * a payment is paid, e.g. {"ultimaCompra": "paidAt", "ultimoMonto": "amount"}.
   */
  segmentationFields: z
    .record(
      z.string().regex(SEGMENTATION_FIELD_KEY, { message: 'expected a Modyo custom field key: a letter, then letters, digits or "_"' }),
      z.enum(SEGMENTATION_FACTS, { message: `expected one of ${SEGMENTATION_FACTS.join(', ')}` }),
    )
    .default({}),
  /** How often the expiry job runs, and how many open payments one run looks at. */
  expiry: z
    .strictObject({
      everyMinutes: z.number().int().min(1).max(60).default(5),
      batchLimit: z.number().int().min(1).max(200).default(25),
      /** Window of a provider that sets none (seconds since the last change). */
      defaultAfterSeconds: windowSeconds.default(3600),
    })
    .prefault({}),
});

/** The provider fields of `integrations` (composed into IntegrationsConfig). */
export const PAYMENT_PROVIDER_FIELDS = {
  bancard: BancardConfig.optional(),
  payu: PayuConfig.optional(),
  payme: PaymeConfig.optional(),
  tigoMoney: TigoMoneyConfig.optional(),
  payments: PaymentsOptions.prefault({}),
};

/** The providers an environment configures, by their contract names. */
export function configuredPaymentProviders(integrations: {
  khipu?: unknown;
  webpay?: unknown;
  bancard?: unknown;
  payu?: unknown;
  payme?: unknown;
  tigoMoney?: unknown;
}): Array<'khipu' | 'webpay' | 'bancard' | 'payu' | 'payme' | 'tigo-money'> {
  const names = [
    ['khipu', integrations.khipu],
    ['webpay', integrations.webpay],
    ['bancard', integrations.bancard],
    ['payu', integrations.payu],
    ['payme', integrations.payme],
    ['tigo-money', integrations.tigoMoney],
  ] as const;
  return names.filter(([, config]) => config !== undefined).map(([name]) => name);
}
