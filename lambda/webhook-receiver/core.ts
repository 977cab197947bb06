/**
 * The pure part of the webhook receiver: authenticate, parse both Modyo shapes, normalise, name things.
 * No AWS SDK, no HTTP, no clock: the time comes in as an argument.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { HttpError, validated } from '../shared/http';
import { canonicalEventType, isUserLifecycleType, MODYO_EVENT_TYPES, type ModyoUser, NormalisedModyoEvent } from '../shared/modyo-events';
import { epochMilliseconds, MODYO_FIELDS, ModyoCompactPayload, ModyoFullLogPayload, type WebhookSecret } from './contract';

export type Shape = NormalisedModyoEvent['shape'];

/** The event types we queue: the catalogue of the normalised event's contract (lambda/shared/modyo-events.ts). */
export const KNOWN_EVENT_TYPES: ReadonlySet<string> = MODYO_EVENT_TYPES;

/**
 * Unknown types are accepted and archived, not rejected: the admin chooses in Modyo's console which log types fire
 * the webhook, so an unknown type is a real Modyo event we have not catalogued yet (a new Modyo release). Answering
 * 422 would lose it (Modyo documents no replay); archived, it can be replayed once the catalogue knows it.
 * It is not queued, so consumers only ever see types in the catalogue.
 */
export function isKnownEventType(type: string): boolean {
  return KNOWN_EVENT_TYPES.has(type);
}

// ---------------------------------------------------------------------------------------------------------------
// Authentication

export interface DeliveryCredentials {
  /** The shared-secret header, as sent. */
  readonly secret?: string;
  /** The signature header: hex HMAC-SHA256, optionally prefixed `sha256=`. */
  readonly signature?: string;
  /** The timestamp header: Unix seconds. */
  readonly timestamp?: string;
}

export const SIGNATURE_WINDOW_SECONDS = 5 * 60;

/** Codes of failures that a just-rotated secret could explain: worth one fresh read of the secret. */
export const CODES_WORTH_A_REFRESH: ReadonlySet<string> = new Set(['invalid_webhook_secret', 'invalid_signature', 'missing_signature']);

/**
 * Checks the shared secret (always) and the signature (when the secret has a signing key). Returns the reason
 * for rejecting, or undefined when the delivery is authentic.
 */
export function authenticationFailure(
  sent: DeliveryCredentials,
  rawBody: Buffer,
  secret: WebhookSecret,
  nowMs: number,
  windowSeconds = SIGNATURE_WINDOW_SECONDS,
): HttpError | undefined {
  if (!sent.secret) return new HttpError(401, 'missing_webhook_secret', 'The webhook secret header is missing');
  if (!sameSecret(sent.secret, secret.sharedSecret)) return new HttpError(401, 'invalid_webhook_secret', 'The webhook secret is not valid');
  if (secret.signingKey === undefined) return undefined;
  if (!sent.signature) return new HttpError(401, 'missing_signature', 'This webhook must be signed: the signature header is missing');
  if (!sent.timestamp || !/^\d{1,12}$/.test(sent.timestamp)) {
    return new HttpError(401, 'invalid_timestamp', 'The timestamp header must be Unix seconds');
  }
  if (Math.abs(nowMs / 1000 - Number(sent.timestamp)) > windowSeconds) {
    return new HttpError(401, 'stale_timestamp', `The timestamp is more than ${windowSeconds} seconds away from now`);
  }
  if (!sameHex(sent.signature.replace(/^sha256=/i, ''), signatureFor(secret.signingKey, sent.timestamp, rawBody))) {
    return new HttpError(401, 'invalid_signature', 'The signature does not match the body');
  }
  return undefined;
}

