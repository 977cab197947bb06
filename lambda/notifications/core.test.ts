import {
  type DeliveryRecord,
  failureReason,
  isRetryableFailure,
  modyoMessageBody,
  modyoMessageIdOf,
  notificationView,
  planNotification,
  readAccess,
  replayDecision,
  requestHash,
} from './core';
import { NotificationRequest } from './contract';
import { callerOf, ownerIdOf } from '../shared/caller';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const request: NotificationRequest = { realmUid: 'clients', channel: 'email', content: { subject: 'Hello', body: 'Welcome' }, recipients: ['1', '2'] };

function plan(overrides: Partial<Parameters<typeof planNotification>[0]> = {}) {
  return planNotification({ request, clientId: 'crm', now: NOW, newId: () => 'random-id', retentionDays: 30, ...overrides });
}

describe('schema', () => {
  const issues = (body: unknown) => {
    const result = NotificationRequest.safeParse(body);
    return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  test('each channel takes the content it needs', () => {
    expect(issues({ ...request, channel: 'push', content: { body: 'x' } })).toEqual(['content.subject: push needs a subject']);
    expect(issues({ ...request, channel: 'whatsapp', content: { subject: 'x', body: 'x' } })).toEqual(['content.subject: whatsapp has no subject']);
    expect(issues({ ...request, channel: 'web_push', content: { subject: 'x', body: 'x', url: 'https://bank.example/offers' } })).toEqual([]);
    expect(issues({ ...request, channel: 'sms', content: { body: 'x', url: 'https://bank.example' } })).toEqual(['content.url: sms has no url']);
    expect(issues({ ...request, channel: 'in_app', content: { body: 'x', url: 'http://bank.example' } })).toHaveLength(1);
    expect(issues({ ...request, channel: 'whatsapp', content: { body: 'x'.repeat(4097) } })).toEqual(['content.body: whatsapp body is at most 4096 characters']);
  });

  test('exactly one of template or content, recipients unique and within bounds', () => {
    expect(issues({ realmUid: 'clients', channel: 'sms', recipients: ['1'] })).toEqual(['content: give exactly one of template or content']);
    expect(issues({ ...request, template: { id: 't' } })).toEqual(['content: give exactly one of template or content']);
    expect(issues({ ...request, recipients: ['1', '1'] })).toEqual(['recipients: recipients must not repeat']);
    expect(issues({ ...request, recipients: [] })).toHaveLength(1);
    expect(issues({ ...request, channel: 'fax' })).toHaveLength(1);
    expect(issues({ ...request, extra: true })).toHaveLength(1);
  });
});

describe('planNotification', () => {
  test('with an idempotency key the ids follow from client and key; without one the id is fresh', () => {
    const keyed = plan({ idempotencyKey: 'k-1' });
    expect(plan({ idempotencyKey: 'k-1' })).toEqual(keyed);
    expect(plan({ idempotencyKey: 'k-1', clientId: 'other' }).notification.notificationId).not.toBe(keyed.notification.notificationId);
    expect(keyed.notification.notificationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(plan().notification.notificationId).toBe('random-id');
  });

  test('one queued delivery per recipient, kept for the retention period', () => {
    const { notification, deliveries } = plan();
    expect(notification).toMatchObject({ status: 'accepting', clientId: 'crm', createdAt: NOW.toISOString(), expiresAt: NOW.getTime() / 1000 + 30 * 86400 });
    expect(deliveries.map((delivery) => [delivery.recipientId, delivery.status, delivery.attempts])).toEqual([
      ['1', 'queued', 0],
      ['2', 'queued', 0],
    ]);
    expect(notification.deliveries.map((delivery) => delivery.deliveryId)).toEqual(deliveries.map((delivery) => delivery.deliveryId));
    expect(new Set(deliveries.map((delivery) => delivery.deliveryId)).size).toBe(2);
  });

  test('the request hash ignores field order and sees every change', () => {
    const reordered = JSON.parse(JSON.stringify({ recipients: request.recipients, content: { body: 'Welcome', subject: 'Hello' }, channel: 'email', realmUid: 'clients' }));
    expect(requestHash(reordered)).toBe(requestHash(request));
    expect(requestHash({ ...request, recipients: ['2', '1'] })).not.toBe(requestHash(request));
  });
});

test('replayDecision: same request replays or resumes, another request conflicts', () => {
  const first = plan({ idempotencyKey: 'k' }).notification;
  expect(replayDecision(first, first)).toBe('resume');
  expect(replayDecision({ ...first, status: 'accepted' }, first)).toBe('replay');
  const other = plan({ idempotencyKey: 'k', request: { ...request, recipients: ['3'] } }).notification;
  expect(replayDecision({ ...first, status: 'accepted' }, other)).toBe('conflict');
});

test('isRetryableFailure: no answer, auth, 408/425/429 and 5xx retry; other 4xx are final', () => {
  const retryable = [0, 401, 403, 408, 425, 429, 500, 502, 503, 504];
  const final = [400, 404, 409, 410, 422];
  expect(retryable.filter((status) => !isRetryableFailure(status))).toEqual([]);
  expect(final.filter(isRetryableFailure)).toEqual([]);
});

test('failureReason flattens Modyo errors and bounds the length', () => {
  expect(failureReason(409, ['Operation failed', { field: 'user_id', messages: ['is unknown', 'is disabled'] }], 'x')).toBe(
    '409: Operation failed; user_id: is unknown, is disabled',
  );
  expect(failureReason(0, [], 'TIMEOUT')).toBe('TIMEOUT');
  expect(failureReason(422, ['y'.repeat(1000)], 'x')).toHaveLength(500);
});

test('modyoMessageBody carries content or template, and modyoMessageIdOf reads the usual answer shapes', () => {
  const { notification, deliveries } = plan();
  expect(modyoMessageBody({ ...notification, channel: 'web_push', content: { subject: 'S', body: 'B', url: 'https://x.example' } }, deliveries[0])).toEqual({
    realm_uid: 'clients',
    channel: 'web_push',
    user_id: '1',
    external_id: deliveries[0].deliveryId,
    subject: 'S',
    body: 'B',
    url: 'https://x.example',
  });
  expect(modyoMessageIdOf({ id: 7 })).toBe('7');
  expect(modyoMessageIdOf({ delivery: { id: 'abc', state: 'sent' } })).toBe('abc');
  expect(modyoMessageIdOf({ ok: true, meta: {} })).toBeUndefined();
  expect(modyoMessageIdOf(undefined)).toBeUndefined();
});

test('notificationView shows states and errors, never the content', () => {
  const { notification, deliveries } = plan();
  const failed: DeliveryRecord = { ...deliveries[1], status: 'failed', attempts: 1, failedAt: NOW.toISOString(), lastError: { status: 409, reason: '409: no' } };
  const view = notificationView({ ...notification, status: 'accepted' }, [deliveries[0], failed]);
  expect(view.deliveries).toEqual([
    expect.objectContaining({ recipientId: '1', status: 'queued', attempts: 0 }),
    expect.objectContaining({ recipientId: '2', status: 'failed', attempts: 1, error: { status: 409, reason: '409: no' } }),
  ]);
  expect(JSON.stringify(view)).not.toContain('Welcome');
});

/** Access-token claims as the Cognito authorizer passes them (all strings). */
const machineClaims = { sub: 'crm', client_id: 'crm', token_use: 'access', scope: 'connect/notifications.read' };
const userClaims = (extra: Record<string, string> = {}) => ({
  sub: '5a0a5bd6-5b2e-4a5d-9d7e-2f0f0f6c1a11',
  client_id: 'realm-app-client',
  username: 'modyo-2',
  token_use: 'access',
  modyo_realm: 'clients',
  modyo_user_id: '2',
  ...extra,
});

test('callerOf tells a machine client (no username, sub = client_id) from a user, and refuses what neither is', () => {
  expect(callerOf(machineClaims)).toEqual({ kind: 'machine', clientId: 'crm' });
  expect(callerOf({ client_id: 'crm' })).toEqual({ kind: 'machine', clientId: 'crm' });
  expect(callerOf(userClaims())).toEqual({ kind: 'user', clientId: 'realm-app-client', userSub: '5a0a5bd6-5b2e-4a5d-9d7e-2f0f0f6c1a11', modyo: { realmUid: 'clients', userId: '2' } });
  // A user without both Modyo claims (federated, or not mirrored) is a user with no Modyo identity.
  expect(callerOf(userClaims({ modyo_realm: '' }))).toEqual({ kind: 'user', clientId: 'realm-app-client', userSub: '5a0a5bd6-5b2e-4a5d-9d7e-2f0f0f6c1a11' });
  // Nobody: no client, a user token without sub, a machine-looking token whose sub is someone else.
  expect(callerOf({ sub: 'user-sub' })).toBeUndefined();
  expect(callerOf({ client_id: '' })).toBeUndefined();
  expect(callerOf({ ...userClaims(), sub: '' })).toBeUndefined();
  expect(callerOf({ client_id: 'crm', sub: 'other' })).toBeUndefined();
  expect(callerOf(undefined)).toBeUndefined();
});

test('a user owns what they create under their own id, never the shared app client\'s', () => {
  const user = callerOf(userClaims())!;
  expect(ownerIdOf(user)).toBe('user:5a0a5bd6-5b2e-4a5d-9d7e-2f0f0f6c1a11');
  expect(ownerIdOf(callerOf(machineClaims)!)).toBe('crm');
  expect(ownerIdOf(callerOf(userClaims({ client_id: 'crm' }))!)).not.toBe('crm');
});

test('readAccess: the creator sees everything, a realm user only a notification addressed to them, in their realm', () => {
  const { notification } = plan(); // created by machine client "crm" to users 1 and 2 of realm "clients"
  expect(readAccess(callerOf(machineClaims)!, notification)).toEqual({});
  expect(readAccess(callerOf({ client_id: 'backoffice' })!, notification)).toBeUndefined();
  expect(readAccess(callerOf(userClaims())!, notification)).toEqual({ recipientId: '2' });
  expect(readAccess(callerOf(userClaims({ modyo_user_id: '3' }))!, notification)).toBeUndefined();
  expect(readAccess(callerOf(userClaims({ modyo_realm: 'empleados' }))!, notification)).toBeUndefined();
  expect(readAccess(callerOf(userClaims({ modyo_user_id: '' }))!, notification)).toBeUndefined();
  // Signing in through the creator's app client gives a user nothing of the client's.
  expect(readAccess(callerOf(userClaims({ client_id: 'crm', modyo_user_id: '9' }))!, notification)).toBeUndefined();
  // A user reads what they created themselves.
  const own = plan({ clientId: ownerIdOf(callerOf(userClaims({ modyo_user_id: '9' }))!) }).notification;
  expect(readAccess(callerOf(userClaims({ modyo_user_id: '9' }))!, own)).toEqual({});
});

test('notificationView for one recipient shows that delivery alone', () => {
  const { notification, deliveries } = plan();
  const view = notificationView({ ...notification, status: 'accepted' }, deliveries, '2');
  expect(view.deliveries).toEqual([expect.objectContaining({ recipientId: '2', status: 'queued' })]);
  expect(JSON.stringify(view)).not.toContain('"1"');
});
