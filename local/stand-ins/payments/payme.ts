/**
 * A local Pay-me (Alignet, new API) following the documented contract (../shared/reference/payments.md; docs URLs
 * in lambda/payments/providers/payme.ts), on one loopback server: `{endpoint}/auth` is the auth host,
 * `{endpoint}/api` the charges API.
 * - POST /auth/token: JSON {action: "authorize", grant_type: "client_credentials", audience, client_id,
 *   client_secret, scope}, header ALG-API-VERSION → {action, success, access_token, token_type, expires_in};
 *   bad client → 401; wrong audience or version → 400. Tokens expire, and `revokeTokens()` plays an early revocation.
 * - POST /auth/nonce (Bearer) → {action: "create.nonce", success, nonce, expires_in}.
 * - POST /api/charges (Bearer, ALG-API-VERSION): registers an operation (REGISTRADO) for our merchant code; a reused
 *   merchant_operation_number → 409; amount must be minor units ("15000"), currency numeric ("604").
 * - GET /api/charges/{merchant_code}/{merchant_operation_number}/{transaction_id} → the operation with its
 *   transactions, or 404.
 * - DELETE /api/charges/{merchant_code}/{merchant_operation_number}: REGISTRADO/PENDIENTE → CANCELADO, AUTORIZADO →
 *   EXTORNADO; LIQUIDADO (settled) and closed operations → 400.
 * Notifications are JSON POSTs to the charge's callback_url with header `signature` = base64 RSA-SHA512 (PKCS#1
 * v1.5) of the raw body, signed with a fixed test key (payme-keys.ts; `publicKeyPem` goes to the adapter as config).
 * Faults (`fail(...)`) answer the next requests instead of the contract (429/5xx/slow/hang/reset).
 */
import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign } from 'node:crypto';
import { ALIGNET_TEST_KEY, FORGER_TEST_KEY } from './payme-keys';
import { type Fault, withFaults } from '../payment-providers';
import { type LocalServer, type RecordedRequest, startHttpServer } from '../../aws-servers';

export interface PaymeAccount {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly merchantCode: string;
  readonly audience: string;
  readonly apiVersion: string;
}

export type PaymeState = 'REGISTRADO' | 'PENDIENTE' | 'AUTORIZADO' | 'DENEGADO' | 'INVALIDO' | 'EXPIRADO' | 'CANCELADO' | 'LIQUIDADO' | 'EXTORNADO';

interface Operation {
  merchantCode: string;
  operationNumber: string;
  transactionId: string;
  amount: string;
  currency: string;
  state: PaymeState;
  authorizationCode?: string;
  callbackUrl?: string;
  lifecycle: { state: PaymeState; date: { unix_time: number } }[];
}

export interface FakePayme extends LocalServer {
  readonly authBaseUrl: string;
  readonly apiBaseUrl: string;
  readonly publicKeyPem: string;
  readonly requests: RecordedRequest[];
  fail(...faults: Fault[]): void;
  /** Tokens issued so far. */
  tokensIssued(): number;
  /** Every token issued so far stops working (revoked before its stated expiry). */
  revokeTokens(): void;
  /** Lifetime stated in the next tokens' expires_in. */
  setTokenLifetime(seconds: number): void;
  /** Registers an operation directly (as another merchant's, or one we never created). */
  addOperation(seed: { operationNumber: string; amount: string; currency?: string; merchantCode?: string; state?: PaymeState; callbackUrl?: string }): string;
  /** The buyer (or the acquirer) moves the transaction on. */
  setState(transactionId: string, state: PaymeState, authorizationCode?: string): void;
  /** The notification body Alignet would send now for this transaction (raw JSON text). */
  notificationBody(transactionId: string, overrides?: { merchantCode?: string; state?: string }): string;
  /**
   * POSTs a notification to `url` (default: the charge's callback_url) signed with Alignet's test key, another key
   * (`signer: 'forger'`), or not at all; `body` sends that text instead of the current state's.
   */
  notify(transactionId: string, init?: { url?: string; body?: string; signer?: 'alignet' | 'forger' | 'none' }): Promise<{ status: number; body: string }>;
  state(transactionId: string): PaymeState | undefined;
  /** Alignet's signature (base64 RSA-SHA512) over any body. */
  sign(body: string): string;
}

