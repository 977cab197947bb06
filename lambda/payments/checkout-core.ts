/**
 * The pure part of checkout and "my payments": whose payment it is, the provider's checkout rules, the owner's view
 * of a record and the page cursor. No I/O, no clock.
 */
import type { Caller } from '../shared/caller';
import type { CheckoutBody, PaymentRecord, PaymentView } from './contract';
import type { CheckoutRules } from './provider';

/** One problem with a checkout request, by field (the 400's details). */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/**
 * Who a payment belongs to: a Modyo realm user (the token's modyo_realm and modyo_user_id: "my payments" are theirs,
 * whatever app client they sign in through) or a machine client (what it created). A user token without the Modyo
 * claims names nobody whose payments exist: undefined (403).
 */
export function ownerOf(caller: Caller): { owner: string; realmUid?: string; modyoUserId?: string } | undefined {
  if (caller.kind === 'machine') return { owner: `client:${caller.clientId}` };
  if (!caller.modyo) return undefined;
  return { owner: `modyo:${caller.modyo.realmUid}:${caller.modyo.userId}`, realmUid: caller.modyo.realmUid, modyoUserId: caller.modyo.userId };
}

/** Decimal places of a number as written (1e-7 style numbers count their exponent). */
function decimalsOf(amount: number): number {
  const [mantissa, exponent] = amount.toString().split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent ?? 0));
}

/** The provider's rules applied to a checkout body: every problem, by field (empty when it can be created). */
export function checkoutProblems(body: CheckoutBody, rules: CheckoutRules): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (!rules.currencies.includes(body.currency)) {
    problems.push({ field: 'currency', message: `${body.provider} charges in ${rules.currencies.join(', ')} here` });
  } else {
    const decimals = rules.decimals(body.currency);
    if (decimalsOf(body.amount) > decimals) {
      problems.push({ field: 'amount', message: decimals === 0 ? `${body.currency} amounts have no decimals` : `${body.currency} amounts have at most ${decimals} decimals` });
    }
  }
  if (body.description.length > rules.maxDescriptionLength) {
    problems.push({ field: 'description', message: `${body.provider} takes at most ${rules.maxDescriptionLength} characters` });
  }
  for (const field of rules.requiredBuyerFields) {
    if (body.buyer?.[field] === undefined) problems.push({ field: `buyer.${field}`, message: `required by ${body.provider}` });
  }
  return problems;
}

/** What the owner sees of a record (no owner key, no internal markers). */
export function paymentView(record: PaymentRecord): PaymentView {
  const view: PaymentView = {
    paymentId: record.paymentId,
    provider: record.provider,
    status: record.status,
    amount: record.amount,
    currency: record.currency,
    description: record.description,
    reason: record.reason,
    authorizationCode: record.authorizationCode,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
  return Object.fromEntries(Object.entries(view).filter(([, value]) => value !== undefined)) as PaymentView;
}

/** The page cursor: the index key to continue from, base64url JSON (opaque to callers). */
export function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * The key a cursor names, only if it is a key of this owner's index (so a cursor can never read another owner's
 * page); undefined for anything else (400).
 */
export function decodeCursor(cursor: string, owner: string): Record<string, string> | undefined {
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(cursor)) return undefined;
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof key !== 'object' || key === null || Array.isArray(key)) return undefined;
    const { paymentId, owner: keyOwner, createdAt, ...rest } = key as Record<string, unknown>;
    if (Object.keys(rest).length > 0 || keyOwner !== owner || typeof paymentId !== 'string' || typeof createdAt !== 'string') return undefined;
    return { paymentId, owner: keyOwner, createdAt };
  } catch {
    return undefined;
  }
}

/** Where a provider's callback reaches us, from the request the checkout came in on (API Gateway sets these). */
export function apiBaseUrl(requestContext: { domainName?: string; stage?: string } | undefined): string | undefined {
  const domain = requestContext?.domainName;
  if (!domain || !/^[A-Za-z0-9.-]+(:\d+)?$/.test(domain)) return undefined;
  // On the execute-api endpoint the stage is the first path segment; a custom domain's base path mapping has none.
  const stage = /\.execute-api\./.test(domain) && requestContext?.stage ? `/${requestContext.stage}` : '';
  return `https://${domain}${stage}`;
}
