/**
 * A local PayU Latam following ../shared/reference/payments.md and PayU's developer docs:
 * - WebCheckout: `POST /ppp-web-gateway-payu/` (the form the browser posts): merchantId, accountId, referenceCode,
 *   amount (at most 2 decimals), currency, signature = MD5 / SHA-256 (`algorithmSignature`) of
 *   ApiKey~merchantId~referenceCode~amount~currency, byte for byte as posted; a bad signature is refused (400).
 * - Reports API `POST /reports-api/4.0/service.cgi` (JSON, merchant {apiLogin, apiKey}): ORDER_DETAIL_BY_REFERENCE_CODE
 *   → {code: SUCCESS, result: {payload: [orders] | null}}, ORDER_DETAIL, TRANSACTION_RESPONSE_DETAIL; refused keys →
 *   HTTP 200 {code: ERROR, error: "Invalid credentials"} (PayU's wording is not documented: uncertain).
 * - Payments API `POST /payments-api/4.0/service.cgi`: SUBMIT_TRANSACTION type REFUND (captured) / VOID (authorised)
 *   with order.id and parentTransactionId; answered APPROVED, PENDING (the default for refunds) or DECLINED.
 * - Payment attempts (`attempt`): each a new order of the reference with one transaction (APPROVED → CAPTURED,
 *   DECLINED, EXPIRED, PENDING → IN_PROGRESS, ERROR); the reports can lag an attempt (`reportsLag`, then `reveal`).
 * - Confirmations: form-encoded, one per attempt in a final state, signed MD5 of
 *   ApiKey~merchant_id~reference_sale~new_value~currency~state_pol (new_value: one decimal when the second is 0);
 *   `pushConfirmation` POSTs one to a URL and reports whether it was answered 200.
 * Faults (`fail`) answer first, on every path.
 */
import { createHash, randomUUID } from 'node:crypto';
import { type Fault, withFaults } from '../payment-providers';
import { type LocalServer, type RecordedRequest, startHttpServer } from '../../aws-servers';

export interface PayuAccount {
  readonly merchantId: string;
  readonly apiKey: string;
  readonly apiLogin: string;
  /** Currency → accountId. */
  readonly accounts: Readonly<Record<string, string>>;
}

export type AttemptState = 'APPROVED' | 'DECLINED' | 'EXPIRED' | 'PENDING' | 'ERROR';

interface Transaction {
  id: string;
  type: 'AUTHORIZATION_AND_CAPTURE' | 'AUTHORIZATION' | 'REFUND' | 'VOID';
  state: string;
  responseCode: string;
  authorizationCode: string | null;
  /** Not shown by the reports API yet. */
  hidden: boolean;
}

interface Order {
  id: number;
  accountId: string;
  status: string;
  referenceCode: string;
  amount: number;
  currency: string;
  transactions: Transaction[];
}

export interface FakePayu extends LocalServer {
  /** API host as configured (the adapter appends the reports / payments paths). */
  readonly apiBaseUrl: string;
  /** WebCheckout form action. */
  readonly checkoutUrl: string;
  readonly requests: RecordedRequest[];
  fail(...faults: Fault[]): void;
  /** A payment attempt of a reference the buyer started (the form must have been posted, unless `force`). */
  attempt(referenceCode: string, state: AttemptState, options?: { reportsLag?: boolean; authorizeOnly?: boolean; amount?: number; currency?: string; accountId?: string; force?: boolean }): string;
  reveal(transactionId: string): void;
  /** A PENDING attempt (a cash voucher, a bank transfer) ends: paid or expired. */
  complete(transactionId: string, state: 'APPROVED' | 'EXPIRED' | 'DECLINED'): void;
  orders(referenceCode: string): readonly Readonly<Order>[];
  /** How the next refund / void is answered (default PENDING for REFUND, APPROVED for VOID). */
  answerNextRefundWith(state: 'APPROVED' | 'PENDING' | 'DECLINED'): void;
  /** The confirmation PayU posts for an attempt (a form), optionally altered after signing. */
  confirmation(transactionId: string, alter?: { apiKey?: string; merchantId?: string; value?: string; algorithm?: 'MD5' | 'SHA256' }): Record<string, string>;
  pushConfirmation(url: string, fields: Record<string, string>): Promise<{ status: number; body: string; accepted: boolean }>;
  /** As PayU delivers: the confirmation again until it is answered 200, at most `attempts` times (PayU's older docs: 9). */
  deliver(url: string, fields: Record<string, string>, attempts?: number): Promise<Array<{ status: number; accepted: boolean }>>;
}

