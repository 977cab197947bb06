/**
 * The outside systems of an environment, played locally by the doubles the handler tests use (each follows its
 * documented contract): Modyo (admin API: realm users, and the messaging deliveries route the notifications worker
 * posts to), the CRM/CDP endpoint the forwarder posts to, and each payment provider the config enables. Each gets
 * local development credentials, which are also the values of the environment's secrets (`secretValues`), and the
 * URL variables of the functions that call it are pointed at it (`variableOverrides`).
 *
 * The handler tests use the same doubles (test/support re-exports them from here).
 */
import { randomBytes } from 'node:crypto';
import type { EnvironmentConfig } from '../../lib/config/schema';
import { startFakeKhipu, startFakeWebpay } from './payment-providers';
import { startFakeBancard } from './payments/bancard';
import { startFakePayme } from './payments/payme';
import { startFakePayu } from './payments/payu';
import { startFakeTigoMoney } from './payments/tigo-money';
import { type LocalServer, type RecordedRequest, startHttpServer } from '../aws-servers';
import { type FakeModyo, startFakeModyo } from './modyo';

/** The Modyo messaging route the notifications worker posts to (lambda/shared/modyo-routes.ts default). */
const MESSAGING_PATH = /^\/api\/admin\/(customers\/[^/]+\/)?messaging\/deliveries$/;

export interface StandIns {
  readonly modyo: FakeModyo;
  /** Every request the Modyo stand-in got (admin API and messaging). */
  readonly modyoRequests: RecordedRequest[];
  readonly crm: LocalServer & { requests: RecordedRequest[] };
  /** Payment provider doubles by provider name (khipu, webpay, bancard, payu, payme, tigo-money). */
  readonly payments: Record<string, LocalServer & Record<string, any>>;
  /** The local value of a secret, by the function variable that names it (e.g. MODYO_TOKEN_SECRET_ID). */
  readonly secretValues: Record<string, string>;
  /** Function variables pointed at the stand-ins (URLs, the Pay-me public key). */
  readonly variableOverrides: Record<string, string>;
  /** One line per stand-in, for the start banner. */
  readonly summary: string[];
  stop(): Promise<void>;
}

const localSecret = (label: string) => `local-${label}-${randomBytes(6).toString('hex')}`;

/** "COP:512321,PEN:512323" → {COP: "512321", PEN: "512323"} (the PAYU_ACCOUNTS format). */
function pairs(value: string | undefined): Record<string, string> {
  return Object.fromEntries((value ?? '').split(',').filter(Boolean).map((pair) => pair.split(':').map((part) => part.trim()) as [string, string]));
}

/**
 * Starts the stand-ins `config` needs. `variables` are the payments functions' own variables from the template
 * (merchant ids, accounts, audience): each double is set up with the values the adapters will send it.
 */
