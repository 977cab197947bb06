import * as z from 'zod';
import { requiredString } from '../shared/env';
import { ModyoAdminEnv } from '../shared/modyo-routes';

/**
 * Customer sync's contract (the only file of this feature lib/ imports): the profile update the CRM/CDP posts, the
 * message queued for the worker, the CRM credentials, and the limits and environment of its three functions.
 */

/** Largest profile update body accepted; the WAF body-size rule and the API model use the same number. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Seconds a caller is asked to wait before retrying when the queue is unavailable. */
export const RETRY_AFTER_SECONDS = 5;

/** POST /customer-sync/profile-updates. IAM: sqs:SendMessage on the queue (+ kms:GenerateDataKey / kms:Decrypt on its key). */
export const InboundEnv = z.object({
  /** The profile updates queue (FIFO: one realm user's updates in order). */
  PROFILE_UPDATES_QUEUE_URL: requiredString(),
});

/**
 * The worker: applies queued updates to Modyo Customers. IAM: secretsmanager:GetSecretValue on the token secret
 * (+ kms:Decrypt); dynamodb:GetItem, PutItem, UpdateItem, DeleteItem on the idempotency table; the SQS event source's.
 */
export const WorkerEnv = ModyoAdminEnv.extend({
  IDEMPOTENCY_TABLE_NAME: requiredString(),
});

/**
 * The forwarder: Modyo user events to the CRM/CDP. IAM: secretsmanager:GetSecretValue on the credentials secret
 * (+ kms:Decrypt); dynamodb:GetItem, PutItem, UpdateItem, DeleteItem on the idempotency table; the SQS event source's.
 */
export const ForwarderEnv = z.object({
  /** HTTPS URL that takes one JSON event per POST. */
  CRM_ENDPOINT_URL: requiredString(),
  /** CrmCredentials JSON. */
  CRM_CREDENTIALS_SECRET_ID: requiredString(),
  IDEMPOTENCY_TABLE_NAME: requiredString(),
});

/** Modyo realm uid and user id: plain identifiers that go into URL paths. */
const Identifier = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, "_", "." or "-", at most 64');

/** How the CRM/CDP names the realm user: at least one of Modyo's id, its own external id, the e-mail. */
export const CustomerIdentity = z
  .strictObject({
    modyoUserId: Identifier.optional(),
    externalId: z.string().min(1).max(128).optional(),
    email: z.email().max(254).optional(),
  })
  .refine((identity) => identity.modyoUserId ?? identity.externalId ?? identity.email, {
    message: 'give at least one of modyoUserId, externalId, email',
  });
export type CustomerIdentity = z.infer<typeof CustomerIdentity>;

export const CustomerProfile = z.strictObject({
  email: z.email().max(254).optional(),
  username: z.string().min(1).max(100).optional(),
  firstName: z.string().max(100).optional(),
  lastName: z.string().max(100).optional(),
});
export type CustomerProfile = z.infer<typeof CustomerProfile>;

/** Realm custom fields by their Modyo key; scalar values only. */
export const CustomFields = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a custom field key: a letter, then letters, digits or "_"'), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]))
  .refine((fields) => Object.keys(fields).length <= 50, { message: 'at most 50 custom fields' });

export const PROFILE_ACTIONS = ['upsert', 'enable', 'disable'] as const;

/** Body of `POST /customer-sync/profile-updates`, sent by the CRM/CDP. */
export const ProfileUpdateRequest = z.strictObject({
  realmUid: Identifier,
  action: z.enum(PROFILE_ACTIONS),
  user: CustomerIdentity,
  profile: CustomerProfile.optional(),
  customFields: CustomFields.optional(),
});
export type ProfileUpdateRequest = z.infer<typeof ProfileUpdateRequest>;

/** What the inbound API queues for the worker. */
export const QueuedProfileUpdate = z.strictObject({
  schemaVersion: z.literal(1),
  /**
   * The id answered to the caller (`<clientId>:<Idempotency-Key>` when it sent a key, else a fresh id); the worker's
   * idempotency key.
   */
  requestId: z.string().min(1).max(400),
  receivedAt: z.iso.datetime({ offset: true }),
  /** The machine client that sent it (the token's client_id), for audit. */
  clientId: z.string().optional(),
  update: ProfileUpdateRequest,
});
export type QueuedProfileUpdate = z.infer<typeof QueuedProfileUpdate>;

/** Idempotency-Key a caller may send so that its own retries are applied once. */
export const IdempotencyKey = z.string().regex(/^[A-Za-z0-9_.:-]{8,128}$/, '8 to 128 letters, digits, "_", ".", ":" or "-"');

/** Secrets Manager JSON secret with the CRM/CDP credentials for the forwarder. */
export const CrmCredentials = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('bearer'), token: z.string().min(1) }),
  z.strictObject({ type: z.literal('basic'), username: z.string().min(1), password: z.string().min(1) }),
  z.strictObject({ type: z.literal('api-key'), header: z.string().regex(/^[A-Za-z0-9-]{1,64}$/), value: z.string().min(1) }),
]);
export type CrmCredentials = z.infer<typeof CrmCredentials>;
