/**
 * The configured providers, built once per cold start by each payments entry point (api, checkout, expiry) from its
 * environment (contract.ts ProviderEnv): a provider is served only when its secret id is set. Each adapter gets its
 * secret through the shared cache (re-read after the provider refuses it) and the stack's outbound deadline.
 */
import { secrets } from '../shared/secrets';
import { type KhipuCredentials, khipuProvider } from './khipu';
import type { PaymentProvider } from './provider';
import { type BancardCredentials, bancardProvider } from './providers/bancard';
import { type PaymeCredentials, paymeProvider } from './providers/payme';
import { type PayuCredentials, payuProvider } from './providers/payu';
import { type TigoMoneyCredentials, tigoMoneyProvider } from './providers/tigo-money';
import { type WebpayCredentials, webpayProvider } from './webpay';

/** The provider variables of every payments contract (optional strings, required together: contract.ts). */
export interface ProviderVariables {
  readonly KHIPU_SECRET_ID?: string;
  readonly KHIPU_API_BASE_URL?: string;
  readonly WEBPAY_SECRET_ID?: string;
  readonly WEBPAY_API_BASE_URL?: string;
  readonly WEBPAY_RESULT_URL_PAID?: string;
  readonly WEBPAY_RESULT_URL_REJECTED?: string;
  readonly WEBPAY_RESULT_URL_ABORTED?: string;
  readonly BANCARD_SECRET_ID?: string;
  readonly BANCARD_API_BASE_URL?: string;
  readonly BANCARD_CHECKOUT_SCRIPT_URL?: string;
  readonly BANCARD_CURRENCIES?: string;
  readonly PAYU_SECRET_ID?: string;
  readonly PAYU_API_BASE_URL?: string;
  readonly PAYU_CHECKOUT_URL?: string;
  readonly PAYU_MERCHANT_ID?: string;
  readonly PAYU_ACCOUNTS?: string;
  readonly PAYU_SIGNATURE_ALGORITHM?: string;
  readonly PAYU_TEST?: boolean;
  readonly PAYU_EXPIRES_AFTER_SECONDS?: string;
  readonly PAYME_SECRET_ID?: string;
  readonly PAYME_API_BASE_URL?: string;
  readonly PAYME_AUTH_BASE_URL?: string;
  readonly PAYME_AUDIENCE?: string;
  readonly PAYME_API_VERSION?: string;
  readonly PAYME_MERCHANT_CODE?: string;
  readonly PAYME_PUBLIC_KEY_PEM?: string;
  readonly PAYME_CURRENCIES?: string;
  readonly PAYME_FLEX_SCRIPT_URL?: string;
  readonly PAYME_EXPIRES_AFTER_SECONDS?: string;
  readonly TIGO_SECRET_ID?: string;
  readonly TIGO_API_BASE_URL?: string;
  readonly TIGO_MASTER_MERCHANT_ACCOUNT?: string;
  readonly TIGO_MASTER_MERCHANT_ID?: string;
  readonly TIGO_COUNTRY?: string;
  readonly TIGO_COUNTRY_CALLING_CODE?: string;
  readonly TIGO_CURRENCY?: string;
  readonly TIGO_RESULT_URL?: string;
  readonly TIGO_EXPIRES_AFTER_SECONDS?: string;
}

/** "PYG,USD" → ["PYG", "USD"]. */
const list = (value: string): string[] => value.split(',').map((item) => item.trim()).filter((item) => item !== '');

/** "COP:512321,PEN:512323" → {COP: "512321", PEN: "512323"}. */
function pairs(value: string): Record<string, string> {
  return Object.fromEntries(list(value).map((pair) => pair.split(':').map((part) => part.trim()) as [string, string]));
}

/** A window in seconds, or undefined for the adapter's default; a value that is not a whole number stops the cold start. */
function seconds(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`Environment variable ${name} must be a whole number of seconds`);
  return Number(value);
}


function fromSecret<T>(secretId: string) {
  return { credentials: () => secrets.getJson<T>(secretId), credentialsRejected: () => secrets.invalidate(secretId) };
}