function keyPair(pem: string): { privateKey: KeyObject; publicKey: KeyObject } {
  const privateKey = createPrivateKey(pem);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

export async function startFakePayme(account: PaymeAccount, init: { tokenLifetimeSeconds?: number } = {}): Promise<FakePayme> {
  const alignet = keyPair(ALIGNET_TEST_KEY);
  const forger = keyPair(FORGER_TEST_KEY);
  const operations = new Map<string, Operation>(); // by transaction id
  const tokens = new Map<string, number>(); // token → expiry (ms)
  const nonces = new Set<string>();
  let tokenLifetime = init.tokenLifetimeSeconds ?? 3600;
  let issued = 0;

  const meta = (code: string, value: string) => ({ status: { code, message_ilgn: [{ locale: 'es_PE', value }] } });
  const refused = (status: number, code: string, value: string) => ({ status, body: { success: false, meta: meta(code, value) } });

  function view(operation: Operation) {
    return {
      success: true,
      merchant_code: operation.merchantCode,
      merchant_operation_number: operation.operationNumber,
      operation: {
        merchant_operation_number: operation.operationNumber,
        amount: operation.amount,
        currency: operation.currency,
        created_at: { unix_time: operation.lifecycle[0].date.unix_time },
        state: operation.state,
        transactions: [
          {
            transaction_id: operation.transactionId,
            channel: 'ecommerce',
            state: operation.state,
            amount: operation.amount,
            currency: operation.currency,
            payment_method: { method_name: 'CARD', method_details: { callback_url: operation.callbackUrl } },
            processor_response: operation.authorizationCode
              ? { authorization_code: operation.authorizationCode, result_message: { code: '00', description: 'Approval and completed successfully' } }
              : operation.state === 'DENEGADO'
                ? { authorization_code: null, result_message: { code: '05', description: 'Do not honor' } }
                : null,
            lifecycle: operation.lifecycle,
          },
        ],
      },
      meta: meta('00', 'Se proceso correctamente la peticion'),
    };
  }

  function move(operation: Operation, state: PaymeState) {
    operation.state = state;
    operation.lifecycle.push({ state, date: { unix_time: Math.floor(Date.now() / 1000) } });
  }

  function register(seed: { operationNumber: string; amount: string; currency?: string; merchantCode?: string; state?: PaymeState; callbackUrl?: string }): Operation {
    const transactionId = randomBytes(13).toString('base64url').replace(/[-_]/g, 'x').toLowerCase().slice(0, 25);
    const operation: Operation = {
      merchantCode: seed.merchantCode ?? account.merchantCode,
      operationNumber: seed.operationNumber,
      transactionId,
      amount: seed.amount,
      currency: seed.currency ?? '604',
      state: 'REGISTRADO',
      callbackUrl: seed.callbackUrl,
      lifecycle: [{ state: 'REGISTRADO', date: { unix_time: Math.floor(Date.now() / 1000) } }],
    };
    if (seed.state && seed.state !== 'REGISTRADO') move(operation, seed.state);
    operations.set(transactionId, operation);
    return operation;
  }

  const bearer = (request: RecordedRequest) => {
    const token = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    const expiry = token === undefined ? undefined : tokens.get(token);
    return expiry !== undefined && expiry > Date.now();
  };

  function contract(request: RecordedRequest) {
    const url = new URL(request.url, 'http://alignet.local');
    const body = (() => {
      try {
        return request.body ? (JSON.parse(request.body) as Record<string, any>) : {};
      } catch {
        return undefined;
      }
    })();
    if (body === undefined) return refused(400, '99', 'JSON invalido');
    const versionOk = request.headers['alg-api-version'] === account.apiVersion;

    if (request.method === 'POST' && url.pathname === '/auth/token') {
      if (!versionOk) return refused(400, '98', 'ALG-API-VERSION invalido');
      if (body.client_id !== account.clientId || body.client_secret !== account.clientSecret) return { status: 401, body: { action: 'authorize', success: false, error: 'access_denied', error_description: 'Unauthorized' } };
      if (body.action !== 'authorize' || body.grant_type !== 'client_credentials' || body.audience !== account.audience || !String(body.scope ?? '').includes('post:charges')) {
        return refused(400, '97', 'grant_type, audience o scope invalido');
      }
      const token = randomBytes(24).toString('base64url');
      tokens.set(token, Date.now() + tokenLifetime * 1000);
      issued += 1;
      return { status: 200, body: { action: 'authorize', success: true, access_token: token, token_type: 'Bearer', expires_in: tokenLifetime, scope: body.scope } };
    }
    if (!bearer(request)) return { status: 401, body: { message: 'Unauthorized' } };
    if (request.method === 'POST' && url.pathname === '/auth/nonce') {
      if (body.action !== 'create.nonce' || body.client_id !== account.clientId || body.audience !== account.audience) return refused(400, '97', 'Peticion invalida');
      const nonce = randomBytes(16).toString('hex');
      nonces.add(nonce);
      return { status: 200, body: { action: 'create.nonce', success: true, nonce, scope: body.scope, expires_in: 300, meta: meta('00', 'Nonce creado') } };
    }
    if (!versionOk) return refused(400, '98', 'ALG-API-VERSION invalido');
    if (request.method === 'POST' && url.pathname === '/api/charges') {
      const details = body.payment_details ?? {};
      if (body.action !== 'authorize' || body.merchant_code !== account.merchantCode) return refused(403, '02', 'Comercio no autorizado');
      if (!/^\d{6,}$/.test(String(body.merchant_operation_number ?? ''))) return refused(400, '03', 'merchant_operation_number invalido');
      if (!/^\d{1,15}$/.test(String(details.amount ?? '')) || !['604', '840'].includes(details.currency)) return refused(400, '04', 'amount o currency invalido');
      if ([...operations.values()].some((operation) => operation.merchantCode === body.merchant_code && operation.operationNumber === body.merchant_operation_number)) {
        return refused(409, '05', 'merchant_operation_number ya registrado');
      }
      const operation = register({ operationNumber: body.merchant_operation_number, amount: details.amount, currency: details.currency, callbackUrl: body.payment_method?.method_details?.callback_url });
      const answer = view(operation);
      return { status: 200, body: { success: true, action: 'authorize', merchant_code: operation.merchantCode, merchant_operation_number: operation.operationNumber, transaction: answer.operation.transactions[0], meta: answer.meta } };
    }
    const path = /^\/api\/charges\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!path) return refused(404, '404', 'Recurso no encontrado');
    const [merchantCode, operationNumber, transactionId] = path.slice(1).map((part) => (part === undefined ? undefined : decodeURIComponent(part)));
    if (merchantCode !== account.merchantCode) return refused(403, '02', 'Comercio no autorizado');
    const operation = [...operations.values()].find(
      (candidate) => candidate.merchantCode === merchantCode && candidate.operationNumber === operationNumber && (transactionId === undefined || candidate.transactionId === transactionId),
    );
    if (request.method === 'GET' && transactionId !== undefined) return operation ? { status: 200, body: view(operation) } : refused(404, '01', 'No se encontro la operacion');
    if (request.method === 'DELETE' && transactionId === undefined) {
      if (!operation) return refused(404, '01', 'No se encontro la operacion');
      if (operation.state === 'REGISTRADO' || operation.state === 'PENDIENTE') move(operation, 'CANCELADO');
      else if (operation.state === 'AUTORIZADO') move(operation, 'EXTORNADO');
      else return refused(400, '06', `No se puede cancelar una operacion en estado ${operation.state}`);
      return { status: 200, body: view(operation) };
    }
    return refused(405, '405', 'Metodo no permitido');
  }

  const faults = withFaults(contract);
  const server = await startHttpServer(faults.handle);

  function notificationBody(transactionId: string, overrides: { merchantCode?: string; state?: string } = {}): string {
    const operation = operations.get(transactionId);
    if (!operation) throw new Error(`no Pay-me transaction ${transactionId}`);
    const transaction = view(operation).operation.transactions[0];
    return JSON.stringify({
      success: 'true',
      action: 'authorize',
      merchant_code: overrides.merchantCode ?? operation.merchantCode,
      merchant_operation_number: operation.operationNumber,
      transaction: { transaction_id: transactionId, state: overrides.state ?? operation.state, amount: operation.amount, currency: operation.currency, processor_response: transaction.processor_response },
      meta: meta('00', 'Procesado correctamente'),
    });
  }

  return {
    ...server,
    authBaseUrl: `${server.endpoint}/auth`,
    apiBaseUrl: `${server.endpoint}/api`,
    publicKeyPem: alignet.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    fail: faults.fail,
    tokensIssued: () => issued,
    revokeTokens: () => tokens.clear(),
    setTokenLifetime: (seconds) => void (tokenLifetime = seconds),
    addOperation: (seed) => register(seed).transactionId,
    setState(transactionId, state, authorizationCode) {
      const operation = operations.get(transactionId);
      if (!operation) throw new Error(`no Pay-me transaction ${transactionId}`);
      move(operation, state);
      if (authorizationCode) operation.authorizationCode = authorizationCode;
    },
    notificationBody,
    async notify(transactionId, options = {}) {
      const body = options.body ?? notificationBody(transactionId);
      const url = options.url ?? operations.get(transactionId)?.callbackUrl;
      if (!url) throw new Error(`no callback_url for ${transactionId}`);
      const signer = options.signer ?? 'alignet';
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (signer !== 'none') headers.signature = sign('sha512', Buffer.from(body), (signer === 'alignet' ? alignet : forger).privateKey).toString('base64');
      const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
      return { status: response.status, body: await response.text() };
    },
    state: (transactionId) => operations.get(transactionId)?.state,
    sign: (body) => sign('sha512', Buffer.from(body), alignet.privateKey).toString('base64'),
  };
}
