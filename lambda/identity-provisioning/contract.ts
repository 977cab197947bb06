/**
 * Identity provisioning's contract (the only file of this handler lib/ imports): the Cognito actions it calls, its
 * limits and the environment it reads. Its messages are the webhook receiver's NormalisedModyoEvent
 * (lambda/shared/modyo-events.ts).
 */
import * as z from 'zod';
import { booleanFlag, requiredString } from '../shared/env';

/** The Cognito admin actions the handler calls, nothing else (the stack grants exactly these). */
export const PROVISIONING_COGNITO_ACTIONS = [
  'cognito-idp:AdminGetUser',
  'cognito-idp:AdminCreateUser',
  // Confirms users no invitation reaches, with a random password they replace through forgot-password (core.ts).
  'cognito-idp:AdminSetUserPassword',
  'cognito-idp:AdminUpdateUserAttributes',
  'cognito-idp:AdminDisableUser',
  'cognito-idp:AdminEnableUser',
  'cognito-idp:AdminDeleteUser',
] as const;

/** How long a deleted user's tombstone is kept, so a late redrive of an older event cannot bring the user back. */
export const TOMBSTONE_TTL_DAYS = 30;
/** Mirrored addresses are marked verified (Modyo verified them). */
export const MARK_EMAIL_VERIFIED = true;

/**
 * IAM: the PROVISIONING_COGNITO_ACTIONS on the pool; dynamodb:GetItem, PutItem on the table (no UpdateItem: a
 * record replaces the item, conditioned on its version); the SQS event source's.
 */
export const IdentityProvisioningEnv = z.object({
  /** The pool users are mirrored into (custom attributes `modyo_user_id`, `modyo_realm` declared). */
  USER_POOL_ID: requiredString(),
  /** Last applied event per user (partition key `modyoUserId` S, TTL `expiration`). */
  APPLIED_EVENTS_TABLE_NAME: requiredString(),
  /**
   * `true`: Cognito e-mails an invitation on creation; `false`: no e-mail, the user is confirmed with a random
   * password they replace through "Forgot your password?" (core.ts).
   */
  SEND_INVITATIONS: booleanFlag(),
});
