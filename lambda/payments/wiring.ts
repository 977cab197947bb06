/**
 * The configured providers, built once per cold start by each payments entry point (api, checkout, expiry) from its
 * environment (contract.ts ProviderEnv): a provider is served only when its secret id is set. Each adapter gets its
 * secret through the shared cache (re-read after the provider refuses it) and the stack's outbound deadline.
 */
import { secrets } from '../shared/secrets';
import { PROVIDER_VARIABLES, type ProviderEnvValues } from './contract';
import { type KhipuCredentials, khipuProvider } from './khipu';
import type { PaymentProvider } from './provider';
import { type BancardCredentials, bancardProvider } from './providers/bancard';
import { type PaymeCredentials, paymeProvider } from './providers/payme';
import { type PayuCredentials, payuProvider } from './providers/payu';
import { type TigoMoneyCredentials, tigoMoneyProvider } from './providers/tigo-money';
import { type WebpayCredentials, webpayProvider } from './webpay';

/** The provider variables of every payments contract (optional strings, required together: contract.ts). */
export type ProviderVariables = ProviderEnvValues;
type SecretVariable = keyof typeof PROVIDER_VARIABLES;
type Settings<S extends SecretVariable> = Record<S | (typeof PROVIDER_VARIABLES)[S][number], string>;

/**
 * A provider's secret id and required variables (contract.ts PROVIDER_VARIABLES), when every one is set: the
 * provider is served; otherwise undefined.
 */
function required<S extends SecretVariable>(env: ProviderVariables, secret: S): Settings<S> | undefined {
  const values: Record<string, string> = {};
  for (const name of [secret, ...PROVIDER_VARIABLES[secret]]) {
    const value = env[name];
    if (typeof value !== 'string' || value === '') return undefined;
    values[name] = value;
  }
  return values as Settings<S>;
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
  const khipu = required(env, 'KHIPU_SECRET_ID');
  if (khipu) {
    providers.push(khipuProvider({ baseUrl: khipu.KHIPU_API_BASE_URL, timeoutMs, ...fromSecret<KhipuCredentials>(khipu.KHIPU_SECRET_ID) }));
  }
  const webpay = required(env, 'WEBPAY_SECRET_ID');
  if (webpay) {
    providers.push(
      webpayProvider({
        baseUrl: webpay.WEBPAY_API_BASE_URL,
        timeoutMs,
        resultPages: { paid: webpay.WEBPAY_RESULT_URL_PAID, rejected: webpay.WEBPAY_RESULT_URL_REJECTED, aborted: webpay.WEBPAY_RESULT_URL_ABORTED },
        ...fromSecret<WebpayCredentials>(webpay.WEBPAY_SECRET_ID),
      }),
    );
  }
  const bancard = required(env, 'BANCARD_SECRET_ID');
  if (bancard) {
    providers.push(
      bancardProvider({
        baseUrl: bancard.BANCARD_API_BASE_URL,
        timeoutMs,
        checkoutScriptUrl: bancard.BANCARD_CHECKOUT_SCRIPT_URL,
        ...(env.BANCARD_CURRENCIES && { currencies: list(env.BANCARD_CURRENCIES) }),
        ...fromSecret<BancardCredentials>(bancard.BANCARD_SECRET_ID),
      }),
    );
  }
  const payu = required(env, 'PAYU_SECRET_ID');
  if (payu) {
    const algorithm = env.PAYU_SIGNATURE_ALGORITHM;
    if (algorithm !== undefined && algorithm !== 'MD5' && algorithm !== 'SHA256') throw new Error('Environment variable PAYU_SIGNATURE_ALGORITHM must be MD5 or SHA256');
    providers.push(
      payuProvider({
        baseUrl: payu.PAYU_API_BASE_URL,
        timeoutMs,
        checkoutUrl: payu.PAYU_CHECKOUT_URL,
        merchantId: payu.PAYU_MERCHANT_ID,
        accounts: pairs(payu.PAYU_ACCOUNTS),
        ...(algorithm && { signatureAlgorithm: algorithm }),
        test: env.PAYU_TEST ?? false,
        expiresAfterSeconds: seconds('PAYU_EXPIRES_AFTER_SECONDS', env.PAYU_EXPIRES_AFTER_SECONDS),
        ...fromSecret<PayuCredentials>(payu.PAYU_SECRET_ID),
      }),
    );
  }
  const payme = required(env, 'PAYME_SECRET_ID');
  if (payme) {
    providers.push(
      paymeProvider({
        baseUrl: payme.PAYME_API_BASE_URL,
        timeoutMs,
        authBaseUrl: payme.PAYME_AUTH_BASE_URL,
        audience: payme.PAYME_AUDIENCE,
        apiVersion: payme.PAYME_API_VERSION,
        merchantCode: payme.PAYME_MERCHANT_CODE,
        publicKeyPem: payme.PAYME_PUBLIC_KEY_PEM,
        currencies: list(payme.PAYME_CURRENCIES),
        flexScriptUrl: payme.PAYME_FLEX_SCRIPT_URL,
        expiresAfterSeconds: seconds('PAYME_EXPIRES_AFTER_SECONDS', env.PAYME_EXPIRES_AFTER_SECONDS),
        ...fromSecret<PaymeCredentials>(payme.PAYME_SECRET_ID),
      }),
    );
  }
  const tigo = required(env, 'TIGO_SECRET_ID');
  if (tigo) {
    providers.push(
      tigoMoneyProvider({
        baseUrl: tigo.TIGO_API_BASE_URL,
        timeoutMs,
        masterMerchantAccount: tigo.TIGO_MASTER_MERCHANT_ACCOUNT,
        masterMerchantId: tigo.TIGO_MASTER_MERCHANT_ID,
        country: tigo.TIGO_COUNTRY,
        countryCallingCode: tigo.TIGO_COUNTRY_CALLING_CODE,
        currency: tigo.TIGO_CURRENCY,
        resultUrl: tigo.TIGO_RESULT_URL,
        expiresAfterSeconds: seconds('TIGO_EXPIRES_AFTER_SECONDS', env.TIGO_EXPIRES_AFTER_SECONDS),
        ...fromSecret<TigoMoneyCredentials>(tigo.TIGO_SECRET_ID),
      }),
    );
  }
  return providers;
}
