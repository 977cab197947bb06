/**
 * The pure part of payment notifications: read provider requests, judge what the provider reported against the
 * payment record, and decide the one state change (if any). No I/O, no clock.
 */
import type { QueuedProfileUpdate } from '../customer-sync/contract';
import type { FinalPaymentStatus, KhipuPayment, PaymentEvent, PaymentRecord, PaymentStatus, ProviderName, SegmentationFact, SegmentationFields, WebpayTransaction } from './contract';

/** What the provider itself says about a payment, in our terms; built only from the provider's own API answer. */
export interface VerifiedPayment {
  readonly provider: ProviderName;
  /** Our id as the provider reports it (Khipu `transaction_id`, WebPay `buy_order`). */
  readonly paymentId: string | undefined;
  /** The provider's id (Khipu `payment_id`, WebPay token). */
  readonly providerPaymentId: string;
  /**
   * `pending`: the provider has not finished (record nothing final). The others are the provider's final word:
   * `aborted` (the buyer cancelled), `expired` (the provider's window closed), `refunded` (reversed after payment).
   */
  readonly outcome: 'paid' | 'rejected' | 'pending' | 'aborted' | 'expired' | 'refunded';
  readonly amount: number;
  readonly currency: string;
  /** Provider status / response code, e.g. `done`, `AUTHORIZED/0`, `FAILED/-1`. */
  readonly reason: string;
  readonly authorizationCode?: string;
  /** A problem found while reading the provider's answer (e.g. someone else's receiver id): never recorded. */
  readonly mismatch?: string;
}

export type Decision =
  /** Move the record to this final state (from `created`/`pending`, or `paid` → `refunded`). */
  | { readonly kind: 'record'; readonly status: FinalPaymentStatus }
  /** The record is already final (a replay, or a concurrent notification won): change nothing. */
  | { readonly kind: 'already'; readonly status: FinalPaymentStatus }
  /** The provider does not report a final outcome yet: record nothing. */
  | { readonly kind: 'not_final' }
  /** The report does not belong to this payment (wrong receiver, amount, currency, id): record nothing, warn. */
  | { readonly kind: 'mismatch'; readonly problem: string };

/**
 * What the core decides, before it is written: a Decision, or `progress` (the provider has the payment but has not
 * finished it: move `created` → `pending`, no event). Once written, `progress` is answered as `not_final`, so
 * providers' answers (respond) see only Decisions.
 */
export type Judgement = Decision | { readonly kind: 'progress' };

/** Form fields of an application/x-www-form-urlencoded body or a query string; a repeated field is ambiguous. */
export function formFields(encoded: string): Record<string, string> | { duplicate: string } {
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(encoded)) {
    if (Object.hasOwn(fields, name)) return { duplicate: name };
    fields[name] = value;
  }
  return fields;
}

/** Amounts are compared in hundredths, so `1000` and `1000.0` match but floating-point noise does not matter. */
export function sameAmount(a: number, b: number): boolean {
  return Math.round(a * 100) === Math.round(b * 100);
}

/** Leaves absent fields out, so a verdict is plain JSON (it is stored as the idempotent result of a commit). */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

/** Khipu API v2 payment → verified payment. Only `done` is paid; Khipu has no rejected state to report. */
export function khipuVerdict(payment: KhipuPayment, ourReceiverId: string): VerifiedPayment {
  return withoutUndefined({
    provider: 'khipu',
    paymentId: payment.transaction_id,
    providerPaymentId: payment.payment_id,
    outcome: payment.status === 'done' ? 'paid' : 'pending',
    amount: payment.amount,
    currency: payment.currency.toUpperCase(),
    reason: payment.status,
    mismatch: payment.receiver_id === String(ourReceiverId) ? undefined : 'receiver_mismatch',
  });
}

/**
 * WebPay Plus statuses that end a transaction without a payment we can keep. `REVERSED` is Transbank undoing an
 * authorisation (e.g. a commit it could not complete); the nullified ones are refunds of an earlier authorisation.
 */
const WEBPAY_FINAL_FAILURES: ReadonlySet<string> = new Set(['FAILED', 'REVERSED', 'NULLIFIED', 'PARTIALLY_NULLIFIED']);

/**
 * WebPay Plus commit/status → verified payment. Paid only with status AUTHORIZED and response code 0; rejected only
 * when Transbank reports a final failure (a failure status, or AUTHORIZED with a response code other than 0).
 * Anything else (INITIALIZED, a null response code, a status we do not know) is `pending`: the buyer may still be on
 * the form, or an earlier commit may still be running at Transbank and end authorised, so it must not be judged.
 */
export function webpayVerdict(transaction: WebpayTransaction, token: string): VerifiedPayment {
  const code = transaction.response_code;
  const authorized = code === 0 && transaction.status === 'AUTHORIZED';
  const failed = WEBPAY_FINAL_FAILURES.has(transaction.status) || (transaction.status === 'AUTHORIZED' && typeof code === 'number' && code !== 0);
  return withoutUndefined({
    provider: 'webpay',
    paymentId: transaction.buy_order,
    providerPaymentId: token,
    outcome: authorized ? 'paid' : failed ? 'rejected' : 'pending',
    amount: transaction.amount,
    currency: 'CLP', // WebPay Plus (REST) charges in Chilean pesos only
    reason: `${transaction.status}/${code ?? null}`,
    authorizationCode: authorized ? transaction.authorization_code : undefined,
  });
}

/**
 * THE state machine: the states a record may move to from each state. `created` and `pending` are open; every
 * other state is final, except that a paid payment can still be refunded. A provider's first word may be a refund
 * (its payment was reversed before we heard it was paid). store.ts writes each move conditioned on these sources.
 */
