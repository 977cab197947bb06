/**
 * Modyo Customers realm users over the admin API client: find a user by the CRM's identity, apply planned steps.
 */
import { expandPath, ModyoApiError, type ModyoAdminClient, type ModyoAdminRoutes } from '../shared/modyo-admin';
import { matchesIdentity, type ModyoStep, planProfileUpdate, type RealmUser } from './core';
import type { CustomerIdentity, ProfileUpdateRequest } from './contract';

/** The admin API may wrap a user (`{"user": {...}}`) or not; both are read. */
function unwrapUser(body: unknown): RealmUser {
  const user = (body as { user?: RealmUser } | undefined)?.user ?? (body as RealmUser | undefined);
  if (!user || user.id === undefined) throw new ModyoApiError('Modyo admin API returned no realm user', 200, [], false);
  return user;
}

export class RealmUsers {
  constructor(
    private readonly client: ModyoAdminClient,
    private readonly routes: ModyoAdminRoutes,
  ) {}

  /** The realm user the identity names, trying Modyo's id, then the external id, then the e-mail. */
  async find(realmUid: string, identity: CustomerIdentity): Promise<RealmUser | undefined> {
    if (identity.modyoUserId) {
      try {
        return unwrapUser(await this.client.request('GET', expandPath(this.routes.realmUser, { realm_uid: realmUid, user_id: identity.modyoUserId })));
      } catch (error) {
        if (error instanceof ModyoApiError && error.status === 404) return undefined;
        throw error;
      }
    }
    if (identity.externalId) {
      const found = await this.search(realmUid, identity, 'externalId');
      if (found || !identity.email) return found;
    }
    return this.search(realmUid, identity, 'email');
  }

  private async search(realmUid: string, identity: CustomerIdentity, by: 'externalId' | 'email'): Promise<RealmUser | undefined> {
    const param = by === 'externalId' ? this.routes.realmUsersExternalIdParam : this.routes.realmUsersEmailParam;
    const value = by === 'externalId' ? identity.externalId : identity.email;
    if (!value) return undefined;
    const path = expandPath(this.routes.realmUsers, { realm_uid: realmUid });
    for await (const user of this.client.paginate<RealmUser>(path, this.routes.realmUsersItemsKey, { [param]: value })) {
      if (matchesIdentity(user, identity, by)) return user;
    }
    return undefined;
  }

  async apply(realmUid: string, step: ModyoStep): Promise<void> {
    const realm = { realm_uid: realmUid };
    switch (step.kind) {
      case 'create':
        await this.client.request('POST', expandPath(this.routes.realmUsers, realm), { body: step.body });
        return;
      case 'update':
        await this.client.request('PATCH', expandPath(this.routes.realmUser, { ...realm, user_id: step.userId }), { body: step.body });
        return;
      case 'enable':
      case 'disable': {
        const route = step.kind === 'enable' ? this.routes.enableRealmUser : this.routes.disableRealmUser;
        await this.client.request('POST', expandPath(route, { ...realm, user_id: step.userId }));
        return;
      }
    }
  }
}

export interface AppliedUpdate {
  /** The Modyo calls made, by kind; empty when the user was already as asked (e.g. a replay). */
  readonly steps: ModyoStep['kind'][];
}

/**
 * Finds the user, plans, applies. A create answered 409 may mean an earlier attempt whose answer was lost did
 * create the user: look again and plan once more from what is there, instead of failing or creating twice.
 */
export async function applyProfileUpdate(users: RealmUsers, update: ProfileUpdateRequest): Promise<AppliedUpdate> {
  const existing = await users.find(update.realmUid, update.user);
  const steps = planProfileUpdate(update, existing);
  try {
    for (const step of steps) await users.apply(update.realmUid, step);
    return { steps: steps.map((step) => step.kind) };
  } catch (error) {
    if (!(error instanceof ModyoApiError && error.status === 409 && steps[0]?.kind === 'create')) throw error;
    const email = steps[0].body.email;
    const created = await users.find(update.realmUid, { ...update.user, email });
    if (!created) throw error;
    const retried = planProfileUpdate(update, created);
    for (const step of retried) await users.apply(update.realmUid, step);
    return { steps: retried.map((step) => step.kind) };
  }
}
