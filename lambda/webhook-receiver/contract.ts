import * as z from 'zod';
import { requiredString, wholeNumber } from '../shared/env';

/**
 * The webhook receiver's contract (the only file of this handler lib/ imports): the payloads Modyo POSTs, the
 * headers, limits and environment of the function.
 *
 * The two payload shapes Modyo's webhooks POST, as zod schemas (the CDK side turns them into the API Gateway
 * request model). Unknown extra fields are kept (loose objects): Modyo adds fields over time and the raw body is
 * archived as sent anyway.
 *
 * Modyo's webhook docs (core/webhooks.md; ../shared/reference/modyo.md "More facts") list each shape's fields:
 * - full (an admin or platform action): id, account_id, site_id, user_id, type, user_type, value_1..3, request_ip,
 *   request_user_agent, loggeable_id, loggeable_type, options, created_at, space_id, log_type_id, realm_id,
 *   trigger_uid, trigger_name, trigger_entity, trigger_entity_id, trigger_entry_uuid, trigger_content_uuid,
 *   trigger_entry_space_uid, plus `automated: true` when the platform acted on its own;
 * - compact (an end user on a site): ip, ua, e_c, e_a, uid, idsite, account_id, realm_id, realm_uid, plus
 *   origination ids.
 * MODYO_FIELDS reads the documented names first; the names marked "undocumented" are kept as fallbacks from before
 * the docs were read. A documented field may come as null (a log record serialises every column), so every
 * optional field here accepts null, which reads as absent.
 */

/** Largest webhook body accepted, in bytes; the WAF body-size rule on the webhook route uses the same number. */
export const WEBHOOK_MAX_BODY_BYTES = 256 * 1024;

/**
 * Where each normalised field is read from, per shape; the first name present (and not null) wins (`a.b` reads a
 * nested field).
 */
export const MODYO_FIELDS = {
  full: {
    eventId: ['id'], // documented: the log record's id
    // documented: `trigger_name` is the trigger, e.g. `user_created_log` for a realm; `type` is documented too;
    // `log_type` and `event` are undocumented fallbacks.
    type: ['trigger_name', 'type', 'log_type', 'event'],
    category: ['loggeable_type'], // documented: the entity the log is about, e.g. `Realms::User`
    actorKind: ['trigger_entity'], // documented: who caused it, e.g. `user` / `admin`
    actorId: ['trigger_uid'], // documented
    subjectId: ['loggeable_id'], // documented: the id of the `loggeable_type` entity
    occurredAt: ['created_at', 'timestamp'], // `created_at` documented; `timestamp` undocumented fallback
    realmId: ['realm_id'], // documented: the realm's numeric id
    realmUid: ['realm_uid', 'options.realm_uid'], // undocumented in this shape (the docs give `realm_id`)
    user: ['options.user'], // undocumented: {uid|id, email, username, first_name, last_name}
  },
  compact: {
    eventId: ['id', 'event_id'], // undocumented: the docs list no id for this shape
    type: ['e_a'], // documented: action
    category: ['e_c'], // documented: category
    realmId: ['realm_id'], // documented
    realmUid: ['realm_uid'], // documented
    userId: ['uid'], // documented: the user the event is about
    occurredAt: ['ts', 'timestamp', 'created_at'], // undocumented: the docs list no time for this shape
    user: [''], // undocumented: email, username, first_name, last_name at the top level ('' = the payload itself)
  },
} as const;

const ModyoId = z.union([z.string().min(1).max(256), z.number().int().nonnegative()]);
/** Epoch milliseconds of a numeric timestamp: seconds, or milliseconds when >= 1e12. */
export function epochMilliseconds(value: number): number {
  return value >= 1e12 ? value : value * 1000;
}

/** Years 0000 to 9999: what an ISO 8601 date-time without an expanded (+/-YYYYYY) year can name. */
const EARLIEST_MS = Date.parse('0000-01-01T00:00:00.000Z');
const LATEST_MS = Date.parse('9999-12-31T23:59:59.999Z');
const inYearRange = (ms: number): boolean => ms >= EARLIEST_MS && ms <= LATEST_MS; // false for NaN

// The bounds are refinements so the API Gateway request model (JSON Schema) stays as it is; the function checks them.
const Timestamp = z.union([
  z.string().refine((value) => inYearRange(Date.parse(value)), 'must be a date-time in the years 0000 to 9999'),
  z.number().nonnegative().refine((value) => inYearRange(epochMilliseconds(value)), 'must be epoch seconds or milliseconds in the years 0000 to 9999'),
]);
const EventName = z.string().min(1).max(128);

/** User attributes, when the payload carries them (personal data: queued for the consumers, never logged). */
export const ModyoUserAttributes = z.looseObject({
  uid: ModyoId.nullish(),
  id: ModyoId.nullish(),
  email: z.email().nullish(),
  username: z.string().min(1).max(256).nullish(),
  first_name: z.string().max(256).nullish(),
  last_name: z.string().max(256).nullish(),
});

const present = (value: unknown): boolean => value !== undefined && value !== null;