/** HMAC-SHA256 over `timestamp + "." + rawBody`, hex. */
export function signatureFor(signingKey: string, timestamp: string, rawBody: Buffer): string {
  return createHmac('sha256', signingKey).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** Constant time whatever the lengths: compares digests, which are always the same length. */
function sameSecret(sent: string, expected: string): boolean {
  return timingSafeEqual(sha256(Buffer.from(sent, 'utf8')), sha256(Buffer.from(expected, 'utf8')));
}

function sameHex(sent: string, expected: string): boolean {
  if (!/^[0-9a-f]+$/i.test(sent) || sent.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(sent.toLowerCase(), 'hex'), Buffer.from(expected, 'hex'));
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing both shapes

/** What the receiver learns from a payload, whatever its shape. */
export interface ParsedWebhook {
  readonly shape: Shape;
  /** Modyo's own id of the event, when the payload carries one. */
  readonly modyoId?: string;
  readonly type: string;
  readonly category: string;
  /** ISO 8601, when the payload says when it happened. */
  readonly occurredAt?: string;
  readonly realmUid?: string;
  readonly realmId?: string;
  readonly user?: ModyoUser;
}

/** Tells the shape by the fields the docs name for each; a body with neither is a 400 naming them. */
export function detectShape(payload: unknown): Shape {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new HttpError(400, 'validation_failed', 'Request body must be a JSON object', [{ field: '(body)', message: 'Expected an object' }]);
  }
  if ('e_c' in payload || 'e_a' in payload) return 'compact';
  if ('trigger_uid' in payload || 'trigger_entity' in payload || 'trigger_name' in payload || 'loggeable_type' in payload) return 'full';
  throw new HttpError(400, 'unknown_payload_shape', 'Body is neither a Modyo log payload nor a compact event', [
    { field: 'loggeable_type', message: 'Required for the full log form (with trigger_entity, trigger_uid)' },
    { field: 'e_c', message: 'Required for the compact form (with e_a)' },
  ]);
}

/** Validates the payload against its shape's schema (400 naming each bad field) and maps it through MODYO_FIELDS. */
export function parseModyoWebhook(payload: unknown): ParsedWebhook {
  const shape = detectShape(payload);
  const read = shape === 'full' ? fromFullLog(validated(ModyoFullLogPayload, payload)) : fromCompact(validated(ModyoCompactPayload, payload));
  // A realm trigger name (`user_created_log`) and its account-level spelling (`user_created`) are one event type.
  const parsed = { ...read, type: canonicalEventType(read.type) };
  if (isUserLifecycleType(parsed.type) && parsed.user === undefined) {
    const field = shape === 'full' ? MODYO_FIELDS.full.subjectId[0] : MODYO_FIELDS.compact.userId[0];
    throw new HttpError(400, 'validation_failed', 'Request does not match the schema', [{ field, message: `Required for ${parsed.type}: the user's id` }]);
  }
  return parsed;
}

type Fields = Record<string, unknown>;

function fromFullLog(payload: ModyoFullLogPayload): ParsedWebhook {
  const fields = MODYO_FIELDS.full;
  const attributes = first(payload, fields.user) as Fields | undefined;
  const category = String(first(payload, fields.category));
  // Whose event it is: the logged entity when it is a user (an admin disabling a realm user), else the one who
  // triggered it when that is a user (a user logging in). Undocumented: see MODYO_FIELDS.
  const subjectId = first(payload, fields.subjectId);
  const userId =
    attributes?.uid ?? attributes?.id ?? (namesAUser(category) ? subjectId : undefined) ?? (namesAUser(String(first(payload, fields.actorKind))) ? first(payload, fields.actorId) : undefined);
  return {
    shape: 'full',
    modyoId: optionalString(first(payload, fields.eventId)),
    type: eventName(String(first(payload, fields.type)), fields.type[0]),
    category: eventName(category, fields.category[0]),
    occurredAt: isoTime(payload, fields.occurredAt),
    realmUid: optionalString(first(payload, fields.realmUid)),
    realmId: optionalString(first(payload, fields.realmId)),
    user: userFrom(userId, attributes),
  };
}

function fromCompact(payload: ModyoCompactPayload): ParsedWebhook {
  const fields = MODYO_FIELDS.compact;
  return {
    shape: 'compact',
    modyoId: optionalString(first(payload, fields.eventId)),
    type: eventName(String(first(payload, fields.type)), fields.type[0]),
    category: eventName(String(first(payload, fields.category)), fields.category[0]),
    occurredAt: isoTime(payload, fields.occurredAt),
    realmUid: optionalString(first(payload, fields.realmUid)),
    realmId: optionalString(first(payload, fields.realmId)),
    user: userFrom(first(payload, fields.userId), first(payload, fields.user) as Fields),
  };
}

function namesAUser(entity: string): boolean {
  return /user/i.test(entity) && !/admin/i.test(entity);
}

function userFrom(id: unknown, attributes: Fields | undefined): ModyoUser | undefined {
  if (id === undefined || id === null || id === '') return undefined;
  const user: ModyoUser = { id: String(id) };
  if (typeof attributes?.email === 'string') user.email = attributes.email;
  if (typeof attributes?.username === 'string') user.username = attributes.username;
  if (typeof attributes?.first_name === 'string') user.firstName = attributes.first_name;
  if (typeof attributes?.last_name === 'string') user.lastName = attributes.last_name;
  return user;
}

/** The first present value among the table's field names (`a.b` is nested; '' is the payload itself). */
function first(payload: Fields, names: readonly string[]): unknown {
  return firstNamed(payload, names)?.value;
}

function firstNamed(payload: Fields, names: readonly string[]): { name: string; value: unknown } | undefined {
  for (const name of names) {
    const value = name === '' ? payload : name.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Fields)[key] : undefined), payload);
    if (value !== undefined && value !== null) return { name, value };
  }
  return undefined;
}

function optionalString(value: unknown): string | undefined {
  return value === undefined ? undefined : String(value);
}

