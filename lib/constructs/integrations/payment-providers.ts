import type { EnvironmentConfig } from '../../config/schema';
import type { IntegrationSecret } from '../integration-secret';

/** The provider variables shared by the payments functions (contract.ts ProviderEnv), as the stack sets them. */
export type ProviderVariables = Record<string, string | undefined>;

/** What the Payments construct needs to make one provider secret (its `secret(...)`). */
type MakeSecret = (id: string, name: string, description: string, issuer: string) => IntegrationSecret;

/** The page a provider's buyer returns to, with `?outcome=` (the page also reads `paymentId`). */
export function resultPage(base: string, outcome: string): string {
  const url = new URL(base);
  url.searchParams.set('outcome', outcome);
  return url.toString();
}

/**
 * One secret per configured provider (`connect/<env>/<provider>`, the value put by SREs with put-secret-value) and
 * the providers' variables for the payments functions. The construct ids of the Khipu and WebPay secrets are kept for Khipu and WebPay
 * (KhipuCredentials, WebpayCredentials) so their secrets are not replaced.
 */
export function paymentProviders(integrations: EnvironmentConfig['integrations'], makeSecret: MakeSecret): { secrets: IntegrationSecret[]; environment: ProviderVariables } {
  const secrets: IntegrationSecret[] = [];
  const environment: ProviderVariables = {};
  const secret = (id: string, name: string, shape: string, issuer: string): string => {
    const created = makeSecret(id, name, `${shape} Put the real value with put-secret-value.`, issuer);
    secrets.push(created);
    return created.secretArn;
  };
  const resultUrl = integrations.paymentResultUrl;
  const { khipu, webpay, bancard, payu, payme, tigoMoney } = integrations;
  if (khipu) {
    Object.assign(environment, {
      KHIPU_SECRET_ID: secret('KhipuCredentials', 'khipu', 'Khipu merchant credentials: {"receiverId", "apiKey"}.', "Khipu (the merchant account's API key)"),
      KHIPU_API_BASE_URL: khipu.apiBaseUrl,
    });
  }
  if (webpay && resultUrl) {
    Object.assign(environment, {
      WEBPAY_SECRET_ID: secret('WebpayCredentials', 'webpay', 'WebPay Plus commerce credentials: {"commerceCode", "apiKeySecret"}.', "Transbank (the commerce code's API key secret)"),
      WEBPAY_API_BASE_URL: webpay.apiBaseUrl,
      WEBPAY_RESULT_URL_PAID: resultPage(resultUrl, 'paid'),
      WEBPAY_RESULT_URL_REJECTED: resultPage(resultUrl, 'rejected'),
      WEBPAY_RESULT_URL_ABORTED: resultPage(resultUrl, 'aborted'),
    });
  }
  if (bancard) {
    Object.assign(environment, {
      BANCARD_SECRET_ID: secret('BancardCredentials', 'bancard', 'Bancard vPOS keys: {"publicKey", "privateKey"}.', 'Bancard (the commerce portal keys)'),
      BANCARD_API_BASE_URL: bancard.apiBaseUrl,
      BANCARD_CHECKOUT_SCRIPT_URL: bancard.checkoutScriptUrl,
      BANCARD_CURRENCIES: bancard.currencies.join(','),
    });
  }
  if (payu) {
    Object.assign(environment, {
      PAYU_SECRET_ID: secret('PayuCredentials', 'payu', 'PayU Latam merchant keys: {"apiKey", "apiLogin"}.', 'PayU (the merchant panel API key and login)'),
      PAYU_API_BASE_URL: payu.apiBaseUrl,
      PAYU_CHECKOUT_URL: payu.checkoutUrl,
      PAYU_MERCHANT_ID: payu.merchantId,
      PAYU_ACCOUNTS: Object.entries(payu.accounts)
        .map(([currency, account]) => `${currency}:${account}`)
        .join(','),
      PAYU_SIGNATURE_ALGORITHM: payu.signatureAlgorithm,
      PAYU_TEST: String(payu.test),
      PAYU_EXPIRES_AFTER_SECONDS: payu.expiresAfterSeconds === undefined ? undefined : String(payu.expiresAfterSeconds),
    });
  }
  if (payme) {
    Object.assign(environment, {
      PAYME_SECRET_ID: secret('PaymeCredentials', 'payme', 'Pay-me (Alignet) API client: {"clientId", "clientSecret"}.', 'Alignet (the commerce API client)'),
      PAYME_API_BASE_URL: payme.apiBaseUrl,
      PAYME_AUTH_BASE_URL: payme.authBaseUrl,
      PAYME_AUDIENCE: payme.audience,
      PAYME_API_VERSION: payme.apiVersion,
      PAYME_MERCHANT_CODE: payme.merchantCode,
      PAYME_PUBLIC_KEY_PEM: payme.publicKeyPem,
      PAYME_CURRENCIES: payme.currencies.join(','),
      PAYME_FLEX_SCRIPT_URL: payme.flexScriptUrl,
      PAYME_EXPIRES_AFTER_SECONDS: payme.expiresAfterSeconds === undefined ? undefined : String(payme.expiresAfterSeconds),
    });
  }
  if (tigoMoney && resultUrl) {
    Object.assign(environment, {
      TIGO_SECRET_ID: secret('TigoMoneyCredentials', 'tigo-money', 'Tigo Money API client and MasterMerchant PIN: {"clientId", "clientSecret", "masterMerchantPin"}.', 'Tigo (the API client and the MasterMerchant wallet PIN)'),
      TIGO_API_BASE_URL: tigoMoney.apiBaseUrl,
      TIGO_MASTER_MERCHANT_ACCOUNT: tigoMoney.masterMerchantAccount,
      TIGO_MASTER_MERCHANT_ID: tigoMoney.masterMerchantId,
      TIGO_COUNTRY: tigoMoney.country,
      TIGO_COUNTRY_CALLING_CODE: tigoMoney.countryCallingCode,
      TIGO_CURRENCY: tigoMoney.currency,
      TIGO_RESULT_URL: resultUrl,
      TIGO_EXPIRES_AFTER_SECONDS: tigoMoney.expiresAfterSeconds === undefined ? undefined : String(tigoMoney.expiresAfterSeconds),
    });
  }
  return { secrets, environment };
}
