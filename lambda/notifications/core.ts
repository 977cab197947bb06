/**
 * The pure part of notifications: plan the records of an accepted request, decide what an idempotent replay
 * answers, shape the API answers, and decide what a Modyo failure means for a delivery. No AWS, no HTTP; the
 * clock and the random id come in as arguments.
 */
import { createHash } from 'node:crypto';
import type { Channel, Content, NotificationRequest, Template } from './contract';
import { type Caller, ownerIdOf } from '../shared/caller';

export type NotificationStatus = 'accepting' | 'accepted';
/** `queued` until the first try; `retrying` after a retryable failure; `sent` and `failed` are final. */
export type DeliveryStatus = 'queued' | 'retrying' | 'sent' | 'failed';

export interface RecipientDelivery {
  readonly deliveryId: string;
  readonly recipientId: string;
}

export interface NotificationRecord {
  readonly notificationId: string;
  /** Who created it (ownerIdOf: a machine client's id, or `user:<sub>`): it reads the whole notification. */
  readonly clientId: string;
  readonly realmUid: string;
  readonly channel: Channel;
  readonly template?: Template;
  readonly content?: Content;
  /** Hash of the validated request, to tell a replay from a reuse of the idempotency key. */
  readonly requestHash: string;
  readonly idempotencyKey?: string;
  /** `accepting` until every message is queued; a replay with the same key finishes an interrupted accept. */
  readonly status: NotificationStatus;
  readonly deliveries: readonly RecipientDelivery[];
  readonly createdAt: string;
  /** Epoch seconds: DynamoDB TTL, which also bounds how long an idempotency key is remembered. */
  readonly expiresAt: number;
}

export interface DeliveryError {
  /** HTTP status from Modyo; 0 when no answer came. */
  readonly status: number;
  readonly reason: string;
}

export interface DeliveryRecord {
  readonly notificationId: string;
  readonly deliveryId: string;
  readonly recipientId: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** An attempt in flight holds the delivery until then (epoch ms), so a duplicate message does not send twice. */
  readonly leaseUntil?: number;
  readonly lastAttemptAt?: string;
  readonly sentAt?: string;
  readonly failedAt?: string;
  readonly modyoMessageId?: string;
  readonly lastError?: DeliveryError;
  readonly expiresAt: number;
}

/** A stable UUID-shaped id from a hash, so the same inputs always name the same record. */
function hashedId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** JSON with object keys sorted, so equal requests hash equally whatever the order their fields came in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function requestHash(request: NotificationRequest): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

/** With an idempotency key the notification id follows from (client, key): a replay finds the same record. */
export function notificationIdFor(clientId: string, idempotencyKey: string): string {
  return hashedId('notification', clientId, idempotencyKey);
}

export function deliveryIdFor(notificationId: string, recipientId: string): string {
  return hashedId('delivery', notificationId, recipientId);
}

export interface PlanInput {
  readonly request: NotificationRequest;
  readonly clientId: string;
  readonly idempotencyKey?: string;
  readonly now: Date;
  /** A fresh random id, used only when there is no idempotency key. */
  readonly newId: () => string;
  readonly retentionDays: number;
}

export interface NotificationPlan {
  readonly notification: NotificationRecord;
  readonly deliveries: readonly DeliveryRecord[];
}

export function planNotification(input: PlanInput): NotificationPlan {
  const { request, clientId, idempotencyKey, now } = input;
  const notificationId = idempotencyKey === undefined ? input.newId() : notificationIdFor(clientId, idempotencyKey);
  const createdAt = now.toISOString();
  const expiresAt = Math.floor(now.getTime() / 1000) + input.retentionDays * 24 * 60 * 60;
  const recipients = request.recipients.map((recipientId) => ({ deliveryId: deliveryIdFor(notificationId, recipientId), recipientId }));
  const notification: NotificationRecord = {
    notificationId,
    clientId,
    realmUid: request.realmUid,
    channel: request.channel,
    ...(request.template && { template: request.template }),
    ...(request.content && { content: request.content }),
    requestHash: requestHash(request),
    ...(idempotencyKey !== undefined && { idempotencyKey }),
    status: 'accepting',
    deliveries: recipients,
    createdAt,
    expiresAt,
  };
  const deliveries = recipients.map(
    ({ deliveryId, recipientId }): DeliveryRecord => ({ notificationId, deliveryId, recipientId, status: 'queued', attempts: 0, createdAt, updatedAt: createdAt, expiresAt }),
  );
  return { notification, deliveries };
}

/**
 * What a request whose notification id already exists gets. Same body: the first answer (`replay`), after
 * finishing the queueing if the first accept was interrupted (`resume`). Another body under the same key: `conflict`.
 */
export function replayDecision(existing: NotificationRecord, incoming: NotificationRecord): 'replay' | 'resume' | 'conflict' {
  if (existing.clientId !== incoming.clientId || existing.requestHash !== incoming.requestHash) return 'conflict';
  return existing.status === 'accepted' ? 'replay' : 'resume';
}

