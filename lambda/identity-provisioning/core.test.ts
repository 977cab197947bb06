import {
  aspectOf,
  changedAttributes,
  type CognitoUserState,
  isStale,
  type LifecycleEvent,
  needsConfirmation,
  newerApplied,
  parseMessage,
  plan,
  shouldRecord,
  UNUSABLE_PASSWORD_LENGTH,
  unusablePassword,
} from './core';

const options = { sendInvitations: false, markEmailVerified: true };

function lifecycleEvent(type: LifecycleEvent['type'], overrides: Partial<LifecycleEvent> = {}): LifecycleEvent {
  return {
    schemaVersion: 1,
    eventId: `evt-${type}`,
    type,
    category: 'realm_user',
    shape: 'full',
    occurredAt: '2025-03-01T10:00:00.000Z',
    receivedAt: '2025-03-01T10:00:01.000Z',
    realmUid: 'clientes',
    user: { id: '4211', email: 'ana@example.com', firstName: 'Ana', lastName: 'Rojas' },
    archiveKey: 'raw/2025/03/01/evt.json',
    ...overrides,
  };
}

const existing = (enabled: boolean, attributes: Record<string, string>): CognitoUserState => ({ enabled, attributes });
const mirrored = {
  'custom:modyo_user_id': '4211',
  'custom:modyo_realm': 'clientes',
  email: 'ana@example.com',
  email_verified: 'true',
  given_name: 'Ana',
  family_name: 'Rojas',
};

describe('parseMessage', () => {
  it('accepts a lifecycle event and derives the username from the Modyo id', () => {
    const parsed = parseMessage(JSON.stringify(lifecycleEvent('user_created')));
    expect(parsed).toMatchObject({ kind: 'lifecycle', username: 'modyo-4211' });
  });

  it('ignores valid events that are not about the user lifecycle', () => {
    expect(parseMessage(JSON.stringify({ ...lifecycleEvent('user_created'), type: 'login' }))).toEqual({ kind: 'ignored', eventId: 'evt-user_created', type: 'login' });
  });

  it('names the bad fields, never their values', () => {
    const parsed = parseMessage(JSON.stringify({ ...lifecycleEvent('user_created'), occurredAt: 'yesterday', user: { id: '1', email: 'not-an-address' } }));
    expect(parsed.kind).toBe('malformed');
    const reason = (parsed as { reason: string }).reason;
    expect(reason).toContain('occurredAt');
    expect(reason).toContain('user.email');
    expect(reason).not.toContain('not-an-address');
  });

  it('rejects non-JSON, a lifecycle event without user, and an id Cognito cannot use', () => {
    expect(parseMessage('{nope')).toEqual({ kind: 'malformed', reason: 'body is not JSON' });
    expect(parseMessage(JSON.stringify({ ...lifecycleEvent('user_deleted'), user: undefined }))).toEqual({ kind: 'malformed', reason: 'user_deleted event has no user' });
    expect(parseMessage(JSON.stringify(lifecycleEvent('user_created', { user: { id: 'has space' } }))).kind).toBe('malformed');
  });
});

