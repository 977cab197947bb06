/**
 * A local Bancard vPOS 2.0 (API 0.3) following ../shared/reference/payments.md and Bancard's "Compra Simple" guide:
 * - POST /vpos/api/0.3/single_buy: JSON {public_key, operation{token, shop_process_id, amount, currency,
 *   description, return_url, ...}}; token = md5(private_key + shop_process_id + amount + currency); amounts with two
 *   decimals; description at most 20 characters; shop_process_id an integer of up to 15 digits, unique forever
 *   (reuse: InvalidOperationError "Shop process has already been taken") → {status: success, process_id}.
 * - POST /vpos/api/0.3/single_buy/confirmations: token md5(private_key + shop_process_id + "get_confirmation") →
 *   {status: success, confirmation{...}}, or error PaymentNotFoundError (not paid yet), BuyNotFoundError,
 *   AlreadyRollbackedError.
 * - POST /vpos/api/0.3/single_buy/rollback: token md5(private_key + shop_process_id + "rollback" + "0.00") →
 *   success RollbackSuccessful, or PaymentNotFoundError (never paid: counts as rolled back), AlreadyRollbackedError,
 *   TransactionAlreadyConfirmed (the charge has posted), BuyNotFoundError.
 * Errors are {status: "error", messages: [{key, level, dsc}]}: InvalidPublicKeyError / InvalidTokenError with 401,
 * the others with 400 (the HTTP codes are not documented: uncertain). The buyer's payment (`pay`) creates the
 * confirmation, which the double POSTs to a URL as Bancard does (`pushConfirmation`, expecting 200
 * {"status":"success"}), as well as the monitor's empty `{}` (`pushPing`). Faults (`fail`) answer first.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type Fault, withFaults } from '../payment-providers';
import { type LocalServer, type RecordedRequest, startHttpServer } from '../../aws-servers';

export interface BancardAccount {
  readonly publicKey: string;
  readonly privateKey: string;
}

export interface BancardConfirmationBody {
  operation: {
    token: string;
    shop_process_id: number;
    response: 'S' | 'N';
    response_details: string;
    amount: string;
    currency: string;
    authorization_number: string | null;
    ticket_number: string;
    response_code: string;
    response_description: string;
    extended_response_description: string | null;
    security_information: { customer_ip: string; card_source: 'L' | 'I'; card_country: string; version: string; risk_index: number };
  };
}

interface Buy {
  readonly shopProcessId: string;
  readonly processId: string;
  readonly amount: string;
  readonly currency: string;
  readonly description: string;
  confirmation?: BancardConfirmationBody['operation'];
  /** The confirmations query does not show the confirmation yet (it lags the push). */
  hidden: boolean;
  rolledBack: boolean;
  /** The charge has posted ("cuponada"): a rollback is refused. */
  settled: boolean;
}

export interface FakeBancard extends LocalServer {
  /** Base URL as configured (the adapter appends /vpos/api/0.3). */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  fail(...faults: Fault[]): void;
  buy(shopProcessId: string): Readonly<Buy> | undefined;
  /** The buyer pays in the iframe: approved ("00") or declined (`responseCode`, default "05"). */
  pay(shopProcessId: string, outcome: { approve: boolean; responseCode?: string; queryLags?: boolean }): void;
  /** The confirmations query starts showing a confirmation that lagged. */
  reveal(shopProcessId: string): void;
  settle(shopProcessId: string): void;
  /** The confirmation Bancard posts for a paid buy, signed with `privateKey` (default: the account's). */
  confirmationBody(shopProcessId: string, overrides?: { privateKey?: string; amount?: string; currency?: string }): BancardConfirmationBody;
  /** POSTs a body to `url` as Bancard does; `accepted` when answered 200 {"status":"success"}. */
  push(url: string, body: unknown): Promise<{ status: number; body: unknown; accepted: boolean }>;
  pushConfirmation(url: string, shopProcessId: string): Promise<{ status: number; body: unknown; accepted: boolean }>;
  pushPing(url: string): Promise<{ status: number; body: unknown; accepted: boolean }>;
  /** The confirmation again until it is answered 200 {"status":"success"}, at most `attempts` times (Bancard's retry policy is not published). */
  deliverConfirmation(url: string, shopProcessId: string, attempts?: number): Promise<Array<{ status: number; accepted: boolean }>>;
}

