/**
 * A local Tigo Money (Tigo Secure payments API v2) following the contract in ../shared/reference/payments.md:
 * - POST /v1/oauth/mfs/payments/tokens: HTTP Basic client_id:client_secret, form `grant_type=client_credentials`
 *   → {accessToken, issuedAt, expiresIn}; a bad client → 401. `revokeTokens()` plays an early revocation.
 * - POST /v2/tigo/mfs/payments/authorizations (Bearer): checks MasterMerchant {account, pin, id}, the subscriber's
 *   wallet number, "0.00" amounts, a callbackUri without trailing slash and a unique merchantTransactionId →
 *   {authCode, creationDateTime, redirectUrl}; the transaction starts `initiated`.
 * - GET /v2/tigo/mfs/payments/transactions/{country}/{MasterMerchant id}/{merchantTransactionId} → the transaction
 *   (Transaction, MasterMerchant, Subscriber, OriginPayment, LocalPayment), or 404 outside our MasterMerchant.
 * - DELETE on that path (Bearer, MasterMerchant PIN in the body): `success` → `reversed`; others → 400.
 * The buyer's confirmation (`confirm`) moves it to success / fail / cancel / expired; `callback` POSTs the UNSIGNED
 * callback to callbackUri (JSON or form) and `returnBuyer` follows redirectUri like the browser (GET with the fields
 * in the query). Faults (`fail(...)`) answer the next requests instead of the contract.
 */
import { randomBytes } from 'node:crypto';
import { type Fault, withFaults } from '../payment-providers';
import { type LocalServer, type RecordedRequest, startHttpServer } from '../../aws-servers';

export interface TigoAccount {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly masterMerchant: { readonly account: string; readonly pin: string; readonly id: string };
  readonly country: string;
}

export type TigoStatus = 'initiated' | 'success' | 'fail' | 'cancel' | 'expired' | 'reversed';

interface Transaction {
  masterMerchantId: string;
  merchantTransactionId: string;
  mfsTransactionId?: string;
  status: TigoStatus;
  amount: string;
  currency: string;
  subscriber: Record<string, unknown>;
  redirectUri: string;
  callbackUri: string;
}

export interface CallbackFields {
  merchantTransactionId: string;
  mfsTransactionId?: string;
  transactionCode?: string;
  transactionDescription?: string;
  transactionStatus?: string;
}

export interface FakeTigoMoney extends LocalServer {
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  fail(...faults: Fault[]): void;
  tokensIssued(): number;
  revokeTokens(): void;
  /** A transaction created directly (e.g. under another MasterMerchant). */
  addTransaction(seed: { merchantTransactionId: string; amount: string; currency?: string; masterMerchantId?: string; status?: TigoStatus; callbackUri?: string; redirectUri?: string }): void;
  /** The subscriber confirms with the wallet PIN (success), is refused (fail), cancels, or lets it expire. */
  confirm(merchantTransactionId: string, status: TigoStatus): void;
  status(merchantTransactionId: string): TigoStatus | undefined;
  /** The fields Tigo would send now (status and ids as Tigo knows them). */
  fields(merchantTransactionId: string): CallbackFields;
  /** POSTs an unsigned callback (default: current fields to the transaction's callbackUri, as JSON). */
  callback(merchantTransactionId: string, init?: { url?: string; fields?: CallbackFields; encoding?: 'json' | 'form' }): Promise<{ status: number; body: string }>;
  /** The browser following redirectUri with the fields in the query (redirects not followed). */
  returnBuyer(merchantTransactionId: string, init?: { fields?: CallbackFields }): Promise<{ status: number; location: string | null; body: string }>;
}

const PATH = '/v2/tigo/mfs/payments/transactions/';