describe('plan', () => {
  it('creates a missing user with every asserted attribute, invitation suppressed by default', () => {
    const decision = plan(lifecycleEvent('user_created'), undefined, options);
    expect(decision).toEqual({
      outcome: 'created',
      actions: [{ kind: 'create', sendInvitation: false, attributes: Object.entries(mirrored).map(([Name, Value]) => ({ Name, Value })) }, { kind: 'confirm' }],
    });
  });

  it('confirms every user no invitation reaches, and only those (issue 11 item 4)', () => {
    const withInvitations = { ...options, sendInvitations: true };
    expect(plan(lifecycleEvent('user_created'), undefined, withInvitations).actions.map((action) => action.kind)).toEqual(['create']);
    expect(plan(lifecycleEvent('user_created', { user: { id: '9' } }), undefined, withInvitations).actions.map((action) => action.kind)).toEqual(['create', 'confirm']);
    // An existing user in FORCE_CHANGE_PASSWORD that no pending invitation covers is confirmed; a CONFIRMED one is left alone.
    const pending = { enabled: true, status: 'FORCE_CHANGE_PASSWORD', attributes: mirrored };
    expect(plan(lifecycleEvent('user_updated'), pending, options)).toEqual({ outcome: 'confirmed', actions: [{ kind: 'confirm' }] });
    expect(plan(lifecycleEvent('user_updated'), pending, withInvitations)).toEqual({ outcome: 'unchanged', actions: [] });
    expect(plan(lifecycleEvent('user_updated'), { ...pending, status: 'CONFIRMED' }, options)).toEqual({ outcome: 'unchanged', actions: [] });
    expect(plan(lifecycleEvent('user_disabled'), pending, options).actions).toEqual([{ kind: 'disable' }]);
    expect(needsConfirmation(undefined, withInvitations)).toBe(true);
  });

  it('makes unusable passwords that satisfy the pool policy from random bytes', () => {
    const bytes = (fill: number) => new Uint8Array(UNUSABLE_PASSWORD_LENGTH).fill(fill);
    for (const fill of [0, 1, 37, 255]) {
      const password = unusablePassword(bytes(fill));
      expect(password).toHaveLength(UNUSABLE_PASSWORD_LENGTH);
      for (const rule of [/[a-z]/, /[A-Z]/, /\d/, /[\^$*.[\]{}()?!@#%&/,><:;|_~=+-]/]) expect(password).toMatch(rule);
      expect(password).toMatch(/^\S+$/);
    }
    expect(() => unusablePassword(new Uint8Array(8))).toThrow();
  });

  it('sends an invitation only when configured and the user has an address', () => {
    const withInvitations = { ...options, sendInvitations: true };
    expect(plan(lifecycleEvent('user_created'), undefined, withInvitations).actions[0]).toMatchObject({ sendInvitation: true });
    expect(plan(lifecycleEvent('user_created', { user: { id: '9' } }), undefined, withInvitations).actions[0]).toMatchObject({ sendInvitation: false });
  });

  it('updates only what changed, and nothing when nothing did', () => {
    const renamed = lifecycleEvent('user_updated', { user: { id: '4211', email: 'ana@example.com', firstName: 'Anita' } });
    expect(plan(renamed, existing(true, mirrored), options)).toEqual({ outcome: 'updated', actions: [{ kind: 'update', attributes: [{ Name: 'given_name', Value: 'Anita' }] }] });
    expect(plan(lifecycleEvent('user_updated'), existing(true, mirrored), options)).toEqual({ outcome: 'unchanged', actions: [] });
    expect(plan(lifecycleEvent('user_created'), existing(false, mirrored), options)).toEqual({ outcome: 'unchanged', actions: [] });
  });

  it('leaves fields the event does not carry alone', () => {
    expect(changedAttributes(mirrored, [{ Name: 'custom:modyo_user_id', Value: '4211' }])).toEqual([]);
  });

  it('toggles enabled state only when it differs; unknown users are a no-op', () => {
    expect(plan(lifecycleEvent('user_disabled'), existing(true, mirrored), options)).toEqual({ outcome: 'disabled', actions: [{ kind: 'disable' }] });
    expect(plan(lifecycleEvent('user_disabled'), existing(false, mirrored), options)).toEqual({ outcome: 'unchanged', actions: [] });
    expect(plan(lifecycleEvent('user_enabled'), existing(false, mirrored), options)).toEqual({ outcome: 'enabled', actions: [{ kind: 'enable' }] });
    expect(plan(lifecycleEvent('user_enabled'), existing(true, mirrored), options)).toEqual({ outcome: 'unchanged', actions: [] });
    expect(plan(lifecycleEvent('user_disabled'), undefined, options)).toEqual({ outcome: 'unknown_user', actions: [] });
  });

  it('deletes an existing user; deleting an unknown one does nothing', () => {
    expect(plan(lifecycleEvent('user_deleted'), existing(true, mirrored), options).actions).toEqual([{ kind: 'delete' }]);
    expect(plan(lifecycleEvent('user_deleted'), undefined, options)).toEqual({ outcome: 'unknown_user', actions: [] });
  });
});

describe('ordering', () => {
  const at = (iso: string) => ({ atMs: Date.parse(iso), eventId: 'evt-1' });
  const last = { attributes: at('2025-03-01T10:00:00Z') };

  it('skips only events strictly older than the last applied one, comparing instants across offsets', () => {
    expect(isStale(lifecycleEvent('user_updated', { occurredAt: '2025-03-01T09:59:59Z' }), last)).toBe(true);
    expect(isStale(lifecycleEvent('user_updated', { occurredAt: '2025-03-01T07:00:00-03:00' }), last)).toBe(false);
    expect(isStale(lifecycleEvent('user_updated', { occurredAt: '2025-03-01T06:59:00-03:00' }), last)).toBe(true);
    expect(isStale(lifecycleEvent('user_updated'), undefined)).toBe(false);
  });

  it('compares an event with the newest of its own kind (and the delete) only', () => {
    const disabledLater = { attributes: at('2025-03-01T09:00:00Z'), enabled: at('2025-03-01T11:00:00Z') };
    // An update retried after a newer disable still applies; an older disable does not.
    expect(isStale(lifecycleEvent('user_updated', { occurredAt: '2025-03-01T10:00:00Z' }), disabledLater)).toBe(false);
    expect(isStale(lifecycleEvent('user_enabled', { occurredAt: '2025-03-01T10:00:00Z' }), disabledLater)).toBe(true);
    // A late enable after a newer update still applies.
    expect(isStale(lifecycleEvent('user_enabled', { occurredAt: '2025-03-01T09:30:00Z' }), { attributes: at('2025-03-01T10:00:00Z') })).toBe(false);
    // Nothing older than the delete applies; a delete is stale only against a newer delete.
    const deleted = { attributes: at('2025-03-01T13:00:00Z'), deleted: at('2025-03-01T12:00:00Z') };
    expect(newerApplied(lifecycleEvent('user_disabled', { occurredAt: '2025-03-01T11:00:00Z' }), deleted)).toMatchObject({ aspect: 'deleted' });
    expect(isStale(lifecycleEvent('user_deleted', { occurredAt: '2025-03-01T12:00:00Z' }), deleted)).toBe(false);
    expect(aspectOf('user_created')).toBe('attributes');
  });

  it('remembers deletes as tombstones but not a toggle that found no user', () => {
    expect(shouldRecord(lifecycleEvent('user_deleted'), 'unknown_user')).toBe(true);
    expect(shouldRecord(lifecycleEvent('user_disabled'), 'unknown_user')).toBe(false);
    expect(shouldRecord(lifecycleEvent('user_updated'), 'unchanged')).toBe(true);
  });
});
