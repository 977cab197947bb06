/**
 * Identity provisioning, the pure part: which Modyo events matter, what the Cognito user should look like, and
 * what to do to get there. Every decision compares the desired state with the user as Cognito has it now, so
 * replaying an event yields no action at all.
 */
import { isUserLifecycleEvent, type ModyoUser, NormalisedModyoEvent, USER_LIFECYCLE_TYPES, type UserLifecycleType } from '../shared/modyo-events';

export type LifecycleEvent = NormalisedModyoEvent & { type: UserLifecycleType; user: ModyoUser };

export type ParsedMessage =
  | { kind: 'lifecycle'; event: LifecycleEvent; username: string }
  /** A valid Modyo event this consumer has nothing to do with (login, form_submitted, ...). */
  | { kind: 'ignored'; eventId: string; type: string }
  /** Can never succeed: the reason names fields and rules only, never values (they may be personal data). */
  | { kind: 'malformed'; reason: string };

/**
 * The Cognito username of a mirrored Modyo user. Cognito usernames are immutable, so it is derived from the one
 * immutable thing Modyo gives us, the user id (never the e-mail, which users change). The prefix keeps mirrored
 * users apart from federated ones in the same pool (Cognito names those `<Provider>_<sub>`) and says where a user
 * came from in the console. One pool serves one Modyo account, whose user ids are unique across its realms.
 */
export const USERNAME_PREFIX = 'modyo-';

/** Cognito's username rule: printable, no whitespace, at most 128 characters. */
const COGNITO_USERNAME = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u;

export function usernameFor(modyoUserId: string): string {
  return `${USERNAME_PREFIX}${modyoUserId}`;
}

