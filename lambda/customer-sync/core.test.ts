import { crmAuthHeaders, crmUserEvent, deduplicationId, forwardDecision, messageGroupId, PermanentFailure, planProfileUpdate, scopedRequestId } from './core';
import { CrmCredentials, ProfileUpdateRequest } from './contract';

const update = (fields: Partial<ProfileUpdateRequest>): ProfileUpdateRequest =>
  ProfileUpdateRequest.parse({ realmUid: 'clients', action: 'upsert', user: { externalId: 'crm-1', email: 'ana@example.com' }, ...fields });

describe('planProfileUpdate', () => {
  it('creates a missing user from the identity and the profile', () => {
    expect(planProfileUpdate(update({ profile: { firstName: 'Ana' }, customFields: { tier: 'gold' } }), undefined)).toEqual([
      { kind: 'create', body: { email: 'ana@example.com', first_name: 'Ana', external_id: 'crm-1', custom_fields: { tier: 'gold' } } },
    ]);
  });

  it('refuses what can never apply: no e-mail to create, an unknown Modyo id, enabling nobody', () => {
    const reason = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return error instanceof PermanentFailure ? error.reason : 'other';
      }
      return 'none';
    };
    expect(reason(() => planProfileUpdate(update({ user: { externalId: 'crm-1' } }), undefined))).toBe('email_required_to_create');
    expect(reason(() => planProfileUpdate(update({ user: { modyoUserId: '5' } }), undefined))).toBe('modyo_user_id_not_found');
    expect(reason(() => planProfileUpdate(update({ action: 'enable' }), undefined))).toBe('user_not_found');
  });

  it('sends only what changed, and nothing for a user already as asked', () => {
    const existing = { id: 5, email: 'ana@example.com', external_id: 'crm-1', first_name: 'Ana', custom_fields: { tier: 'gold', score: 3 }, active: true };
    expect(planProfileUpdate(update({ profile: { firstName: 'Ana' }, customFields: { tier: 'gold' } }), existing)).toEqual([]);
    expect(planProfileUpdate(update({ action: 'disable', customFields: { tier: 'gold', score: 4 } }), existing)).toEqual([
      { kind: 'update', userId: '5', body: { custom_fields: { score: 4 } } },
      { kind: 'disable', userId: '5' },
    ]);
    expect(planProfileUpdate(update({ action: 'enable' }), existing)).toEqual([]);
  });
});

describe('schema', () => {
  it('needs one identity and known fields only', () => {
    expect(ProfileUpdateRequest.safeParse({ realmUid: 'clients', action: 'upsert', user: {} }).success).toBe(false);
    expect(ProfileUpdateRequest.safeParse({ realmUid: 'clients', action: 'upsert', user: { email: 'a@example.com' }, extra: 1 }).success).toBe(false);
    expect(ProfileUpdateRequest.safeParse({ realmUid: '../x', action: 'upsert', user: { email: 'a@example.com' } }).success).toBe(false);
  });
});

describe('CRM mapping', () => {
  it('keeps one FIFO group per realm user, without the e-mail in it', () => {
    const a = messageGroupId(update({ user: { email: 'Ana@Example.com' } }));
    expect(a).toBe(messageGroupId(update({ user: { email: 'ana@example.com' } })));
    expect(a).not.toBe(messageGroupId(update({ user: { email: 'bea@example.com' } })));
    expect(a).not.toContain('ana');
  });

  it('forwards user lifecycle events only, and builds each kind of credential header', () => {
    const base = { schemaVersion: 1 as const, eventId: 'e1', category: 'realm_user', shape: 'compact' as const, occurredAt: '2025-01-01T00:00:00Z', receivedAt: '2025-01-01T00:00:00Z', archiveKey: 'k' };
    expect(crmUserEvent({ ...base, type: 'login', user: { id: '1' } })).toBeUndefined();
    expect(crmUserEvent({ ...base, type: 'user_deleted', user: { id: '1' } })).toEqual({ eventId: 'e1', type: 'user_deleted', occurredAt: base.occurredAt, realmUid: undefined, user: { modyoUserId: '1' } });
    expect(crmAuthHeaders(CrmCredentials.parse({ type: 'basic', username: 'u', password: 'p' }))).toEqual({ authorization: `Basic ${Buffer.from('u:p').toString('base64')}` });
    expect(crmAuthHeaders(CrmCredentials.parse({ type: 'api-key', header: 'X-Api-Key', value: 'v' }))).toEqual({ 'x-api-key': 'v' });
  });
});

describe('request ids and FIFO deduplication', () => {
  const body = update({ customFields: { a: 1, b: 2 } });
  it("scopes the caller's key by its client id, and deduplicates only the same update under the same id", () => {
    expect(scopedRequestId('crm', 'key-00001', () => 'fresh')).toBe('crm:key-00001');
    expect(scopedRequestId('crm', undefined, () => 'fresh')).toBe('fresh');
    const same = deduplicationId('crm:key-00001', body);
    expect(deduplicationId('crm:key-00001', update({ customFields: { b: 2, a: 1 } }))).toBe(same);
    expect(deduplicationId('cdp:key-00001', body)).not.toBe(same);
    expect(deduplicationId('crm:key-00001', update({ customFields: { a: 1, b: 3 } }))).not.toBe(same);
    expect(deduplicationId('crm:key-00001', update({ action: 'disable', customFields: { a: 1, b: 2 } }))).not.toBe(same);
  });
});

describe('forwardDecision', () => {
  const base = {
    schemaVersion: 1 as const, eventId: 'e1', category: 'realm_user', shape: 'full' as const,
    occurredAt: '2025-05-01T10:00:00Z', receivedAt: '2025-05-01T10:00:01Z', archiveKey: 'raw/e1.json',
  };
  it('forwards lifecycle events, skips catalogued others, fails a lifecycle event without its user and uncatalogued types', () => {
    expect(forwardDecision({ ...base, type: 'user_enabled', user: { id: '1' } }).kind).toBe('forward');
    expect(forwardDecision({ ...base, type: 'login' })).toEqual({ kind: 'skip', reason: 'not_a_user_lifecycle_event' });
    expect(forwardDecision({ ...base, type: 'page_published' })).toEqual({ kind: 'skip', reason: 'not_a_user_lifecycle_event' });
    expect(forwardDecision({ ...base, type: 'user_updated' })).toEqual({ kind: 'fail', reason: 'lifecycle_event_without_user' });
    expect(forwardDecision({ ...base, type: 'user_teleported', user: { id: '1' } })).toEqual({ kind: 'fail', reason: 'uncatalogued_event_type' });
  });
});
