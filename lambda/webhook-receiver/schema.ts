import { z } from 'zod';

/**
 * The two payload shapes Modyo's webhooks POST, as zod schemas (the CDK side turns them into the API Gateway
 * request model). Unknown extra fields are kept (loose objects): Modyo adds fields over time and the raw body is
 * archived as sent anyway.
 *
 * Modyo's public docs name only the fields that identify each shape: `trigger_uid`, `trigger_entity`,
 * `loggeable_type`, `options` (full log form) and `e_c`, `e_a`, `realm_uid`, `uid` (compact form). Every other
 * name below is our reading of the payloads, marked "undocumented" in MODYO_FIELDS, the one table to correct when a
 * real payload says otherwise.
 */

/** Largest webhook body accepted, in bytes; the WAF body-size rule on the webhook route uses the same number. */
export const WEBHOOK_MAX_BODY_BYTES = 256 * 1024;

/**
 * Where each normalised field is read from, per shape; the first name present wins (`a.b` reads a nested field).
 * Lists with more than one name are there because the docs are silent and these are the plausible spellings.
 */
export const MODYO_FIELDS = {
  full: {
    eventId: ['id'], // undocumented: the log record's id
    type: ['log_type', 'type', 'event'], // undocumented: the docs call it the "log type" the admin picks
    category: ['loggeable_type'], // documented: the entity the log is about, e.g. `Realms::User`
    actorKind: ['trigger_entity'], // documented: who caused it, e.g. `user` / `admin`
    actorId: ['trigger_uid'], // documented
    subjectId: ['loggeable_id'], // undocumented: Rails' partner of `loggeable_type`
    occurredAt: ['created_at', 'timestamp'], // undocumented
    realmUid: ['realm_uid', 'options.realm_uid'], // undocumented in this shape
    user: ['options.user'], // undocumented: {uid|id, email, username, first_name, last_name}
  },
  compact: {
    eventId: ['id', 'event_id'], // undocumented
    type: ['e_a'], // documented: action
    category: ['e_c'], // documented: category
    realmUid: ['realm_uid'], // documented
    userId: ['uid'], // documented: the user the event is about
    occurredAt: ['ts', 'timestamp', 'created_at'], // undocumented
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
  uid: ModyoId.optional(),
  id: ModyoId.optional(),
  email: z.email().optional(),
  username: z.string().min(1).max(256).optional(),
  first_name: z.string().max(256).optional(),
  last_name: z.string().max(256).optional(),
});

export const ModyoFullLogPayload = z
  .looseObject({
    id: ModyoId.optional(),
    log_type: EventName.optional(),
    type: EventName.optional(),
    event: EventName.optional(),
    trigger_uid: ModyoId,
    trigger_entity: z.string().min(1).max(128),
    loggeable_type: z.string().min(1).max(128),
    loggeable_id: ModyoId.optional(),
    options: z
      .looseObject({
        realm_uid: z.string().min(1).max(256).optional(),
        user: ModyoUserAttributes.optional(),
      })
      .optional(),
    realm_uid: z.string().min(1).max(256).optional(),
    created_at: Timestamp.optional(),
    timestamp: Timestamp.optional(),
  })
  .refine((payload) => MODYO_FIELDS.full.type.some((name) => payload[name] !== undefined), {
    path: [MODYO_FIELDS.full.type[0]],
    message: `Required: the event type (one of ${MODYO_FIELDS.full.type.join(', ')})`,
    // Also when other fields are wrong, so one answer names every missing field.
    when: (payload) => typeof payload.value === 'object' && payload.value !== null,
  });
export type ModyoFullLogPayload = z.infer<typeof ModyoFullLogPayload>;

export const ModyoCompactPayload = ModyoUserAttributes.omit({ uid: true, id: true }).extend({
  id: ModyoId.optional(),
  event_id: ModyoId.optional(),
  e_c: z.string().min(1).max(128),
  e_a: EventName,
  realm_uid: z.string().min(1).max(256).optional(),
  uid: ModyoId.optional(),
  ts: Timestamp.optional(),
  timestamp: Timestamp.optional(),
  created_at: Timestamp.optional(),
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