const ROOT = '/vpos/api/0.3/';
const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');
const error = (status: number, key: string, dsc: string) => ({ status, body: { status: 'error', messages: [{ key, level: 'error', dsc }] } });

export async function startFakeBancard(account: BancardAccount): Promise<FakeBancard> {
  const buys = new Map<string, Buy>();

  function confirmationOf(buy: Buy, approve: boolean, responseCode: string): BancardConfirmationBody['operation'] {
    return {
      token: md5(`${account.privateKey}${buy.shopProcessId}confirm${buy.amount}${buy.currency}`),
      shop_process_id: Number(buy.shopProcessId),
      response: approve ? 'S' : 'N',
      response_details: approve ? 'Procesado Satisfactoriamente' : 'Transacción denegada',
      amount: buy.amount,
      currency: buy.currency,
      authorization_number: approve ? String(100000 + Math.floor(Math.random() * 899999)) : null,
      ticket_number: String(Date.now()),
      response_code: responseCode,
      response_description: approve ? 'Transacción aprobada' : 'Tarjeta inhabilitada',
      extended_response_description: null,
      security_information: { customer_ip: '190.104.0.1', card_source: 'L', card_country: 'PARAGUAY', version: '0.3', risk_index: 0 },
    };
  }

  const faults = withFaults((request) => {
    if (request.method !== 'POST' || !request.url.startsWith(ROOT)) return { status: 404, body: { status: 'error', messages: [{ key: 'NotFound', level: 'error', dsc: 'Not found' }] } };
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) return error(400, 'InvalidJsonError', 'Content-Type must be application/json');
    let message: { public_key?: unknown; operation?: Record<string, unknown> };
    try {
      message = JSON.parse(request.body);
    } catch {
      return error(400, 'InvalidJsonError', 'Invalid JSON');
    }
    if (message.public_key !== account.publicKey) return error(401, 'InvalidPublicKeyError', 'Invalid public key');
    const operation = message.operation ?? {};
    const id = operation.shop_process_id;
    if (typeof id !== 'number' || !Number.isInteger(id) || id <= 0 || id > 999_999_999_999_999) return error(400, 'InvalidOperationError', 'shop_process_id must be an integer of up to 15 digits');
    const shopProcessId = String(id);
    const token = String(operation.token ?? '');
    const operationName = request.url.slice(ROOT.length);

    if (operationName === 'single_buy') {
      const { amount, currency, description } = operation as { amount?: unknown; currency?: unknown; description?: unknown };
      if (typeof amount !== 'string' || !/^\d+\.\d{2}$/.test(amount)) return error(400, 'InvalidOperationError', 'amount must have two decimals');
      if (typeof currency !== 'string' || currency !== 'PYG') return error(400, 'InvalidOperationError', 'currency not enabled');
      if (token !== md5(`${account.privateKey}${shopProcessId}${amount}${currency}`)) return error(401, 'InvalidTokenError', 'Invalid token');
      if (typeof description !== 'string' || description.length > 20) return error(400, 'InvalidOperationError', 'description is too long (maximum is 20 characters)');
      if (typeof operation.return_url !== 'string') return error(400, 'InvalidOperationError', 'return_url is required');
      if (buys.has(shopProcessId)) return error(400, 'InvalidOperationError', 'Shop process has already been taken');
      const processId = randomBytes(15).toString('base64url').slice(0, 20);
      buys.set(shopProcessId, { shopProcessId, processId, amount, currency, description, hidden: false, rolledBack: false, settled: false });
      return { status: 200, body: { status: 'success', process_id: processId } };
    }
    const buy = buys.get(shopProcessId);
    if (operationName === 'single_buy/confirmations') {
      if (token !== md5(`${account.privateKey}${shopProcessId}get_confirmation`)) return error(401, 'InvalidTokenError', 'Invalid token');
      if (!buy) return error(400, 'BuyNotFoundError', 'Buy not found');
      if (buy.rolledBack) return error(400, 'AlreadyRollbackedError', 'The buy was rolled back');
      if (!buy.confirmation || buy.hidden) return error(400, 'PaymentNotFoundError', 'Payment not found');
      return { status: 200, body: { status: 'success', confirmation: buy.confirmation } };
    }
    if (operationName === 'single_buy/rollback') {
      if (token !== md5(`${account.privateKey}${shopProcessId}rollback0.00`)) return error(401, 'InvalidTokenError', 'Invalid token');
      if (!buy) return error(400, 'BuyNotFoundError', 'Buy not found');
      if (buy.rolledBack) return error(400, 'AlreadyRollbackedError', 'Already rolled back');
      if (buy.settled) return error(400, 'TransactionAlreadyConfirmed', 'The transaction has already been confirmed');
      buy.rolledBack = true;
      if (!buy.confirmation) return error(400, 'PaymentNotFoundError', 'Payment not found');
      return { status: 200, body: { status: 'success', messages: [{ key: 'RollbackSuccessful', level: 'info', dsc: 'Rollback successful' }] } };
    }
    return error(404, 'InvalidOperationError', 'Unknown operation');
  });
  const server = await startHttpServer(faults.handle);

  function existing(shopProcessId: string): Buy {
    const buy = buys.get(shopProcessId);
    if (!buy) throw new Error(`no Bancard buy ${shopProcessId}`);
    return buy;
  }

  async function push(url: string, body: unknown) {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { status: response.status, body: parsed, accepted: response.status === 200 && (parsed as { status?: unknown })?.status === 'success' };
  }

  function pushConfirmation(url: string, shopProcessId: string) {
    const buy = existing(shopProcessId);
    if (!buy.confirmation) throw new Error(`Bancard buy ${shopProcessId} is not paid: nothing to confirm`);
    return push(url, { operation: buy.confirmation });
  }

  return {
    ...server,
    baseUrl: server.endpoint,
    fail: faults.fail,
    buy: (shopProcessId) => buys.get(shopProcessId),
    pay(shopProcessId, { approve, responseCode, queryLags }) {
      const buy = existing(shopProcessId);
      buy.confirmation = confirmationOf(buy, approve, approve ? '00' : (responseCode ?? '05'));
      buy.hidden = queryLags === true;
    },
    reveal: (shopProcessId) => void (existing(shopProcessId).hidden = false),
    settle: (shopProcessId) => void (existing(shopProcessId).settled = true),
    confirmationBody(shopProcessId, overrides = {}) {
      const buy = existing(shopProcessId);
      const confirmation = buy.confirmation ?? confirmationOf(buy, true, '00');
      const amount = overrides.amount ?? confirmation.amount;
      const currency = overrides.currency ?? confirmation.currency;
      const token = md5(`${overrides.privateKey ?? account.privateKey}${shopProcessId}confirm${amount}${currency}`);
      return { operation: { ...confirmation, amount, currency, token } };
    },
    push,
    pushConfirmation,
    pushPing: (url) => push(url, {}),
    async deliverConfirmation(url, shopProcessId, attempts = 3) {
      const answers: Array<{ status: number; accepted: boolean }> = [];
      while (answers.length < attempts && !answers.at(-1)?.accepted) {
        const { status, accepted } = await pushConfirmation(url, shopProcessId);
        answers.push({ status, accepted });
      }
      return answers;
    },
  };
}
