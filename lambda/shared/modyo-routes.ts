/**
 * The routes of the Modyo admin API and the environment every function calling it reads. Pure (zod only): the stack
 * imports it to check the configured routes at synth with the handlers' own parser.
 */
import * as z from 'zod';
import { NOT_FAST, requiredString, withFastParse } from './env';

/**
 * Routes of the admin API, with `{realm_uid}` / `{user_id}` placeholders. Modyo documents the realm paths
 * `/api/admin/customers/{realm_uid}/forms` and `.../users/{user_id}/submissions`, and says realm users can be
 * created, updated and deactivated, but the exact user routes are NOT published by Modyo: set them per account
 * from its Swagger catalogue (`/api/admin/docs`). The defaults follow the documented realm paths.
 */
export interface ModyoAdminRoutes {
  /** GET: realm users, paginated (items under `realmUsersItemsKey`); POST: create a realm user. Default not published by Modyo, set per account from /api/admin/docs. */
  readonly realmUsers: string;
  /** GET: one realm user; PATCH: update it (profile and custom fields). Default not published by Modyo, set per account from /api/admin/docs. */
  readonly realmUser: string;
  /** POST: activate a realm user. Default not published by Modyo, set per account from /api/admin/docs. */
  readonly enableRealmUser: string;
  /** POST: deactivate a realm user. Default not published by Modyo, set per account from /api/admin/docs. */
  readonly disableRealmUser: string;
  /** Key of the items array in the realm users list response. Not published by Modyo. */
  readonly realmUsersItemsKey: string;
  /** Query parameter that filters realm users by e-mail. Not published by Modyo. */
  readonly realmUsersEmailParam: string;
  /** Query parameter that filters realm users by external id. Not published by Modyo. */
  readonly realmUsersExternalIdParam: string;
  /** Form submissions of a realm user (documented by Modyo). */
  readonly realmUserSubmissions: string;
  /** Messaging deliveries: Modyo documents `/api/admin/messaging/...` but no "send one message" route; set per account. */
  readonly messagingDeliveries: string;
}

export const DEFAULT_MODYO_ADMIN_ROUTES: ModyoAdminRoutes = {
  realmUsers: '/api/admin/customers/{realm_uid}/users',
  realmUser: '/api/admin/customers/{realm_uid}/users/{user_id}',
  enableRealmUser: '/api/admin/customers/{realm_uid}/users/{user_id}/activate',
  disableRealmUser: '/api/admin/customers/{realm_uid}/users/{user_id}/deactivate',
  realmUsersItemsKey: 'users',
  realmUsersEmailParam: 'email',
  realmUsersExternalIdParam: 'external_id',
  realmUserSubmissions: '/api/admin/customers/{realm_uid}/users/{user_id}/submissions',
  messagingDeliveries: '/api/admin/messaging/deliveries',
};

/** The routes of this account: defaults overridden by a JSON object (e.g. env `MODYO_ADMIN_ROUTES`). */
export function modyoAdminRoutes(overridesJson?: string): ModyoAdminRoutes {
  if (!overridesJson) return DEFAULT_MODYO_ADMIN_ROUTES;
  const overrides: unknown = JSON.parse(overridesJson);
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) throw new Error('Modyo admin routes must be a JSON object');
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in DEFAULT_MODYO_ADMIN_ROUTES)) throw new Error(`Unknown Modyo admin route "${key}"`);
    if (typeof value !== 'string' || value === '') throw new Error(`Modyo admin route "${key}" must be a non-empty string`);
  }
  return { ...DEFAULT_MODYO_ADMIN_ROUTES, ...(overrides as Partial<ModyoAdminRoutes>) };
}


/**
 * The environment of a function that calls the Modyo admin API. IAM: secretsmanager:GetSecretValue on the token
 * secret (+ kms:Decrypt on its key).
 */
export const ModyoAdminEnv = z.object({
  /** The account URL, e.g. https://example.modyo.cloud */
  MODYO_BASE_URL: requiredString(),
  /** The admin API token: the string, or {"token"}. */
  MODYO_TOKEN_SECRET_ID: requiredString(),
  /** Optional JSON object overriding DEFAULT_MODYO_ADMIN_ROUTES (set from config modyo.adminApiRoutes / messagingPath). */
  MODYO_ADMIN_ROUTES: withFastParse(
    z
      .string()
      .optional()
      .transform((value, context) => {
        try {
          return modyoAdminRoutes(value);
        } catch (error) {
          context.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      }),
    (value) => (value === undefined || typeof value === 'string' ? modyoAdminRoutes(value) : NOT_FAST),
  ),
});