export async function startStandIns(config: EnvironmentConfig, variables: Record<string, string>): Promise<StandIns> {
  const stops: Array<() => Promise<void>> = [];
  const summary: string[] = [];
  const realms = config.identity.realmClients.map((client) => client.realm);
  const modyoToken = localSecret('modyo-token');
  const modyo = await startFakeModyo({ token: modyoToken, realms });
  stops.push(() => modyo.stop());
  // One Modyo host: the messaging route here, the admin API forwarded to the fake admin API.
  let nextDelivery = 1;
  const modyoFront = await startHttpServer(async (request) => {
    if (MESSAGING_PATH.test(new URL(request.url, 'http://modyo.local').pathname)) {
      if (request.headers.authorization !== `Bearer ${modyoToken}`) return { status: 401, body: { errors: ['Invalid token'] } };
      if (request.method !== 'POST') return { status: 404, body: { errors: ['Not found'] } };
      return { status: 201, body: { delivery: { id: nextDelivery++, state: 'sent' } } };
    }
    const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !['host', 'content-length', 'connection'].includes(name))) as Record<string, string>;
    const response = await fetch(modyo.endpoint + request.url, { method: request.method, headers, body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body, signal: AbortSignal.timeout(10_000) });
    return { status: response.status, body: await response.text(), headers: { 'content-type': response.headers.get('content-type') ?? 'application/json' } };
  });
  stops.push(() => modyoFront.stop());
  summary.push(`Modyo (admin API + messaging)  ${modyoFront.endpoint}  realms: ${realms.join(', ') || '(none)'}`);

  const crmToken = localSecret('crm-token');
  const crm = await startHttpServer((request) => {
    if (request.headers.authorization !== `Bearer ${crmToken}`) return { status: 401, body: { error: 'unauthorized' } };
    return request.method === 'POST' ? { status: 202, body: { accepted: true } } : { status: 405, body: { error: 'method not allowed' } };
  });
  stops.push(() => crm.stop());
  summary.push(`CRM/CDP endpoint               ${crm.endpoint}`);

  const secretValues: Record<string, string> = {
    MODYO_TOKEN_SECRET_ID: JSON.stringify({ token: modyoToken }),
    CRM_CREDENTIALS_SECRET_ID: JSON.stringify({ type: 'bearer', token: crmToken }),
  };
  const variableOverrides: Record<string, string> = { MODYO_BASE_URL: modyoFront.endpoint, CRM_ENDPOINT_URL: crm.endpoint };
  const payments: Record<string, LocalServer & Record<string, any>> = {};
  const integrations = config.integrations as Record<string, unknown>;

  if (integrations.khipu) {
    const account = { receiverId: 100001, apiKey: localSecret('khipu') };
    const khipu = await startFakeKhipu(account);
    payments.khipu = khipu;
    secretValues.KHIPU_SECRET_ID = JSON.stringify(account);
    variableOverrides.KHIPU_API_BASE_URL = khipu.baseUrl;
  }
  if (integrations.webpay) {
    const commerce = { commerceCode: '597055555532', apiKeySecret: localSecret('webpay') };
    const webpay = await startFakeWebpay(commerce);
    payments.webpay = webpay;
    secretValues.WEBPAY_SECRET_ID = JSON.stringify(commerce);
    variableOverrides.WEBPAY_API_BASE_URL = webpay.baseUrl;
  }
  if (integrations.bancard) {
    const keys = { publicKey: localSecret('bancard-public'), privateKey: localSecret('bancard-private') };
    const bancard = await startFakeBancard(keys);
    payments.bancard = bancard;
    secretValues.BANCARD_SECRET_ID = JSON.stringify(keys);
    variableOverrides.BANCARD_API_BASE_URL = bancard.baseUrl;
  }
  if (integrations.payu) {
    const account = { merchantId: variables.PAYU_MERCHANT_ID ?? '508029', apiKey: localSecret('payu-key'), apiLogin: localSecret('payu-login'), accounts: pairs(variables.PAYU_ACCOUNTS) };
    const payu = await startFakePayu(account);
    payments.payu = payu;
    secretValues.PAYU_SECRET_ID = JSON.stringify({ apiKey: account.apiKey, apiLogin: account.apiLogin });
    variableOverrides.PAYU_API_BASE_URL = payu.apiBaseUrl;
    variableOverrides.PAYU_CHECKOUT_URL = payu.checkoutUrl;
  }
  if (integrations.payme) {
    const account = {
      clientId: localSecret('payme-client'),
      clientSecret: localSecret('payme-secret'),
      merchantCode: variables.PAYME_MERCHANT_CODE ?? 'local-merchant',
      audience: variables.PAYME_AUDIENCE ?? 'https://api.preprod.alignet.io',
      apiVersion: variables.PAYME_API_VERSION ?? '1709847567',
    };
    const payme = await startFakePayme(account);
    payments.payme = payme;
    secretValues.PAYME_SECRET_ID = JSON.stringify({ clientId: account.clientId, clientSecret: account.clientSecret });
    variableOverrides.PAYME_API_BASE_URL = payme.apiBaseUrl;
    variableOverrides.PAYME_AUTH_BASE_URL = payme.authBaseUrl;
    // The double signs its callbacks with a key of its own: the adapter checks them with its public half.
    variableOverrides.PAYME_PUBLIC_KEY_PEM = payme.publicKeyPem;
  }
  if (integrations.tigoMoney) {
    const pin = String(1000 + Math.floor(Math.random() * 8999));
    const account = {
      clientId: localSecret('tigo-client'),
      clientSecret: localSecret('tigo-secret'),
      masterMerchant: { account: variables.TIGO_MASTER_MERCHANT_ACCOUNT ?? '0981000000', pin, id: variables.TIGO_MASTER_MERCHANT_ID ?? 'connect-local' },
      country: variables.TIGO_COUNTRY ?? 'PRY',
    };
    const tigo = await startFakeTigoMoney(account);
    payments['tigo-money'] = tigo;
    secretValues.TIGO_SECRET_ID = JSON.stringify({ clientId: account.clientId, clientSecret: account.clientSecret, masterMerchantPin: pin });
    variableOverrides.TIGO_API_BASE_URL = tigo.baseUrl;
  }
  for (const [name, server] of Object.entries(payments)) {
    stops.push(() => server.stop());
    summary.push(`${`payments: ${name}`.padEnd(31)}${server.endpoint}`);
  }

  return {
    modyo,
    modyoRequests: modyoFront.requests,
    crm,
    payments,
    secretValues,
    variableOverrides,
    summary,
    stop: async () => {
      await Promise.all(stops.map((stop) => stop().catch(() => undefined)));
    },
  };
}