export const ModyoFullLogPayload = z
  .looseObject({
    id: ModyoId.nullish(),
    trigger_name: EventName.nullish(),
    type: EventName.nullish(),
    log_type: EventName.nullish(),
    event: EventName.nullish(),
    // Required (they identify the shape) but null when the platform acted on its own (`automated: true`).
    trigger_uid: ModyoId.nullable(),
    trigger_entity: z.string().min(1).max(128).nullable(),
    loggeable_type: z.string().min(1).max(128),
    loggeable_id: ModyoId.nullish(),
    options: z
      .looseObject({
        realm_uid: z.string().min(1).max(256).nullish(),
        user: ModyoUserAttributes.nullish(),
      })
      .nullish(),
    realm_id: ModyoId.nullish(),
    realm_uid: z.string().min(1).max(256).nullish(),
    created_at: Timestamp.nullish(),
    timestamp: Timestamp.nullish(),
  })
  .refine((payload) => MODYO_FIELDS.full.type.some((name) => present(payload[name])), {
    path: [MODYO_FIELDS.full.type[0]],
    message: `Required: the event type (one of ${MODYO_FIELDS.full.type.join(', ')})`,
    // Also when other fields are wrong, so one answer names every missing field.
    when: (payload) => typeof payload.value === 'object' && payload.value !== null,
  });
export type ModyoFullLogPayload = z.infer<typeof ModyoFullLogPayload>;

export const ModyoCompactPayload = ModyoUserAttributes.omit({ uid: true, id: true }).extend({
  id: ModyoId.nullish(),
  event_id: ModyoId.nullish(),
  e_c: z.string().min(1).max(128),
  e_a: EventName,
  realm_id: ModyoId.nullish(),
  realm_uid: z.string().min(1).max(256).nullish(),
  uid: ModyoId.nullish(),
  ts: Timestamp.nullish(),
  timestamp: Timestamp.nullish(),
  created_at: Timestamp.nullish(),
});
export type ModyoCompactPayload = z.infer<typeof ModyoCompactPayload>;

/** Either shape: the request model of the webhook route. */
export const ModyoWebhookPayload = z.union([ModyoFullLogPayload, ModyoCompactPayload]);

/** The webhook secret in Secrets Manager (JSON). With `signingKey`, every delivery must also be signed. */
export const WebhookSecret = z.object({
  sharedSecret: z.string().min(16),
  signingKey: z.string().min(16).optional(),
});
export type WebhookSecret = z.infer<typeof WebhookSecret>;

/** The 202 answer. */
export const WebhookAccepted = z.object({
  eventId: z.string(),
  duplicate: z.boolean(),
  /** False for an event type we do not know yet: archived for replay, not queued. */
  queued: z.boolean(),
});
export type WebhookAccepted = z.infer<typeof WebhookAccepted>;

/** The headers Modyo's webhook configuration sends: the shared secret, and an optional HMAC signature with its time. */
export const WEBHOOK_HEADERS = {
  secret: 'x-connect-webhook-secret',
  /** Hex HMAC-SHA256 of `timestamp.body` with the secret's signingKey, optionally prefixed `sha256=`. */
  signature: 'x-connect-signature',
  /** Unix seconds of the signature. */
  timestamp: 'x-connect-timestamp',
} as const;

/** The receiver's fixed limits (no environment sets them; redeploy to change), and the defaults the stack sets. */
export const WEBHOOK_LIMITS = {
  /** REFRESH_INTERVAL_SECONDS as the stack sets it. */
  secretRefreshSeconds: 5,
  /** HASH_DEDUP_SECONDS as the stack sets it. */
  hashDedupSeconds: 300,
  /** Longer than the function's timeout: after it, a crashed attempt may be redone. */
  inProgressLockSeconds: 60,
  /** How long a completed delivery with Modyo's own id is recognised as a duplicate. */
  dedupRetentionDays: 7,
} as const;

/**
 * The receiver's environment. IAM of each: secretsmanager:GetSecretValue on the secret (+ kms:Decrypt); s3:PutObject
 * on <bucket>/raw/* (+ kms:GenerateDataKey); sqs:SendMessage on both queues (+ the key's GenerateDataKey, Decrypt);
 * dynamodb:GetItem, PutItem, UpdateItem, DeleteItem on the idempotency table.
 */
export const WebhookReceiverEnv = z.object({
  /** {"sharedSecret", "signingKey"?} (WebhookSecret). */
  WEBHOOK_SECRET_ID: requiredString(),
  /** Raw bodies as sent, `raw/type=<type>/dt=<day>/<eventId>.json`. */
  ARCHIVE_BUCKET_NAME: requiredString(),
  /** Every normalised event of a known type. */
  EVENTS_QUEUE_URL: requiredString(),
  /** User lifecycle events, also (identity provisioning). */
  IDENTITY_QUEUE_URL: requiredString(),
  /** Deliveries seen (partition key `id`, TTL `expiration`). */
  IDEMPOTENCY_TABLE_NAME: requiredString(),
  /**
   * How long a payload without an id (known by the hash of its body, and possibly a genuine repeat) is taken for a
   * duplicate: long enough for Modyo's retries only.
   */
  HASH_DEDUP_SECONDS: wholeNumber(1),
  /** Least time between two forced re-reads of the secret after a failed check (rotation without a deploy). */
  REFRESH_INTERVAL_SECONDS: wholeNumber(0),
});
