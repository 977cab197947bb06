/**
 * The pure part of customer sync: which Modyo calls apply a profile update, what the CRM receives for a Modyo
 * user event, and how the CRM credentials become headers. No I/O, no clock, no randomness.
 */
import { createHash } from 'node:crypto';
import { isUserLifecycleEvent, isUserLifecycleType, MODYO_EVENT_TYPES, type NormalisedModyoEvent } from '../shared/modyo-events';
import type { CrmCredentials, CustomerIdentity, ProfileUpdateRequest } from './contract';

/** The writable fields of a realm user, in the admin API's snake case. */
export interface RealmUserBody {
  email?: string;
  username?: string;
  first_name?: string;
  last_name?: string;
  external_id?: string;
  custom_fields?: Record<string, unknown>;
}

/** A realm user as the admin API returns it (fields beyond `id` are optional: the account's schema decides). */
export interface RealmUser extends RealmUserBody {
  id: string | number;
  active?: boolean;
}

export type ModyoStep =
  | { readonly kind: 'create'; readonly body: RealmUserBody }
  | { readonly kind: 'update'; readonly userId: string; readonly body: RealmUserBody }
  | { readonly kind: 'enable' | 'disable'; readonly userId: string };

/** An update that can never be applied as sent; it goes to the DLQ with this reason. */
export class PermanentFailure extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'PermanentFailure';
  }
}

function desiredBody(update: ProfileUpdateRequest): RealmUserBody {
  const { profile = {}, customFields, user } = update;
  const body: RealmUserBody = {
    email: profile.email,
    username: profile.username,
    first_name: profile.firstName,
    last_name: profile.lastName,
    external_id: user.externalId,
    custom_fields: customFields,
  };
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
}

/** Only what differs from the user as it is, so a replayed update changes nothing. */
function changes(desired: RealmUserBody, existing: RealmUser): RealmUserBody {
  const body: RealmUserBody = {};
  for (const key of ['email', 'username', 'first_name', 'last_name', 'external_id'] as const) {
    if (desired[key] !== undefined && desired[key] !== existing[key]) body[key] = desired[key];
  }
  const changedFields = Object.entries(desired.custom_fields ?? {}).filter(([key, value]) => existing.custom_fields?.[key] !== value);
  if (changedFields.length > 0) body.custom_fields = Object.fromEntries(changedFields);
  return body;
}

/**
 * The Modyo calls that bring the realm user to the state the update asks for, given the user found (or not).
 * Upsert creates a missing user (it needs an e-mail), unless the caller named a Modyo user id that does not exist.
 */
export function planProfileUpdate(update: ProfileUpdateRequest, existing: RealmUser | undefined): ModyoStep[] {
  const desired = desiredBody(update);
  if (!existing) {
    if (update.action !== 'upsert') throw new PermanentFailure('user_not_found');
    if (update.user.modyoUserId) throw new PermanentFailure('modyo_user_id_not_found');
    const email = desired.email ?? update.user.email;
    if (!email) throw new PermanentFailure('email_required_to_create');
    return [{ kind: 'create', body: { ...desired, email } }];
  }
  const userId = String(existing.id);
  const steps: ModyoStep[] = [];
  const body = changes(desired, existing);
  if (Object.keys(body).length > 0) steps.push({ kind: 'update', userId, body });
  if (update.action === 'enable' && existing.active !== true) steps.push({ kind: 'enable', userId });
  if (update.action === 'disable' && existing.active !== false) steps.push({ kind: 'disable', userId });
  return steps;
}

/** Matches a listed user to the identity exactly (the API's filter may be a fuzzy search). */
export function matchesIdentity(user: RealmUser, identity: CustomerIdentity, by: 'externalId' | 'email'): boolean {
  if (by === 'externalId') return user.external_id === identity.externalId;
  return user.email !== undefined && identity.email !== undefined && user.email.toLowerCase() === identity.email.toLowerCase();
}