export function parseMessage(body: string): ParsedMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { kind: 'malformed', reason: 'body is not JSON' };
  }
  const parsed = NormalisedModyoEvent.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.code}`);
    return { kind: 'malformed', reason: `not a normalised Modyo event (${issues.join('; ')})` };
  }
  const event = parsed.data;
  if (!isUserLifecycleEvent(event)) {
    if ((USER_LIFECYCLE_TYPES as readonly string[]).includes(event.type)) return { kind: 'malformed', reason: `${event.type} event has no user` };
    return { kind: 'ignored', eventId: event.eventId, type: event.type };
  }
  const username = usernameFor(event.user.id);
  if (!COGNITO_USERNAME.test(username)) return { kind: 'malformed', reason: 'user.id cannot form a Cognito username (whitespace or longer than 122 characters)' };
  return { kind: 'lifecycle', event, username };
}

export interface Attribute {
  readonly Name: string;
  readonly Value: string;
}

export interface ProvisioningOptions {
  /** Let Cognito e-mail an invitation on creation (else MessageAction SUPPRESS). */
  readonly sendInvitations: boolean;
  /**
   * Mark mirrored e-mail addresses verified. Modyo owns the identity, and an unverified address would make Cognito
   * send its own verification codes on every mirrored change; Modyo's docs do not say whether its addresses are
   * verified, so this is configuration.
   */
  readonly markEmailVerified: boolean;
}

/**
 * The attributes the event asserts. A field missing from the event is left alone rather than cleared: the compact
 * Modyo payload carries fewer fields, so absence means "not said", not "removed".
 */
export function desiredAttributes(event: LifecycleEvent, options: ProvisioningOptions): Attribute[] {
  const { user } = event;
  const attributes: Attribute[] = [{ Name: 'custom:modyo_user_id', Value: user.id }];
  if (event.realmUid) attributes.push({ Name: 'custom:modyo_realm', Value: event.realmUid });
  if (user.email) {
    attributes.push({ Name: 'email', Value: user.email });
    if (options.markEmailVerified) attributes.push({ Name: 'email_verified', Value: 'true' });
  }
  if (user.firstName) attributes.push({ Name: 'given_name', Value: user.firstName });
  if (user.lastName) attributes.push({ Name: 'family_name', Value: user.lastName });
  return attributes;
}

/** The desired attributes whose value differs from what Cognito holds. */
export function changedAttributes(current: Readonly<Record<string, string>>, desired: readonly Attribute[]): Attribute[] {
  return desired.filter((attribute) => current[attribute.Name] !== attribute.Value);
}

/** The user as Cognito has it, or undefined when there is no such user. `status` is Cognito's UserStatus. */
export type CognitoUserState =
  | { readonly enabled: boolean; readonly status?: string; readonly attributes: Readonly<Record<string, string>> }
  | undefined;

export type Action =
  | { readonly kind: 'create'; readonly attributes: Attribute[]; readonly sendInvitation: boolean }
  /**
   * Give the user a permanent random password nobody knows (AdminSetUserPassword, Permanent: true), which moves the
   * user from FORCE_CHANGE_PASSWORD to CONFIRMED. See `needsConfirmation` for why.
   */
  | { readonly kind: 'confirm' }
  | { readonly kind: 'update'; readonly attributes: Attribute[] }
  | { readonly kind: 'disable' }
  | { readonly kind: 'enable' }
  | { readonly kind: 'delete' };

export interface Plan {
  readonly actions: Action[];
  /** For the log line: what happened, in one word. */
  readonly outcome: 'created' | 'updated' | 'confirmed' | 'unchanged' | 'disabled' | 'enabled' | 'deleted' | 'unknown_user';
}

/**
 * How a mirrored user first signs in. AdminCreateUser leaves every user it creates in FORCE_CHANGE_PASSWORD until
 * they sign in with the temporary password ("if the user has a password, they will be in the FORCE_CHANGE_PASSWORD
 * state until they sign in and set their password":
 * https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminCreateUser.html), and Cognito
 * refuses ForgotPassword in that state ("User password cannot be reset in the current state":
 * https://github.com/aws-amplify/amplify-js/issues/1340, https://github.com/aws/aws-cdk/issues/19036). With the
 * invitation suppressed nobody knows that temporary password, so the user could never sign in.
 *
 * So, unless Cognito e-mails an invitation (identity.sendInvitations, and the user has an address), the user is
 * confirmed with a permanent random password that is never stored, logged or shown: "if you set a permanent
 * password, their status becomes Confirmed"
 * (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminSetUserPassword.html).
 * Their e-mail is mirrored as verified (markEmailVerified), which is what ForgotPassword needs ("If neither a
 * verified phone number nor a verified email exists, Amazon Cognito responds with an InvalidParameterException":
 * https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_ForgotPassword.html; the pool's
 * account recovery is EMAIL_ONLY). On the managed login page the user chooses "Forgot your password?", receives a
 * code by e-mail and sets their own password (ConfirmForgotPassword); federated users never need one.
 *
 * With invitations, the user signs in with the e-mailed temporary password within the pool's temporary password
 * validity and sets their own; after that the invitation is void and only an administrator can resend it
 * (AdminCreateUser with MessageAction RESEND). A user still in FORCE_CHANGE_PASSWORD when invitations are off (the
 * setting changed, or a create whose confirmation failed half-way) is confirmed by the next event about them.
 */
export function needsConfirmation(email: string | undefined, options: ProvisioningOptions): boolean {
  return !(options.sendInvitations && email !== undefined);
}

export function plan(event: LifecycleEvent, user: CognitoUserState, options: ProvisioningOptions): Plan {
  switch (event.type) {
    case 'user_created':
    case 'user_updated': {
      const desired = desiredAttributes(event, options);
      const email = desired.find((attribute) => attribute.Name === 'email')?.Value;
      if (user === undefined) {
        // An invitation needs an address; without one Cognito would reject the request.
        const sendInvitation = options.sendInvitations && email !== undefined;
        const create: Action = { kind: 'create', attributes: desired, sendInvitation };
        return { actions: needsConfirmation(email, options) ? [create, { kind: 'confirm' }] : [create], outcome: 'created' };
      }
      const changes = changedAttributes(user.attributes, desired);
      const confirm = user.status === 'FORCE_CHANGE_PASSWORD' && needsConfirmation(email ?? user.attributes.email, options);
      const actions: Action[] = [...(changes.length > 0 ? [{ kind: 'update', attributes: changes } as const] : []), ...(confirm ? [{ kind: 'confirm' } as const] : [])];
      return { actions, outcome: changes.length > 0 ? 'updated' : confirm ? 'confirmed' : 'unchanged' };
    }
    case 'user_disabled':
      if (user === undefined) return { actions: [], outcome: 'unknown_user' };
      return user.enabled ? { actions: [{ kind: 'disable' }], outcome: 'disabled' } : { actions: [], outcome: 'unchanged' };
    case 'user_enabled':
      if (user === undefined) return { actions: [], outcome: 'unknown_user' };
      return user.enabled ? { actions: [], outcome: 'unchanged' } : { actions: [{ kind: 'enable' }], outcome: 'enabled' };
    case 'user_deleted':
      return user === undefined ? { actions: [], outcome: 'unknown_user' } : { actions: [{ kind: 'delete' }], outcome: 'deleted' };
  }
}

/**
 * What an event changes: the attributes (created, updated), the enabled flag (enabled, disabled), or the user's
 * existence (deleted). Recency is tracked per aspect, so that an event of one kind never hides a change of another.
 */
export type Aspect = 'attributes' | 'enabled' | 'deleted';

export function aspectOf(type: UserLifecycleType): Aspect {
  switch (type) {
    case 'user_created':
    case 'user_updated':
      return 'attributes';
    case 'user_enabled':
    case 'user_disabled':
      return 'enabled';
    case 'user_deleted':
      return 'deleted';
  }
}

/** The newest event applied for one aspect of a Modyo user. */
export interface AppliedAspect {
  readonly atMs: number;
  readonly eventId: string;
}

/** The newest event applied per aspect for a Modyo user, kept so that an older event arriving late changes nothing. */
export type AppliedState = Readonly<Partial<Record<Aspect, AppliedAspect>>>;

/** The aspects whose newer events make an event stale: its own, and the delete (no resurrection). */
const GUARDS: Record<Aspect, readonly Aspect[]> = { attributes: ['attributes', 'deleted'], enabled: ['enabled', 'deleted'], deleted: ['deleted'] };

/**
 * The newer applied event that makes this one stale, if any: an update is stale only against a newer update (or
 * delete), an enable/disable only against a newer enable/disable (or delete). Equal times are applied (the decision
 * is a no-op on a replay), since Modyo's timestamps may not separate two events of the same second.
 */
export function newerApplied(event: LifecycleEvent, applied: AppliedState | undefined): (AppliedAspect & { aspect: Aspect }) | undefined {
  const at = Date.parse(event.occurredAt);
  for (const aspect of GUARDS[aspectOf(event.type)]) {
    const last = applied?.[aspect];
    if (last !== undefined && at < last.atMs) return { aspect, ...last };
  }
  return undefined;
}

export function isStale(event: LifecycleEvent, applied: AppliedState | undefined): boolean {
  return newerApplied(event, applied) !== undefined;
}

/**
 * Whether to remember this event as the user's latest. Not when an enable/disable found no user: the
 * user_created it overtook is older, and must still be applied when it arrives. A delete is always remembered
 * (as a tombstone), so that a late create or update cannot bring the user back.
 */
export function shouldRecord(event: LifecycleEvent, outcome: Plan['outcome']): boolean {
  return outcome !== 'unknown_user' || event.type === 'user_deleted';
}

/** Cognito's special characters for passwords (a subset without quotes, backslash and space, which need escaping elsewhere). */
const PASSWORD_SYMBOLS = '^$*.[]{}()?!@#%&/,><:;|_~=+-';
const PASSWORD_ALPHABET = `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789${PASSWORD_SYMBOLS}`;
/** Long enough to be unguessable (~380 bits) and to satisfy any pool policy (Cognito allows 6-99 as minimum length). */
export const UNUSABLE_PASSWORD_LENGTH = 64;

/**
 * A password that satisfies the pool's policy (minimum length up to 99 with every character class required) from
 * `random` bytes (one per character, at least UNUSABLE_PASSWORD_LENGTH): a lower-case letter, an upper-case letter,
 * a digit and a symbol first, then characters of the whole alphabet. Nobody ever learns it: it exists so that the user
 * is CONFIRMED and may reset it (see `needsConfirmation`).
 */
export function unusablePassword(random: Uint8Array): string {
  if (random.length < UNUSABLE_PASSWORD_LENGTH) throw new Error(`expected ${UNUSABLE_PASSWORD_LENGTH} random bytes`);
  const pick = (alphabet: string, byte: number) => alphabet[byte % alphabet.length];
  const classes = ['abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789', PASSWORD_SYMBOLS];
  let password = classes.map((alphabet, index) => pick(alphabet, random[index])).join('');
  for (let index = classes.length; index < UNUSABLE_PASSWORD_LENGTH; index += 1) password += pick(PASSWORD_ALPHABET, random[index]);
  return password;
}