export function configuredProviders(env: ProviderVariables, timeoutMs: number): PaymentProvider[] {
  const providers: PaymentProvider[] = [];
  if (env.KHIPU_SECRET_ID && env.KHIPU_API_BASE_URL) {
    providers.push(khipuProvider({ baseUrl: env.KHIPU_API_BASE_URL, timeoutMs, ...fromSecret<KhipuCredentials>(env.KHIPU_SECRET_ID) }));
  }
  if (env.WEBPAY_SECRET_ID && env.WEBPAY_API_BASE_URL && env.WEBPAY_RESULT_URL_PAID && env.WEBPAY_RESULT_URL_REJECTED && env.WEBPAY_RESULT_URL_ABORTED) {
    providers.push(
      webpayProvider({
        baseUrl: env.WEBPAY_API_BASE_URL,
        timeoutMs,
        resultPages: { paid: env.WEBPAY_RESULT_URL_PAID, rejected: env.WEBPAY_RESULT_URL_REJECTED, aborted: env.WEBPAY_RESULT_URL_ABORTED },
        ...fromSecret<WebpayCredentials>(env.WEBPAY_SECRET_ID),
      }),
    );
  }
  if (env.BANCARD_SECRET_ID && env.BANCARD_API_BASE_URL && env.BANCARD_CHECKOUT_SCRIPT_URL) {
    providers.push(
      bancardProvider({
        baseUrl: env.BANCARD_API_BASE_URL,
        timeoutMs,
        checkoutScriptUrl: env.BANCARD_CHECKOUT_SCRIPT_URL,
        ...(env.BANCARD_CURRENCIES && { currencies: list(env.BANCARD_CURRENCIES) }),
        ...fromSecret<BancardCredentials>(env.BANCARD_SECRET_ID),
      }),
    );
  }
  if (env.PAYU_SECRET_ID && env.PAYU_API_BASE_URL && env.PAYU_CHECKOUT_URL && env.PAYU_MERCHANT_ID && env.PAYU_ACCOUNTS) {
    const algorithm = env.PAYU_SIGNATURE_ALGORITHM;
    if (algorithm !== undefined && algorithm !== 'MD5' && algorithm !== 'SHA256') throw new Error('Environment variable PAYU_SIGNATURE_ALGORITHM must be MD5 or SHA256');
    providers.push(
      payuProvider({
        baseUrl: env.PAYU_API_BASE_URL,
        timeoutMs,
        checkoutUrl: env.PAYU_CHECKOUT_URL,
        merchantId: env.PAYU_MERCHANT_ID,
        accounts: pairs(env.PAYU_ACCOUNTS),
        ...(algorithm && { signatureAlgorithm: algorithm }),
        test: env.PAYU_TEST ?? false,
        expiresAfterSeconds: seconds('PAYU_EXPIRES_AFTER_SECONDS', env.PAYU_EXPIRES_AFTER_SECONDS),
        ...fromSecret<PayuCredentials>(env.PAYU_SECRET_ID),
      }),
    );
  }
  if (
    env.PAYME_SECRET_ID &&
    env.PAYME_API_BASE_URL &&
    env.PAYME_AUTH_BASE_URL &&
    env.PAYME_AUDIENCE &&
    env.PAYME_API_VERSION &&
    env.PAYME_MERCHANT_CODE &&
    env.PAYME_PUBLIC_KEY_PEM &&
    env.PAYME_CURRENCIES &&
    env.PAYME_FLEX_SCRIPT_URL
  ) {
    providers.push(
      paymeProvider({
        baseUrl: env.PAYME_API_BASE_URL,
        timeoutMs,
        authBaseUrl: env.PAYME_AUTH_BASE_URL,
        audience: env.PAYME_AUDIENCE,
        apiVersion: env.PAYME_API_VERSION,
        merchantCode: env.PAYME_MERCHANT_CODE,
        publicKeyPem: env.PAYME_PUBLIC_KEY_PEM,
        currencies: list(env.PAYME_CURRENCIES),
        flexScriptUrl: env.PAYME_FLEX_SCRIPT_URL,
        expiresAfterSeconds: seconds('PAYME_EXPIRES_AFTER_SECONDS', env.PAYME_EXPIRES_AFTER_SECONDS),
        ...fromSecret<PaymeCredentials>(env.PAYME_SECRET_ID),
      }),
    );
  }
  if (
    env.TIGO_SECRET_ID &&
    env.TIGO_API_BASE_URL &&
    env.TIGO_MASTER_MERCHANT_ACCOUNT &&
    env.TIGO_MASTER_MERCHANT_ID &&
    env.TIGO_COUNTRY &&
    env.TIGO_COUNTRY_CALLING_CODE &&
    env.TIGO_CURRENCY &&
    env.TIGO_RESULT_URL
  ) {
    providers.push(
      tigoMoneyProvider({
        baseUrl: env.TIGO_API_BASE_URL,
        timeoutMs,
        masterMerchantAccount: env.TIGO_MASTER_MERCHANT_ACCOUNT,
        masterMerchantId: env.TIGO_MASTER_MERCHANT_ID,
        country: env.TIGO_COUNTRY,
        countryCallingCode: env.TIGO_COUNTRY_CALLING_CODE,
        currency: env.TIGO_CURRENCY,
        resultUrl: env.TIGO_RESULT_URL,
        expiresAfterSeconds: seconds('TIGO_EXPIRES_AFTER_SECONDS', env.TIGO_EXPIRES_AFTER_SECONDS),
        ...fromSecret<TigoMoneyCredentials>(env.TIGO_SECRET_ID),
      }),
    );
  }
  return providers;
}