const REPORTS = '/reports-api/4.0/service.cgi';
const PAYMENTS = '/payments-api/4.0/service.cgi';
const CHECKOUT = '/ppp-web-gateway-payu/';
const STATE_POL: Record<AttemptState, string> = { APPROVED: '4', DECLINED: '6', EXPIRED: '5', PENDING: '7', ERROR: '104' };
const ORDER_STATUS: Record<AttemptState, string> = { APPROVED: 'CAPTURED', DECLINED: 'DECLINED', EXPIRED: 'CANCELLED', PENDING: 'IN_PROGRESS', ERROR: 'DECLINED' };

const hash = (algorithm: string, text: string) => createHash(algorithm === 'SHA256' ? 'sha256' : algorithm === 'SHA' ? 'sha1' : 'md5').update(text).digest('hex');

/** PayU's documented rounding of the confirmation's value: one decimal when the second decimal is zero. */
function newValue(value: string): string {
  const amount = Number(value);
  const two = amount.toFixed(2);
  return two.endsWith('0') ? amount.toFixed(1) : two;
}

export async function startFakePayu(account: PayuAccount): Promise<FakePayu> {
  const orders: Order[] = [];
  const forms = new Map<string, { amount: string; currency: string; accountId: string }>();
  let nextOrderId = 840_000_000;
  let nextRefundState: 'APPROVED' | 'PENDING' | 'DECLINED' | undefined;

  const view = (order: Order) => ({
    id: order.id,
    accountId: Number(order.accountId),
    status: order.status,
    referenceCode: order.referenceCode,
    description: 'Pedido',
    language: 'es',
    notifyUrl: null,
    buyer: { emailAddress: 'buyer@example.com', fullName: 'Buyer Name' },
    additionalValues: { TX_VALUE: { value: order.amount, currency: order.currency }, TX_TAX: { value: 0, currency: order.currency } },
    transactions: order.transactions
      .filter((transaction) => !transaction.hidden)
      .map((transaction) => ({
        id: transaction.id,
        type: transaction.type,
        paymentMethod: 'VISA',
        creditCard: { maskedNumber: '411111******1111', name: 'APPROVED' },
        transactionResponse: { state: transaction.state, responseCode: transaction.responseCode, authorizationCode: transaction.authorizationCode, operationDate: Date.now() },
      })),
  });

  const faults = withFaults((request) => {
    if (request.method === 'POST' && request.url === CHECKOUT) return checkout(request);
    if (request.method !== 'POST' || (request.url !== REPORTS && request.url !== PAYMENTS)) return { status: 404, body: { code: 'ERROR', error: 'Not found' } };
    let message: { command?: string; merchant?: { apiLogin?: string; apiKey?: string }; details?: Record<string, unknown>; transaction?: Record<string, unknown> };
    try {
      message = JSON.parse(request.body);
    } catch {
      return { status: 400, body: { code: 'ERROR', error: 'Invalid JSON' } };
    }
    if (message.merchant?.apiLogin !== account.apiLogin || message.merchant?.apiKey !== account.apiKey) return { status: 200, body: { code: 'ERROR', error: 'Invalid credentials', result: null } };
    const details = message.details ?? {};
    if (request.url === REPORTS && message.command === 'ORDER_DETAIL_BY_REFERENCE_CODE') {
      const found = orders.filter((order) => order.referenceCode === details.referenceCode).map(view);
      return { status: 200, body: { code: 'SUCCESS', error: null, result: { payload: found.length > 0 ? found : null } } };
    }
    if (request.url === REPORTS && message.command === 'ORDER_DETAIL') {
      const order = orders.find((candidate) => candidate.id === Number(details.orderId));
      return { status: 200, body: { code: 'SUCCESS', error: null, result: { payload: order ? view(order) : null } } };
    }
    if (request.url === REPORTS && message.command === 'TRANSACTION_RESPONSE_DETAIL') {
      const transaction = orders.flatMap((order) => order.transactions).find((candidate) => candidate.id === details.transactionId && !candidate.hidden);
      return { status: 200, body: { code: 'SUCCESS', error: null, result: { payload: transaction ? { state: transaction.state, responseCode: transaction.responseCode } : null } } };
    }
    if (request.url === PAYMENTS && message.command === 'SUBMIT_TRANSACTION') return submit(message.transaction ?? {});
    return { status: 200, body: { code: 'ERROR', error: `Unsupported command ${message.command}` } };
  });

  function checkout(request: RecordedRequest) {
    if (!String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return { status: 415, body: 'form expected', headers: { 'content-type': 'text/plain' } };
    const form = Object.fromEntries(new URLSearchParams(request.body));
    const { merchantId, accountId, referenceCode, amount, currency, signature } = form;
    const algorithm = form.algorithmSignature ?? 'MD5';
    const refuse = (why: string) => ({ status: 400, body: `<html>${why}</html>`, headers: { 'content-type': 'text/html' } });
    if (merchantId !== account.merchantId || account.accounts[currency] !== accountId) return refuse('merchant or account');
    if (!/^\d+(\.\d{1,2})?$/.test(amount ?? '') || !referenceCode || !form.buyerEmail) return refuse('amount, reference or buyer e-mail');
    if (signature !== hash(algorithm, `${account.apiKey}~${merchantId}~${referenceCode}~${amount}~${currency}`)) return refuse('signature');
    forms.set(referenceCode, { amount, currency, accountId });
    return { status: 200, body: '<html>PayU checkout</html>', headers: { 'content-type': 'text/html' } };
  }

  function submit(transaction: Record<string, unknown>) {
    const order = orders.find((candidate) => candidate.id === Number((transaction.order as { id?: unknown } | undefined)?.id));
    const parent = order?.transactions.find((candidate) => candidate.id === transaction.parentTransactionId);
    const type = transaction.type;
    if (!order || !parent || parent.state !== 'APPROVED' || (type !== 'REFUND' && type !== 'VOID')) return { status: 200, body: { code: 'ERROR', error: 'Invalid order or parent transaction', transactionResponse: null } };
    if ((type === 'VOID') !== (order.status === 'AUTHORIZED')) return { status: 200, body: { code: 'ERROR', error: `${type} is not allowed for an order ${order.status}`, transactionResponse: null } };
    const state = nextRefundState ?? (type === 'REFUND' ? 'PENDING' : 'APPROVED');
    nextRefundState = undefined;
    const id = randomUUID();
    const responseCode = state === 'DECLINED' ? 'ANTIFRAUD_REJECTED' : state === 'PENDING' ? 'PENDING_REVIEW' : 'APPROVED';
    order.transactions.push({ id, type, state, responseCode, authorizationCode: null, hidden: false });
    if (state === 'APPROVED') order.status = type === 'REFUND' ? 'REFUNDED' : 'CANCELLED';
    return { status: 200, body: { code: 'SUCCESS', error: null, transactionResponse: { orderId: order.id, transactionId: id, state, pendingReason: state === 'PENDING' ? 'PENDING_REVIEW' : null, responseCode } } };
  }

  const server = await startHttpServer(faults.handle);

  function transactionOf(transactionId: string): { order: Order; transaction: Transaction } {
    for (const order of orders) {
      const transaction = order.transactions.find((candidate) => candidate.id === transactionId);
      if (transaction) return { order, transaction };
    }
    throw new Error(`no PayU transaction ${transactionId}`);
  }

  async function pushConfirmation(url: string, fields: Record<string, string>) {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(), signal: AbortSignal.timeout(30_000) });
    const body = await response.text();
    return { status: response.status, body, accepted: response.status === 200 };
  }

  return {
    ...server,
    apiBaseUrl: server.endpoint,
    checkoutUrl: `${server.endpoint}${CHECKOUT}`,
    fail: faults.fail,
    attempt(referenceCode, state, options = {}) {
      const form = forms.get(referenceCode);
      if (!form && !options.force) throw new Error(`the buyer never posted the form of ${referenceCode}`);
      const currency = options.currency ?? form?.currency ?? 'COP';
      const id = randomUUID();
      orders.push({
        id: nextOrderId++,
        accountId: options.accountId ?? form?.accountId ?? account.accounts[currency],
        status: state === 'APPROVED' && options.authorizeOnly ? 'AUTHORIZED' : ORDER_STATUS[state],
        referenceCode,
        amount: options.amount ?? Number(form?.amount),
        currency,
        transactions: [
          {
            id,
            type: options.authorizeOnly ? 'AUTHORIZATION' : 'AUTHORIZATION_AND_CAPTURE',
            state,
            responseCode: state === 'APPROVED' ? 'APPROVED' : state === 'PENDING' ? 'PENDING_TRANSACTION_CONFIRMATION' : state === 'EXPIRED' ? 'EXPIRED_TRANSACTION' : 'PAYMENT_NETWORK_REJECTED',
            authorizationCode: state === 'APPROVED' ? String(100000 + (nextOrderId % 899999)) : null,
            hidden: options.reportsLag === true,
          },
        ],
      });
      return id;
    },
    reveal: (transactionId) => void (transactionOf(transactionId).transaction.hidden = false),
    complete(transactionId, state) {
      const { order, transaction } = transactionOf(transactionId);
      if (transaction.state !== 'PENDING') throw new Error(`PayU transaction ${transactionId} is not pending`);
      transaction.state = state;
      transaction.responseCode = state === 'APPROVED' ? 'APPROVED' : state === 'EXPIRED' ? 'EXPIRED_TRANSACTION' : 'PAYMENT_NETWORK_REJECTED';
      transaction.authorizationCode = state === 'APPROVED' ? '770011' : null;
      order.status = ORDER_STATUS[state];
    },
    orders: (referenceCode) => orders.filter((order) => order.referenceCode === referenceCode),
    answerNextRefundWith: (state) => void (nextRefundState = state),
    confirmation(transactionId, alter = {}) {
      const { order, transaction } = transactionOf(transactionId);
      const value = order.amount.toFixed(2);
      const statePol = STATE_POL[transaction.state as AttemptState];
      const merchantId = alter.merchantId ?? account.merchantId;
      const sign = hash(alter.algorithm ?? 'MD5', `${alter.apiKey ?? account.apiKey}~${merchantId}~${order.referenceCode}~${newValue(value)}~${order.currency}~${statePol}`);
      // The fields of PayU's confirmation-page table, buyer and bank data included: the adapter reads few of them.
      return {
        merchant_id: merchantId, state_pol: statePol, risk: '0.0',
        response_code_pol: transaction.state === 'APPROVED' ? '1' : '5', reference_sale: order.referenceCode,
        reference_pol: String(order.id), sign, extra1: '', extra2: '', payment_method: '10', payment_method_type: '2',
        installments_number: '1', value: alter.value ?? value, tax: '0.00', additional_value: '0.00',
        transaction_date: '2026-12-01 05:00:00', currency: order.currency, email_buyer: 'buyer@example.com', cus: '',
        pse_bank: '', test: '1', description: 'Pedido', billing_address: 'Calle 1', shipping_address: 'Calle 1',
        phone: '', office_phone: '', account_number_ach: '', account_type_ach: '', administrative_fee: '0.00',
        administrative_fee_base: '0.00', administrative_fee_tax: '0.00', airline_code: '', attempts: '1',
        authorization_code: transaction.authorizationCode ?? '', bank_id: '10', billing_city: 'Bogota',
        billing_country: 'CO', commision_pol: '0.00', commision_pol_currency: '', customer_number: '',
        date: '2026.12.01 05:00:00', error_code_bank: '', error_message_bank: '', exchange_rate: '1.00',
        ip: '190.0.0.1', nickname_buyer: '', nickname_seller: '', payment_method_id: '2', payment_request_state: 'A',
        pseReference1: '', pseReference2: '', pseReference3: '',
        response_message_pol: transaction.state === 'APPROVED' ? 'APPROVED' : transaction.responseCode,
        shipping_city: '', shipping_country: 'CO', transaction_bank_id: '00000000', transaction_id: transaction.id,
        payment_method_name: 'VISA',
      };
    },
    async deliver(url, fields, attempts = 9) {
      const answers: Array<{ status: number; accepted: boolean }> = [];
      while (answers.length < attempts && !answers.at(-1)?.accepted) {
        const { status, accepted } = await pushConfirmation(url, fields);
        answers.push({ status, accepted });
      }
      return answers;
    },
    pushConfirmation,
  };
}