/**
 * FIFO message group of an update: one group per realm user keeps its updates in order. Hashed, because the
 * identity may be an e-mail address and group ids show in the console.
 */
export function messageGroupId(update: ProfileUpdateRequest): string {
  const { modyoUserId, externalId, email } = update.user;
  const key = modyoUserId ? `id:${modyoUserId}` : externalId ? `ext:${externalId}` : `email:${email?.toLowerCase()}`;
  return createHash('sha256').update(`${update.realmUid}\n${key}`).digest('hex');
}

/** JSON with object keys sorted at every level, so equal values give equal text whatever the caller's key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The request id of an update: the caller's Idempotency-Key scoped by the caller (its client id, or the user for a
 * user's token: two callers may pick the same key), or a fresh id when it sent none. The inbound handler refuses a
 * request without a caller, so there is always one to scope by.
 */
export function scopedRequestId(owner: string, key: string | undefined, newId: () => string): string {
  return key === undefined ? newId() : `${owner}:${key}`;
}

/**
 * FIFO deduplication id of a queued update: the (client-scoped) request id and the update itself. SQS silently drops
 * a duplicate within five minutes, so only a true retry (same client, same key, same update) may share it; a key
 * reused with another update reaches the worker, which refuses it.
 */
export function deduplicationId(requestId: string, update: ProfileUpdateRequest): string {
  return createHash('sha256').update(`${requestId}\n${canonicalJson(update)}`).digest('hex');
}

/** What the CRM/CDP receives for a Modyo user event. */
export interface CrmUserEvent {
  eventId: string;
  type: string;
  occurredAt: string;
  realmUid?: string;
  user: { modyoUserId: string; email?: string; username?: string; firstName?: string; lastName?: string };
}

/**
 * What the forwarder does with a normalised event from the events queue, which carries every catalogued type for
 * any consumer: a user lifecycle event goes to the CRM; another catalogued type (login, page_published, ...) is
 * skipped on purpose, since the CRM takes user lifecycle events only. Anything else can never be forwarded and must
 * reach the DLQ, never be reported processed: a lifecycle event without its user (the receiver refuses those, so
 * it is a producer defect) or a type outside the catalogue (the receiver never queues one).
 */
export type ForwardDecision =
  | { readonly kind: 'forward'; readonly event: CrmUserEvent }
  | { readonly kind: 'skip'; readonly reason: 'not_a_user_lifecycle_event' }
  | { readonly kind: 'fail'; readonly reason: 'lifecycle_event_without_user' | 'uncatalogued_event_type' };

export function forwardDecision(event: NormalisedModyoEvent): ForwardDecision {
  if (isUserLifecycleEvent(event)) {
    const { id, ...rest } = event.user;
    return { kind: 'forward', event: { eventId: event.eventId, type: event.type, occurredAt: event.occurredAt, realmUid: event.realmUid, user: { modyoUserId: id, ...rest } } };
  }
  if (isUserLifecycleType(event.type)) return { kind: 'fail', reason: 'lifecycle_event_without_user' };
  if (!MODYO_EVENT_TYPES.has(event.type)) return { kind: 'fail', reason: 'uncatalogued_event_type' };
  return { kind: 'skip', reason: 'not_a_user_lifecycle_event' };
}

/** The CRM's event for a lifecycle event; undefined for anything the forwarder does not forward. */
export function crmUserEvent(event: NormalisedModyoEvent): CrmUserEvent | undefined {
  const decision = forwardDecision(event);
  return decision.kind === 'forward' ? decision.event : undefined;
}

export function crmAuthHeaders(credentials: CrmCredentials): Record<string, string> {
  switch (credentials.type) {
    case 'bearer':
      return { authorization: `Bearer ${credentials.token}` };
    case 'basic':
      return { authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` };
    case 'api-key':
      return { [credentials.header.toLowerCase()]: credentials.value };
  }
}
