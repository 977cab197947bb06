import { z } from 'zod';

/**
 * The normalised Modyo event: the one contract between the webhook receiver (producer) and every consumer
 * (identity provisioning, customer sync to the CRM). Both Modyo payload shapes (full log form and compact form)
 * are normalised into this before anything is queued.
 */
export const USER_LIFECYCLE_TYPES = ['user_created', 'user_updated', 'user_enabled', 'user_disabled', 'user_deleted'] as const;
export type UserLifecycleType = (typeof USER_LIFECYCLE_TYPES)[number];

export const ModyoUser = z.object({
  /** Modyo's id of the realm user (or admin user for account-level events). */
  id: z.string().min(1),
  email: z.string().email().optional(),
  username: z.string().min(1).optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
});
export type ModyoUser = z.infer<typeof ModyoUser>;

export const NormalisedModyoEvent = z.object({
  schemaVersion: z.literal(1),
  /** Id of the event: from Modyo's own id when the payload has one; else the raw body's hash plus the time of its first delivery, so Modyo's retries share it and a later identical event does not. */
  eventId: z.string().min(1),
  /** Event type, lower snake case: `user_created`, `login`, `signup`, `form_submitted`, ... */
  type: z.string().min(1),
  /** Entity or category the event is about (`realm_user`, `user`, `site`, ...), lower snake case. */
  category: z.string().min(1),
  /** Which payload shape Modyo sent. */
  shape: z.enum(['full', 'compact']),
  occurredAt: z.string().datetime({ offset: true }),
  receivedAt: z.string().datetime({ offset: true }),
  realmUid: z.string().min(1).optional(),
  user: ModyoUser.optional(),
  /** S3 key of the raw event in the archive bucket, so a consumer can always go back to what Modyo sent. */
  archiveKey: z.string().min(1),
});
export type NormalisedModyoEvent = z.infer<typeof NormalisedModyoEvent>;

export function isUserLifecycleEvent(event: NormalisedModyoEvent): event is NormalisedModyoEvent & { type: UserLifecycleType; user: ModyoUser } {
  return (USER_LIFECYCLE_TYPES as readonly string[]).includes(event.type) && event.user !== undefined;
}
