/**
 * The pure part of the PayU Latam adapter: signatures, amounts, ids, the reports API's answer shape and the verdict
 * on a reference's orders. No I/O.
 */
import * as z from 'zod';
import { lazy } from '../../shared/lazy';
import type { VerifiedPayment } from '../core';
import { md5Hex, sha256Hex } from './digest';

export type PayuSignatureAlgorithm = 'MD5' | 'SHA256';

/** ISO 4217 minor units of PayU's currencies (ARS, BRL, COP, MXN, PEN, USD: 2; CLP: 0). */
export function payuDecimals(currency: string): number {
  return currency === 'CLP' ? 0 : 2;
}

/** The amount as the form sends it and the signature covers it, byte for byte ("150.50", CLP "15000"). */
export function payuAmount(amount: number, currency: string): string {
  return amount.toFixed(payuDecimals(currency));
}

/**
 * `tax` and `taxReturnBase` for an amount that includes VAT at `rate` (COP 0.19: 119000 → tax 19000, base 100000);
 * no rate: both 0 (exempt).
 */
export function payuTax(amount: number, currency: string, rate: number | undefined): { tax: string; taxReturnBase: string } {
  if (!rate) return { tax: '0', taxReturnBase: '0' };
  const scale = 10 ** payuDecimals(currency);
  const base = Math.round((amount / (1 + rate)) * scale) / scale;
  const tax = Math.round((amount - base) * scale) / scale;
  return { tax: tax.toFixed(payuDecimals(currency)), taxReturnBase: base.toFixed(payuDecimals(currency)) };
}

const digest = (algorithm: PayuSignatureAlgorithm, text: string) => (algorithm === 'SHA256' ? sha256Hex(text) : md5Hex(text));

/** WebCheckout `signature`: ApiKey~merchantId~referenceCode~amount~currency. */
export function payuSignature(algorithm: PayuSignatureAlgorithm, apiKey: string, merchantId: string, referenceCode: string, amount: string, currency: string): string {
  return digest(algorithm, `${apiKey}~${merchantId}~${referenceCode}~${amount}~${currency}`);
}

/**
 * The confirmation's `new_value`: the value with one decimal when its second decimal is 0 (150.00 → "150.0",
 * 150.50 → "150.5", 150 → "150.0"), else with two (150.25 → "150.25"). The value has at most two decimals
 * (PayuConfirmation), so nothing is rounded.
 */
export function payuNewValue(value: string): string {
  const [units, fraction = ''] = value.split('.');
  const cents = fraction.padEnd(2, '0');
  return cents[1] === '0' ? `${units}.${cents[0]}` : `${units}.${cents}`;
}

/**
 * Confirmation `sign`: ApiKey~merchant_id~reference_sale~new_value~currency~state_pol. PayU's docs show MD5; with
 * SHA-256 signatures configured the confirmation may be signed with SHA-256 (uncertain), so the digest's length
 * (32 or 64 hex) picks the algorithm: both are keyed by the ApiKey.
 */
export function payuConfirmationSign(receivedLength: number, apiKey: string, fields: { merchant_id: string; reference_sale: string; value: string; currency: string; state_pol: string }): string {
  const text = `${apiKey}~${fields.merchant_id}~${fields.reference_sale}~${payuNewValue(fields.value)}~${fields.currency}~${fields.state_pol}`;
  return digest(receivedLength === 64 ? 'SHA256' : 'MD5', text);
}

/** A referenceCode: time (base 36) then 8 random bytes (hex), 24 characters, unique without coordination. */
export function newPayuPaymentId(now: Date, random: (bytes: number) => Uint8Array): string {
  return `${now.getTime().toString(36)}${Buffer.from(random(8)).toString('hex')}`;
}