export const TRANSITIONS: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  created: ['pending', 'paid', 'rejected', 'aborted', 'expired', 'refunded'],
  pending: ['paid', 'rejected', 'aborted', 'expired', 'refunded'],
  paid: ['refunded'],
  rejected: [],
  aborted: [],
  expired: [],
  refunded: [],
};

/** The states a record may be in for a move to `to` (the condition of the write). */
export function sourcesOf(to: PaymentStatus): PaymentStatus[] {
  return (Object.keys(TRANSITIONS) as PaymentStatus[]).filter((from) => TRANSITIONS[from].includes(to));
}

/** Judges a verified payment against our record and decides the state change. */
export function decide(record: PaymentRecord | undefined, verified: VerifiedPayment): Judgement {
  if (verified.mismatch) return { kind: 'mismatch', problem: verified.mismatch };
  if (!record) return { kind: 'mismatch', problem: 'unknown_payment' };
  if (record.provider !== verified.provider) return { kind: 'mismatch', problem: 'provider_mismatch' };
  if (record.providerPaymentId !== undefined && record.providerPaymentId !== verified.providerPaymentId) {
    return { kind: 'mismatch', problem: 'provider_payment_id_mismatch' };
  }
  if (!sameAmount(record.amount, verified.amount)) return { kind: 'mismatch', problem: 'amount_mismatch' };
  if (record.currency.toUpperCase() !== verified.currency.toUpperCase()) return { kind: 'mismatch', problem: 'currency_mismatch' };
  return move(record, verified.outcome);
}

/** The decision for a record whose provider reports `outcome` (already judged to be this payment). */
export function move(record: PaymentRecord, outcome: PaymentStatus): Judgement {
  if (TRANSITIONS[record.status].includes(outcome)) return outcome === 'pending' || outcome === 'created' ? { kind: 'progress' } : { kind: 'record', status: outcome as FinalPaymentStatus };
  if (isFinal(record)) return { kind: 'already', status: record.status };
  return { kind: 'not_final' };
}

/**
 * A buyer who left the provider's page. The abort is recorded only when the provider's token for it is the one
 * stored at checkout, so nobody can abort someone else's payment by naming its order id.
 */
export function decideAbort(record: PaymentRecord | undefined, token: string | undefined): Decision {
  if (token === undefined) return { kind: 'not_final' }; // a timeout return carries no token to prove anything
  if (!record) return { kind: 'mismatch', problem: 'unknown_payment' };
  if (record.providerPaymentId === undefined || record.providerPaymentId !== token) {
    return { kind: 'mismatch', problem: 'provider_payment_id_mismatch' };
  }
  if (isFinal(record)) return { kind: 'already', status: record.status };
  return { kind: 'record', status: 'aborted' };
}

/** The event for a record in a final state. */
export function paymentEvent(record: PaymentRecord & { status: FinalPaymentStatus }, occurredAt: string): PaymentEvent {
  return {
    schemaVersion: 1,
    eventId: `${record.paymentId}:${record.status}`,
    type: `payment.${record.status}`,
    paymentId: record.paymentId,
    provider: record.provider,
    providerPaymentId: record.providerPaymentId,
    amount: record.amount,
    currency: record.currency,
    reason: record.reason,
    authorizationCode: record.authorizationCode,
    occurredAt,
  };
}

export function isFinal(record: PaymentRecord): record is PaymentRecord & { status: FinalPaymentStatus } {
  return record.status !== 'created' && record.status !== 'pending';
}

/** The value of a segmentation fact for a paid record. */
function factOf(record: PaymentRecord, fact: SegmentationFact): string | number | null {
  switch (fact) {
    case 'paidAt':
      return record.updatedAt ?? record.createdAt;
    case 'amount':
      return record.amount;
    case 'currency':
      return record.currency;
    case 'provider':
      return record.provider;
    case 'paymentId':
      return record.paymentId;
    case 'description':
      return record.description ?? null;
  }
}

/**
 * Segmentation: the customer-sync profile update a paid payment of a Modyo realm user gives (the configured custom
 * fields set from the payment), or undefined (not paid, not a realm user's, nothing configured). Its request id is
 * fixed per payment, so a re-sent update is applied once by the customer-sync worker.
 */
export function segmentationUpdate(record: PaymentRecord, fields: SegmentationFields | undefined): QueuedProfileUpdate | undefined {
  if (record.status !== 'paid' || !record.realmUid || !record.modyoUserId || !fields || Object.keys(fields).length === 0) return undefined;
  return {
    schemaVersion: 1,
    requestId: `payment:${record.paymentId}:paid`,
    receivedAt: record.updatedAt ?? record.createdAt,
    clientId: 'connect-payments',
    update: {
      realmUid: record.realmUid,
      action: 'upsert',
      user: { modyoUserId: record.modyoUserId },
      customFields: Object.fromEntries(Object.entries(fields).map(([key, fact]) => [key, factOf(record, fact)])),
    },
  };
}

/**
 * A payment id of up to 26 characters from [0-9a-z] (WebPay's buy_order limit; Khipu's transaction_id): the time
 * in base 36 (so ids sort roughly by creation) and 64 random bits in hex.
 */
export function timeRandomPaymentId(now: Date, random: (bytes: number) => Uint8Array): string {
  return `${now.getTime().toString(36)}${Buffer.from(random(8)).toString('hex')}`;
}

/** The amount as a decimal string with exactly `decimals` places (providers compare amount strings byte for byte). */
export function amountString(amount: number, decimals: number): string {
  return amount.toFixed(decimals);
}
