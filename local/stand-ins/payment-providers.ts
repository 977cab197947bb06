/**
 * Local servers following the documented provider contracts, for payment handler tests over real HTTP:
 * - Khipu API v2: `POST {base}/payments` (form: subject, currency, amount, transaction_id, notify_url, ... →
 *   payment_id, payment_url; a new payment is `pending`), `GET {base}/payments?notification_token=` and
 *   `GET {base}/payments/{id}`, authenticated by the `x-api-key` header; payments with statuses `pending` /
 *   `verifying` / `done`.
 * - Transbank WebPay Plus REST v1.2: `POST .../transactions` (create: buy_order ≤ 26, session_id ≤ 61, amount,
 *   return_url → token, url), `PUT .../transactions/{token}` (commit: once, then 422; 422 too while a
 *   commit is still running) and `GET .../transactions/{token}` (status: INITIALIZED with a null response code
 *   until a commit has finished), authenticated by `Tbk-Api-Key-Id` / `Tbk-Api-Key-Secret`, requiring
 *   `Content-Type: application/json`.
 * Both take injected faults (`fail(...)`): each queued fault answers one request instead of the contract.
 */
import { randomBytes } from 'node:crypto';
import { type LocalServer, type RecordedRequest, startHttpServer } from '../aws-servers';

/** An error answer, a dropped connection, no answer at all, or the contract's answer after a delay. */
export type Fault = { status: number; body?: unknown } | { delayMs: number } | 'reset' | 'hang';

interface FaultQueue {
  /** The next requests answer these faults, in order. */
  fail(...faults: Fault[]): void;
}

type Answer = Awaited<ReturnType<Parameters<typeof startHttpServer>[0]>>;

/** Wraps a contract so that queued faults answer first, one request each. */
export function withFaults(contract: (request: RecordedRequest) => Answer | Promise<Answer>) {
  const queue: Fault[] = [];
  return {
    fail: (...faults: Fault[]) => void queue.push(...faults),
    handle: async (request: RecordedRequest): Promise<Answer> => {
      const fault = queue.shift();
      if (fault === undefined) return contract(request);
      if (typeof fault === 'string') return fault;
      if ('delayMs' in fault) {
        await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
        return contract(request);
      }
      return { status: fault.status, body: fault.body };
    },
  };
}

export interface KhipuPaymentSeed {
  amount: number;
  currency?: string;
  status?: 'pending' | 'verifying' | 'done';
  transaction_id?: string;
  custom?: string;
  /** Defaults to the server's receiver: set another to play a payment of someone else's account. */
  receiver_id?: number;
}

export interface FakeKhipu extends LocalServer, FaultQueue {
  /** Base URL as configured in the handler (`{endpoint}/api/2.0`). */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Creates a payment and returns its notification token and payment id. */
  addPayment(seed: KhipuPaymentSeed): { notificationToken: string; paymentId: string };
  setStatus(paymentId: string, status: 'pending' | 'verifying' | 'done'): void;
  /** The notification token of a payment (created through the API or added), as Khipu would post it. */
  notificationToken(paymentId: string): string;
  /** The form fields a create received, by Khipu payment id. */
  created(paymentId: string): Readonly<Record<string, string>> | undefined;
}

