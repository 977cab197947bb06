import * as z from 'zod';

/**
 * The normalised Modyo event: the one contract between the webhook receiver (producer) and every consumer
 * (identity provisioning, customer sync to the CRM). Both Modyo payload shapes (full log form and compact form)
 * are normalised into this before anything is queued.
 */
export const USER_LIFECYCLE_TYPES = ['user_created', 'user_updated', 'user_enabled', 'user_disabled', 'user_deleted'] as const;
export type UserLifecycleType = (typeof USER_LIFECYCLE_TYPES)[number];

/**
 * The catalogue of event types the receiver queues, in lower snake case: the ones Modyo's docs list for sites and
 * realms. A well-formed event of any other type is archived, not queued, so consumers only ever see these.
 */
export const MODYO_EVENT_TYPES: ReadonlySet<string> = new Set([
  ...USER_LIFECYCLE_TYPES,
  'login', 'logout', 'signup', 'profile_updated',
  // Realm trigger `user_login_log` (Modyo's webhook docs): a realm user signed in.
  'user_login',
  'form_response_created', 'form_response_updated',
  'page_created', 'page_deleted', 'page_published', 'page_unpublished', 'page_updated',
  'navigation_approved', 'navigation_published', 'navigation_sent_for_review', 'navigation_updated',
  'site_created', 'site_deleted', 'site_disabled', 'site_enabled', 'site_hidden', 'site_staged', 'site_visible', 'site_updated',
  'templates_approved', 'templates_sent_for_review', 'templates_updated',
  'theme_installed', 'theme_restored', 'theme_updated',
  'widget_approved', 'widget_cloned', 'widget_created', 'widget_published', 'widget_restored', 'widget_sent_for_review',
  'widget_unpublished', 'widget_updated',
]);

/** The suffix Modyo's realm trigger names carry (`user_created_log`, ...) and account-level names do not. */
const TRIGGER_SUFFIX = '_log';

/**
 * The catalogue type a snake-case event name stands for: itself, or, for a realm trigger name, the name without
 * its `_log` suffix (Modyo documents `user_created_log`, `user_updated_log`, `user_enabled_log`, `user_deleted_log`,
 * `user_disabled_log` and `user_login_log` for realms; account-level events are `user_created`, ...). Both spellings
 * name one event, so consumers see one type. A name outside the catalogue either way is returned as is.
 */
export function canonicalEventType(type: string): string {
  if (MODYO_EVENT_TYPES.has(type)) return type;
  if (type.endsWith(TRIGGER_SUFFIX)) {
    const stem = type.slice(0, -TRIGGER_SUFFIX.length);
    if (MODYO_EVENT_TYPES.has(stem)) return stem;
  }
  return type;
}

export function isUserLifecycleType(type: string): type is UserLifecycleType {
  return (USER_LIFECYCLE_TYPES as readonly string[]).includes(type);
}

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
  /** Modyo's numeric id of the realm (`realm_id` in both payload shapes), as a string; not the uid of admin API paths. */
  realmId: z.string().min(1).optional(),
  user: ModyoUser.optional(),
  /** S3 key of the raw event in the archive bucket, so a consumer can always go back to what Modyo sent. */
  archiveKey: z.string().min(1),
});
export type NormalisedModyoEvent = z.infer<typeof NormalisedModyoEvent>;

export function isUserLifecycleEvent(event: NormalisedModyoEvent): event is NormalisedModyoEvent & { type: UserLifecycleType; user: ModyoUser } {
  return isUserLifecycleType(event.type) && event.user !== undefined;
}