/** The 202 answer; built from the record alone, so a replay answers exactly the same. */
export function acceptedBody(notification: NotificationRecord) {
  return {
    notificationId: notification.notificationId,
    deliveries: notification.deliveries.map(({ deliveryId, recipientId }) => ({ deliveryId, recipientId })),
  };
}

/**
 * The GET answer: the notification without its content (personal data stays in the table) and each delivery's
 * state; with `onlyRecipient`, that recipient's delivery alone.
 */
export function notificationView(notification: NotificationRecord, deliveries: readonly DeliveryRecord[], onlyRecipient?: string) {
  const byId = new Map(deliveries.map((delivery) => [delivery.deliveryId, delivery]));
  const shown = onlyRecipient === undefined ? notification.deliveries : notification.deliveries.filter((delivery) => delivery.recipientId === onlyRecipient);
  return {
    notificationId: notification.notificationId,
    realmUid: notification.realmUid,
    channel: notification.channel,
    ...(notification.template && { templateId: notification.template.id }),
    status: notification.status,
    createdAt: notification.createdAt,
    deliveries: shown.map(({ deliveryId, recipientId }) => {
      const delivery = byId.get(deliveryId);
      if (!delivery) return { deliveryId, recipientId, status: 'queued' as DeliveryStatus, attempts: 0 };
      return {
        deliveryId,
        recipientId,
        status: delivery.status,
        attempts: delivery.attempts,
        createdAt: delivery.createdAt,
        updatedAt: delivery.updatedAt,
        ...(delivery.lastAttemptAt && { lastAttemptAt: delivery.lastAttemptAt }),
        ...(delivery.sentAt && { sentAt: delivery.sentAt }),
        ...(delivery.failedAt && { failedAt: delivery.failedAt }),
        ...(delivery.modyoMessageId && { modyoMessageId: delivery.modyoMessageId }),
        ...(delivery.lastError && { error: delivery.lastError }),
      };
    }),
  };
}

/**
 * What a caller may see of a notification: all of it when they created it; a realm user the notification with
 * their own delivery only when it is addressed to them in their realm (the other recipients are other users);
 * otherwise nothing, which the API answers exactly like an unknown id.
 */
export function readAccess(caller: Caller, notification: Pick<NotificationRecord, 'clientId' | 'realmUid' | 'deliveries'>): { readonly recipientId?: string } | undefined {
  if (notification.clientId === ownerIdOf(caller)) return {};
  if (caller.kind === 'user' && caller.modyo && caller.modyo.realmUid === notification.realmUid) {
    const { userId } = caller.modyo;
    if (notification.deliveries.some((delivery) => delivery.recipientId === userId)) return { recipientId: userId };
  }
  return undefined;
}

/**
 * Whether a failed send is worth another try. No answer, 401/403 (a credential or permission problem of ours,
 * fixed by an SRE and then redriven), 408, 425, 429 and 5xx: retry. Any other 4xx (409 is Modyo's "operation
 * failed", 404/422 an unknown user or template): the message itself is wrong, retrying cannot help.
 */
export function isRetryableFailure(status: number): boolean {
  return status === 0 || status === 401 || status === 403 || status === 408 || status === 425 || status === 429 || status >= 500;
}

export type ModyoErrorItem = string | { field: string; messages: readonly string[] };

/** Modyo's `errors` as one short line for the record (never logged: it may quote the user's data). */
export function failureReason(status: number, errors: readonly ModyoErrorItem[], fallback: string): string {
  const parts = errors.map((item) => (typeof item === 'string' ? item : `${item.field}: ${item.messages.join(', ')}`));
  const text = parts.length > 0 ? parts.join('; ') : fallback;
  const line = status === 0 ? text : `${status}: ${text}`;
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}

/**
 * The body sent to the Modyo messaging route for one delivery. Modyo publishes no "send one message" contract,
 * so this shape (snake_case like the rest of the admin API) is ours; `external_id` lets Modyo or a proxy drop
 * duplicates if it supports that.
 */
export function modyoMessageBody(notification: NotificationRecord, delivery: DeliveryRecord) {
  return {
    realm_uid: notification.realmUid,
    channel: notification.channel,
    user_id: delivery.recipientId,
    external_id: delivery.deliveryId,
    ...(notification.template && { template_id: notification.template.id, variables: notification.template.variables ?? {} }),
    ...(notification.content && {
      ...(notification.content.subject !== undefined && { subject: notification.content.subject }),
      body: notification.content.body,
      ...(notification.content.url !== undefined && { url: notification.content.url }),
    }),
  };
}

/** Modyo's id of the message, when its answer carries one (`id`, or `id` of the one object it wraps). */
export function modyoMessageIdOf(response: unknown): string | undefined {
  if (response === null || typeof response !== 'object') return undefined;
  const { id } = response as { id?: unknown };
  if (typeof id === 'string' || typeof id === 'number') return String(id);
  const values = Object.values(response);
  if (values.length === 1) return modyoMessageIdOf(values[0]);
  return undefined;
}