/** PayU's answers, built at PayU's first use (contract.ts khipuSchemas). */
export const payuAnswers = lazy(() => {
  const amountField = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/)]).transform(Number);

  /** One transaction (attempt, refund, void) of an order, as the reports API returns it; only the judged fields. */
  const PayuTransaction = z.looseObject({
    id: z.string().min(1),
    type: z.string().nullish(),
    transactionResponse: z.looseObject({
      /** APPROVED, DECLINED, PENDING, EXPIRED, ERROR, ... */
      state: z.string().min(1),
      responseCode: z.string().nullish(),
      authorizationCode: z.string().nullish(),
    }),
  });

  /** An order of ORDER_DETAIL_BY_REFERENCE_CODE (NEW, IN_PROGRESS, AUTHORIZED, CAPTURED, CANCELLED, DECLINED, REFUNDED, CHARGEBACK). */
  const PayuOrder = z.looseObject({
    id: z.union([z.number(), z.string()]).transform(String),
    accountId: z.union([z.number(), z.string()]).transform(String).nullish(),
    status: z.string().min(1),
    referenceCode: z.string().min(1),
    additionalValues: z.looseObject({ TX_VALUE: z.looseObject({ value: amountField, currency: z.string().length(3) }) }),
    transactions: z.array(PayuTransaction).nullish().transform((list) => list ?? []),
  });

  /** The reports API answer: `{"code":"SUCCESS","result":{"payload":[orders] | null}}` or `{"code":"ERROR","error":"..."}`. */
  const PayuReportsAnswer = z.looseObject({
    code: z.enum(['SUCCESS', 'ERROR']),
    error: z.string().nullish(),
    result: z.looseObject({ payload: z.array(PayuOrder).nullish() }).nullish(),
  });

  /** The payments API answer to SUBMIT_TRANSACTION (REFUND / VOID). */
  const PayuSubmitAnswer = z.looseObject({
    code: z.enum(['SUCCESS', 'ERROR']),
    error: z.string().nullish(),
    transactionResponse: z.looseObject({ state: z.string().min(1), responseCode: z.string().nullish(), transactionId: z.string().nullish() }).nullish(),
  });
  return { PayuTransaction, PayuOrder, PayuReportsAnswer, PayuSubmitAnswer };
});
export type PayuOrder = z.infer<ReturnType<typeof payuAnswers>['PayuOrder']>;

/** Transactions that charge the buyer (an attempt), as opposed to REFUND / VOID / CAPTURE of an earlier one. */
const CHARGES = new Set(['AUTHORIZATION_AND_CAPTURE', 'AUTHORIZATION']);
const isCharge = (transaction: z.infer<ReturnType<typeof payuAnswers>['PayuTransaction']>) => transaction.type == null || CHARGES.has(transaction.type);

/**
 * The orders of one reference → verified payment. Paid when an attempt is APPROVED (`refunded` when its order was
 * refunded or charged back since); pending while an attempt is PENDING, and — until `windowClosed` — while every attempt failed
 * (the buyer may retry). After the window the last attempt decides: EXPIRED → expired, else rejected. Orders of an
 * account that is not ours are a mismatch.
 */
export function payuVerdict(orders: readonly PayuOrder[], referenceCode: string, ours: { accountIds: readonly string[]; windowClosed: boolean }): VerifiedPayment {
  const attempts = orders.flatMap((order) => order.transactions.filter(isCharge).map((transaction) => ({ order, transaction })));
  const approved = attempts.find(({ transaction }) => transaction.transactionResponse.state === 'APPROVED');
  const pending = attempts.find(({ transaction }) => transaction.transactionResponse.state === 'PENDING');
  const last = attempts.at(-1);
  const judged = approved ?? pending ?? last;
  const order = judged?.order ?? orders[0];
  const state = judged?.transaction.transactionResponse.state ?? 'NO_ATTEMPT';
  // A chargeback reverses the payment as a refund does (the buyer's bank took the money back).
  const refunded = approved !== undefined && (approved.order.status === 'REFUNDED' || approved.order.status === 'CHARGEBACK');
  const outcome: VerifiedPayment['outcome'] = approved
    ? refunded ? 'refunded' : 'paid'
    : pending || !ours.windowClosed
      ? 'pending'
      : state === 'EXPIRED' ? 'expired' : 'rejected';
  const foreign = orders.find((candidate) => candidate.referenceCode !== referenceCode || (candidate.accountId != null && !ours.accountIds.includes(candidate.accountId)));
  const authorization = approved && !refunded ? approved.transaction.transactionResponse.authorizationCode : undefined;
  return {
    provider: 'payu',
    paymentId: referenceCode,
    providerPaymentId: referenceCode,
    outcome,
    amount: order.additionalValues.TX_VALUE.value,
    currency: order.additionalValues.TX_VALUE.currency.toUpperCase(),
    reason: `${order.status}/${state}${judged?.transaction.transactionResponse.responseCode ? `/${judged.transaction.transactionResponse.responseCode}` : ''}`,
    ...(authorization ? { authorizationCode: authorization } : {}),
    ...(foreign ? { mismatch: foreign.referenceCode !== referenceCode ? 'order_mismatch' : 'account_mismatch' } : {}),
  };
}