/**
 * Lower snake case (`User created`, `userCreated`, `Realms::User` → `user_created`, `user_created`, `realms_user`),
 * also what makes a type safe as an S3 key segment.
 */
export function snakeCase(value: string): string {
  return value
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

function eventName(value: string, field: string): string {
  const name = snakeCase(value);
  if (!name) throw new HttpError(400, 'validation_failed', 'Request does not match the schema', [{ field, message: 'Must contain letters or digits' }]);
  return name;
}

/**
 * ISO 8601 from the first of the time fields present: a date-time string or epoch seconds / milliseconds. The
 * schema already bounds it to the years 0000-9999; anything it let through that has no ISO form is still a 400
 * naming the field, never a 500.
 */
function isoTime(payload: Fields, names: readonly string[]): string | undefined {
  const found = firstNamed(payload, names);
  if (found === undefined) return undefined;
  const ms = typeof found.value === 'number' ? epochMilliseconds(found.value) : Date.parse(String(found.value));
  const iso = Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : undefined; // false for NaN; past it Date throws
  if (iso === undefined || !/^\d{4}-/.test(iso)) {
    throw new HttpError(400, 'validation_failed', 'Request does not match the schema', [{ field: found.name, message: 'Must be a date-time in the years 0000 to 9999' }]);
  }
  return iso;
}

// ---------------------------------------------------------------------------------------------------------------
// Identity, archive key, normalised event

/**
 * A delivery's key, the same on every retry: Modyo's id when the payload has one (kept readable when it is a
 * plain token, hashed otherwise so it is always safe in keys), else the SHA-256 of the raw body.
 */
export function eventIdFor(parsed: Pick<ParsedWebhook, 'modyoId' | 'shape'>, rawBody: Buffer): string {
  if (parsed.modyoId === undefined) return `sha256-${sha256(rawBody).toString('hex')}`;
  if (/^[A-Za-z0-9_-]{1,64}$/.test(parsed.modyoId)) return `modyo-${parsed.shape}-${parsed.modyoId}`;
  return `modyo-${parsed.shape}-${sha256(Buffer.from(parsed.modyoId, 'utf8')).toString('hex')}`;
}

/** How long a delivery is recognised as a repeat. */
export interface DedupeWindows {
  /** For Modyo's own ids, which name one event for good. */
  readonly modyoIdSeconds: number;
  /**
   * For body hashes: only Modyo's retry window. The compact shape carries no id or time, so the same body
   * later is a new, real event (a second logout; a user disabled again) and must not be dropped.
   */
  readonly bodyHashSeconds: number;
}

export interface DeliveryIdentity {
  /** The ledger key, the same on every retry (`eventIdFor`). */
  readonly key: string;
  /**
   * The event id to give the delivery if this is its first claim. Modyo's id is the key itself. A body hash is
   * not unique per event, so its event id is the hash and the time of the first claim: retries within the window
   * get the id of that first claim back from the ledger, and a later genuine repeat gets a new one, so the
   * consumers' idempotency and FIFO deduplication do not drop it either.
   */
  readonly eventId: string;
  readonly retainSeconds: number;
}

export function deliveryIdentity(parsed: Pick<ParsedWebhook, 'modyoId' | 'shape'>, rawBody: Buffer, nowMs: number, windows: DedupeWindows): DeliveryIdentity {
  const key = eventIdFor(parsed, rawBody);
  return parsed.modyoId === undefined
    ? { key, eventId: `${key}-${Math.floor(nowMs)}`, retainSeconds: windows.bodyHashSeconds }
    : { key, eventId: key, retainSeconds: windows.modyoIdSeconds };
}

/**
 * `raw/type=<type>/dt=YYYY-MM-DD/<eventId>.json`, partitioned by the day the event happened (falling back to the
 * day it was received), so a retry of the same delivery overwrites the same object.
 */
export function archiveKeyFor(type: string, day: string, eventId: string): string {
  return `raw/type=${type}/dt=${day.slice(0, 10)}/${eventId}.json`;
}

export function normalise(parsed: ParsedWebhook, eventId: string, receivedAt: string): NormalisedModyoEvent {
  const occurredAt = parsed.occurredAt ?? receivedAt;
  // What does not fit the consumers' contract is a 400 naming the field (as normalised), never a 500.
  return validated(NormalisedModyoEvent, {
    schemaVersion: 1,
    eventId,
    type: parsed.type,
    category: parsed.category,
    shape: parsed.shape,
    occurredAt,
    receivedAt,
    ...(parsed.realmUid === undefined ? {} : { realmUid: parsed.realmUid }),
    ...(parsed.realmId === undefined ? {} : { realmId: parsed.realmId }),
    ...(parsed.user === undefined ? {} : { user: parsed.user }),
    archiveKey: archiveKeyFor(parsed.type, occurredAt, eventId),
  });
}