export async function startFakeTigoMoney(account: TigoAccount): Promise<FakeTigoMoney> {
  const transactions = new Map<string, Transaction>(); // by `${masterMerchantId}/${merchantTransactionId}`
  const tokens = new Set<string>();
  let issued = 0;
  const key = (masterMerchantId: string, merchantTransactionId: string) => `${masterMerchantId}/${merchantTransactionId}`;
  const error = (status: number, code: string, description: string) => ({ status, body: { error: code, error_description: description } });

  function view(transaction: Transaction) {
    return {
      Transaction: {
        merchantTransactionId: transaction.merchantTransactionId,
        mfsTransactionId: transaction.mfsTransactionId ?? null,
        createdOn: '2026-12-01T05:00:00.000Z',
        status: transaction.status,
      },
      MasterMerchant: { account: account.masterMerchant.account, id: transaction.masterMerchantId },
      Subscriber: transaction.subscriber,
      redirectUri: transaction.redirectUri,
      callbackUri: transaction.callbackUri,
      language: 'spa',
      OriginPayment: { amount: transaction.amount, currencyCode: transaction.currency, tax: '0.00', fee: '0.00' },
      LocalPayment: { amount: transaction.amount, currencyCode: transaction.currency },
    };
  }

  function contract(request: RecordedRequest) {
    const url = new URL(request.url, 'http://tigo.local');
    if (request.method === 'POST' && url.pathname === '/v1/oauth/mfs/payments/tokens') {
      const basic = /^Basic (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
      const [clientId, clientSecret] = Buffer.from(basic ?? '', 'base64').toString('utf8').split(':');
      if (clientId !== account.clientId || clientSecret !== account.clientSecret) return error(401, 'invalid_client', 'Client credentials are invalid');
      if (new URLSearchParams(request.body).get('grant_type') !== 'client_credentials') return error(400, 'invalid_request', 'grant_type must be client_credentials');
      const token = randomBytes(20).toString('hex');
      tokens.add(token);
      issued += 1;
      return { status: 200, body: { accessToken: token, issuedAt: String(Date.now()), expiresIn: '3599' } };
    }
    const token = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    if (token === undefined || !tokens.has(token)) return error(401, 'invalid_token', 'Access token is invalid or expired');
    let body: Record<string, any> = {};
    try {
      body = request.body ? JSON.parse(request.body) : {};
    } catch {
      return error(400, 'invalid_request', 'Malformed JSON');
    }
    const merchant = body.MasterMerchant ?? {};
    const pinOk = merchant.account === account.masterMerchant.account && merchant.pin === account.masterMerchant.pin && merchant.id === account.masterMerchant.id;

    if (request.method === 'POST' && url.pathname === '/v2/tigo/mfs/payments/authorizations') {
      if (!pinOk) return error(400, 'invalid_merchant', 'MasterMerchant account, pin or id is invalid');
      const amount = body.LocalPayment?.amount;
      if (!/^\d+\.\d{2}$/.test(String(amount)) || body.OriginPayment?.amount !== amount) return error(400, 'invalid_amount', 'Amounts must be written 0.00 and match');
      if (!/^\d{6,15}$/.test(String(body.Subscriber?.account ?? ''))) return error(400, 'invalid_subscriber', 'Subscriber account is invalid');
      if (typeof body.callbackUri !== 'string' || body.callbackUri.endsWith('/') || typeof body.redirectUri !== 'string') return error(400, 'invalid_uri', 'callbackUri and redirectUri are required; no trailing slash');
      if (transactions.has(key(merchant.id, body.merchantTransactionId))) return error(400, 'duplicate_transaction', 'merchantTransactionId already used');
      transactions.set(key(merchant.id, body.merchantTransactionId), {
        masterMerchantId: merchant.id,
        merchantTransactionId: body.merchantTransactionId,
        status: 'initiated',
        amount,
        currency: body.LocalPayment.currencyCode,
        subscriber: body.Subscriber,
        redirectUri: body.redirectUri,
        callbackUri: body.callbackUri,
      });
      const authCode = randomBytes(8).toString('hex');
      return { status: 200, body: { authCode, creationDateTime: new Date().toISOString(), redirectUrl: `https://securesandbox.tigo.com/v2/tigo/mfs/payments/transactions/auth/${authCode}` } };
    }
    if (!url.pathname.startsWith(PATH)) return error(404, 'not_found', 'Resource not found');
    const [country, masterMerchantId, merchantTransactionId] = url.pathname.slice(PATH.length).split('/').map(decodeURIComponent);
    const transaction = country === account.country && masterMerchantId === account.masterMerchant.id ? transactions.get(key(masterMerchantId, merchantTransactionId)) : undefined;
    if (!transaction) return error(404, 'transaction_not_found', 'Transaction not found');
    if (request.method === 'GET') return { status: 200, body: view(transaction) };
    if (request.method === 'DELETE') {
      if (!pinOk) return error(400, 'invalid_merchant', 'MasterMerchant account, pin or id is invalid');
      if (transaction.status !== 'success') return error(400, 'not_reversible', `A transaction in status ${transaction.status} cannot be reversed`);
      transaction.status = 'reversed';
      return { status: 200, body: { ...view(transaction), reversedOn: new Date().toISOString() } };
    }
    return error(405, 'method_not_allowed', 'Method not allowed');
  }

  const faults = withFaults(contract);
  const server = await startHttpServer(faults.handle);

  function find(merchantTransactionId: string): Transaction {
    const transaction = [...transactions.values()].find((candidate) => candidate.merchantTransactionId === merchantTransactionId);
    if (!transaction) throw new Error(`no Tigo transaction ${merchantTransactionId}`);
    return transaction;
  }

  function fields(merchantTransactionId: string): CallbackFields {
    const transaction = find(merchantTransactionId);
    const code = { initiated: '0', success: '0', fail: '1001', cancel: '1002', expired: '1003', reversed: '0' }[transaction.status];
    return {
      merchantTransactionId,
      ...(transaction.mfsTransactionId ? { mfsTransactionId: transaction.mfsTransactionId } : {}),
      transactionCode: code,
      transactionDescription: transaction.status === 'success' ? 'Transaction Successful' : `Transaction ${transaction.status}`,
      transactionStatus: transaction.status,
    };
  }

  return {
    ...server,
    baseUrl: server.endpoint,
    fail: faults.fail,
    tokensIssued: () => issued,
    revokeTokens: () => tokens.clear(),
    addTransaction(seed) {
      const masterMerchantId = seed.masterMerchantId ?? account.masterMerchant.id;
      transactions.set(key(masterMerchantId, seed.merchantTransactionId), {
        masterMerchantId,
        merchantTransactionId: seed.merchantTransactionId,
        status: seed.status ?? 'initiated',
        mfsTransactionId: seed.status && seed.status !== 'initiated' ? randomBytes(6).toString('hex') : undefined,
        amount: seed.amount,
        currency: seed.currency ?? 'PYG',
        subscriber: { account: '981123456', countryCode: '595', country: account.country },
        redirectUri: seed.redirectUri ?? 'https://shop.example/return',
        callbackUri: seed.callbackUri ?? 'https://shop.example/callback',
      });
    },
    confirm(merchantTransactionId, status) {
      const transaction = find(merchantTransactionId);
      transaction.status = status;
      if (status !== 'initiated') transaction.mfsTransactionId ??= `${Date.now()}${randomBytes(3).toString('hex')}`;
    },
    status: (merchantTransactionId) => [...transactions.values()].find((candidate) => candidate.merchantTransactionId === merchantTransactionId)?.status,
    fields,
    async callback(merchantTransactionId, init = {}) {
      const sent = init.fields ?? fields(merchantTransactionId);
      const url = init.url ?? find(merchantTransactionId).callbackUri;
      const form = init.encoding === 'form';
      const body = form ? new URLSearchParams(sent as unknown as Record<string, string>).toString() : JSON.stringify(sent);
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' }, body, signal: AbortSignal.timeout(10_000) });
      return { status: response.status, body: await response.text() };
    },
    async returnBuyer(merchantTransactionId, init = {}) {
      const target = new URL(find(merchantTransactionId).redirectUri);
      for (const [name, value] of Object.entries(init.fields ?? fields(merchantTransactionId))) if (value !== undefined) target.searchParams.set(name, value);
      const response = await fetch(target, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
      return { status: response.status, location: response.headers.get('location'), body: await response.text() };
    },
  };
}