export async function startFakeKhipu(account: { receiverId: number; apiKey: string }): Promise<FakeKhipu> {
  const payments = new Map<string, Record<string, unknown>>();
  const byToken = new Map<string, string>();
  const creates = new Map<string, Record<string, string>>();

  function add(seed: KhipuPaymentSeed): { notificationToken: string; paymentId: string } {
    const paymentId = randomBytes(6).toString('hex');
    const notificationToken = randomBytes(24).toString('hex');
    payments.set(paymentId, {
      payment_id: paymentId,
      payment_url: `https://khipu.com/payment/info/${paymentId}`,
      notification_token: notificationToken,
      receiver_id: seed.receiver_id ?? account.receiverId,
      subject: 'Order',
      amount: seed.amount,
      currency: seed.currency ?? 'CLP',
      status: seed.status ?? 'done',
      status_detail: seed.status === 'done' || seed.status === undefined ? 'normal' : 'pending',
      transaction_id: seed.transaction_id,
      custom: seed.custom,
      payer_email: 'payer@example.com',
      payer_name: 'Payer Name',
      bank: 'Banco de Prueba',
      conciliation_date: '2024-05-01T12:00:00Z',
    });
    byToken.set(notificationToken, paymentId);
    return { notificationToken, paymentId };
  }

  const faults = withFaults(async (request): Promise<Answer> => {
    const url = new URL(request.url, 'http://khipu.local');
    if (!url.pathname.startsWith('/api/2.0/payments')) return { status: 404, body: { status: 404, message: 'Not found' } };
    if (request.headers['x-api-key'] !== account.apiKey) return { status: 401, body: { status: 401, message: 'Unauthorized' } };
    if (request.method === 'POST' && url.pathname === '/api/2.0/payments') {
      if (!String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return { status: 400, body: { status: 400, message: 'Expected a form' } };
      const form = Object.fromEntries(new URLSearchParams(request.body));
      const missing = ['subject', 'currency', 'amount'].filter((field) => !form[field]);
      if (missing.length > 0 || !/^\d+(\.\d{1,4})?$/.test(form.amount)) {
        return { status: 400, body: { status: 400, message: 'Validation error', errors: missing.map((field) => ({ field, message: 'required' })) } };
      }
      const created = add({ amount: Number(form.amount), currency: form.currency, status: 'pending', transaction_id: form.transaction_id });
      creates.set(created.paymentId, form);
      return { status: 200, body: { payment_id: created.paymentId, payment_url: `https://khipu.com/payment/info/${created.paymentId}`, simplified_transfer_url: `https://app.khipu.com/payment/simplified/${created.paymentId}` } };
    }
    if (request.method !== 'GET') return { status: 404, body: { status: 404, message: 'Not found' } };
    const id = url.pathname === '/api/2.0/payments' ? byToken.get(url.searchParams.get('notification_token') ?? '') : decodeURIComponent(url.pathname.slice('/api/2.0/payments/'.length));
    const payment = id === undefined ? undefined : payments.get(id);
    if (!payment) return { status: 400, body: { status: 400, message: 'Invalid notification token or payment id' } };
    return { status: 200, body: payment };
  });
  const server = await startHttpServer(faults.handle);
  return {
    ...server,
    baseUrl: `${server.endpoint}/api/2.0`,
    fail: faults.fail,
    addPayment: add,
    setStatus(paymentId, status) {
      const payment = payments.get(paymentId);
      if (!payment) throw new Error(`no Khipu payment ${paymentId}`);
      payment.status = status;
    },
    notificationToken(paymentId) {
      const payment = payments.get(paymentId);
      if (!payment) throw new Error(`no Khipu payment ${paymentId}`);
      return payment.notification_token as string;
    },
    created: (paymentId) => creates.get(paymentId),
  };
}

export interface WebpayTransactionSeed {
  buy_order: string;
  session_id?: string;
  amount: number;
  /** What the card issuer answers at commit: approved (response_code 0) or declined (-1). */
  approve?: boolean;
  /**
   * How long a commit takes at Transbank (default 0). While it runs the transaction reads INITIALIZED and another
   * commit is refused (422); it finishes even if the caller stopped waiting for the answer.
   */
  commitTakesMs?: number;
}

export interface FakeWebpay extends LocalServer, FaultQueue {
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Creates a transaction (as `POST .../transactions` would) and returns its token. */
  createTransaction(seed: WebpayTransactionSeed): string;
  /** Commits Transbank accepted (a second commit of a token is refused, so at most one per token). */
  commits(token: string): number;
  /** The creation request of a token made through the API (its return_url, buy_order, ...). */
  created(token: string): Readonly<Record<string, unknown>> | undefined;
}

const WEBPAY_PATH = '/rswebpaytransaction/api/webpay/v1.2/transactions/';

export async function startFakeWebpay(commerce: { commerceCode: string; apiKeySecret: string }): Promise<FakeWebpay> {
  const transactions = new Map<string, { seed: WebpayTransactionSeed; status: 'INITIALIZED' | 'AUTHORIZED' | 'FAILED'; commits: number; committing: boolean }>();

  function view(token: string) {
    const transaction = transactions.get(token)!;
    const committed = transaction.status !== 'INITIALIZED';
    return {
      vci: committed ? 'TSY' : undefined,
      amount: transaction.seed.amount,
      status: transaction.status,
      buy_order: transaction.seed.buy_order,
      session_id: transaction.seed.session_id ?? 'session',
      card_detail: committed ? { card_number: '6623' } : undefined,
      accounting_date: '0501',
      transaction_date: '2024-05-01T12:00:00.000Z',
      authorization_code: transaction.status === 'AUTHORIZED' ? '1213' : undefined,
      payment_type_code: 'VN',
      response_code: committed ? (transaction.status === 'AUTHORIZED' ? 0 : -1) : null,
      installments_number: 0,
    };
  }

  const creates = new Map<string, Record<string, unknown>>();
  const faults = withFaults(async (request): Promise<Answer> => {
    if (request.method === 'POST' && request.url === WEBPAY_PATH.slice(0, -1)) {
      if (request.headers['tbk-api-key-id'] !== commerce.commerceCode || request.headers['tbk-api-key-secret'] !== commerce.apiKeySecret) return { status: 401, body: { error_message: 'Not Authorized' } };
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(request.body) as Record<string, unknown>;
      } catch {
        return { status: 400, body: { error_message: 'Invalid JSON' } };
      }
      const { buy_order, session_id, amount, return_url } = body;
      if (typeof buy_order !== 'string' || buy_order.length > 26 || typeof session_id !== 'string' || session_id.length > 61) return { status: 422, body: { error_message: 'Invalid value for parameter: buy_order or session_id' } };
      if (typeof amount !== 'number' || !Number.isInteger(amount) || amount <= 0) return { status: 422, body: { error_message: 'Invalid value for parameter: amount' } };
      if (typeof return_url !== 'string' || !return_url.startsWith('http')) return { status: 422, body: { error_message: 'Invalid value for parameter: return_url' } };
      const token = randomBytes(32).toString('hex');
      transactions.set(token, { seed: { buy_order, session_id, amount }, status: 'INITIALIZED', commits: 0, committing: false });
      creates.set(token, body);
      return { status: 200, body: { token, url: 'https://webpay3gint.transbank.cl/webpayserver/initTransaction' } };
    }
    if (!request.url.startsWith(WEBPAY_PATH)) return { status: 404, body: { error_message: 'Not found' } };
    if (request.headers['tbk-api-key-id'] !== commerce.commerceCode || request.headers['tbk-api-key-secret'] !== commerce.apiKeySecret) {
      return { status: 401, body: { error_message: 'Not Authorized' } };
    }
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) return { status: 415, body: { error_message: 'Content-Type must be application/json' } };
    const token = decodeURIComponent(request.url.slice(WEBPAY_PATH.length));
    const transaction = transactions.get(token);
    if (!transaction) return { status: 422, body: { error_message: 'Invalid value for parameter: token' } };
    if (request.method === 'GET') return { status: 200, body: view(token) };
    if (request.method !== 'PUT') return { status: 405, body: { error_message: 'Method not allowed' } };
    if (transaction.status !== 'INITIALIZED') {
      return { status: 422, body: { error_message: `Invalid status '${transaction.status === 'AUTHORIZED' ? 6 : 7}' for transaction while authorizing` } };
    }
    if (transaction.committing) return { status: 422, body: { error_message: 'Transaction is being processed' } };
    if (transaction.seed.commitTakesMs) {
      transaction.committing = true;
      await new Promise((resolve) => setTimeout(resolve, transaction.seed.commitTakesMs));
      transaction.committing = false;
    }
    transaction.status = transaction.seed.approve === false ? 'FAILED' : 'AUTHORIZED';
    transaction.commits += 1;
    return { status: 200, body: view(token) };
  });
  const server = await startHttpServer(faults.handle);

  return {
    ...server,
    baseUrl: server.endpoint,
    fail: faults.fail,
    createTransaction(seed) {
      const token = randomBytes(32).toString('hex');
      transactions.set(token, { seed, status: 'INITIALIZED', commits: 0, committing: false });
      return token;
    },
    commits: (token) => transactions.get(token)?.commits ?? 0,
    created: (token) => creates.get(token),
  };
}
