import { HttpError } from '../shared/http';
import { archiveKeyFor, authenticationFailure, detectShape, eventIdFor, isKnownEventType, normalise, parseModyoWebhook, signatureFor, snakeCase } from './core';
import { fifoToken } from '../shared/sqs';
import { compactPayload, fullLogPayload } from './test-support';

const body = Buffer.from('{"e_c":"realm","e_a":"login"}');
const secret = { sharedSecret: 'a-shared-secret-of-enough-length' };
const signed = { ...secret, signingKey: 'a-signing-key-of-enough-length' };
const now = Date.parse('2025-03-04T12:00:00Z');
const nowSeconds = String(now / 1000);

function failureCode(...args: Parameters<typeof authenticationFailure>): string | undefined {
  return authenticationFailure(...args)?.code;
}

function thrown(work: () => unknown): HttpError {
  try {
    work();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('did not throw');
}

describe('authenticationFailure', () => {
  it('accepts the shared secret and rejects a missing or different one', () => {
    expect(failureCode({ secret: secret.sharedSecret }, body, secret, now)).toBeUndefined();
    expect(failureCode({}, body, secret, now)).toBe('missing_webhook_secret');
    expect(failureCode({ secret: 'short' }, body, secret, now)).toBe('invalid_webhook_secret');
    expect(failureCode({ secret: `${secret.sharedSecret}x` }, body, secret, now)).toBe('invalid_webhook_secret');
  });

  it('checks the signature over timestamp.body, with or without the sha256= prefix', () => {
    const signature = signatureFor(signed.signingKey, nowSeconds, body);
    expect(failureCode({ secret: signed.sharedSecret, signature, timestamp: nowSeconds }, body, signed, now)).toBeUndefined();
    expect(failureCode({ secret: signed.sharedSecret, signature: `sha256=${signature.toUpperCase()}`, timestamp: nowSeconds }, body, signed, now)).toBeUndefined();
    expect(failureCode({ secret: signed.sharedSecret, signature, timestamp: nowSeconds }, Buffer.from(`${body} `), signed, now)).toBe('invalid_signature');
    expect(failureCode({ secret: signed.sharedSecret, signature: 'zz', timestamp: nowSeconds }, body, signed, now)).toBe('invalid_signature');
    expect(failureCode({ secret: signed.sharedSecret, timestamp: nowSeconds }, body, signed, now)).toBe('missing_signature');
    // The secret is checked first: a valid signature does not stand in for it.
    expect(failureCode({ secret: 'wrong', signature, timestamp: nowSeconds }, body, signed, now)).toBe('invalid_webhook_secret');
  });

  it('accepts timestamps within the window either side of now, and no further', () => {
    const at = (offsetSeconds: number) => {
      const timestamp = String(now / 1000 + offsetSeconds);
      return failureCode({ secret: signed.sharedSecret, signature: signatureFor(signed.signingKey, timestamp, body), timestamp }, body, signed, now);
    };
    expect([at(-300), at(300), at(-301), at(301)]).toEqual([undefined, undefined, 'stale_timestamp', 'stale_timestamp']);
    expect(failureCode({ secret: signed.sharedSecret, signature: 'ab', timestamp: '2025-03-04T12:00:00Z' }, body, signed, now)).toBe('invalid_timestamp');
  });
});

describe('parseModyoWebhook', () => {
  it('tells the shapes apart by their documented fields', () => {
    expect(detectShape(compactPayload())).toBe('compact');
    expect(detectShape(fullLogPayload())).toBe('full');
    expect(thrown(() => detectShape({ id: 1 })).code).toBe('unknown_payload_shape');
    expect(thrown(() => detectShape('text')).status).toBe(400);
  });

  it('takes the user of an admin-made lifecycle event from the logged entity, not the admin', () => {
    expect(parseModyoWebhook(fullLogPayload({ log_type: 'User Disabled' }))).toEqual({
      shape: 'full', modyoId: '1001', type: 'user_disabled', category: 'realms_user', occurredAt: '2025-03-04T13:20:30.000Z', realmUid: 'customers',
      user: { id: 'user-42', email: 'ana@example.com', username: 'ana', firstName: 'Ana', lastName: 'Soto' },
    });
  });

  it('takes the user of a self-service event from whoever triggered it', () => {
    const parsed = parseModyoWebhook({ type: 'login', trigger_entity: 'Realms::User', trigger_uid: 77, loggeable_type: 'Site', loggeable_id: 3, created_at: 1741094430123 });
    expect(parsed).toMatchObject({ type: 'login', category: 'site', user: { id: '77' }, occurredAt: '2025-03-04T13:20:30.123Z' });
    expect(parseModyoWebhook({ event: 'page_published', trigger_entity: 'admin', trigger_uid: 5, loggeable_type: 'Page' }).user).toBeUndefined();
  });

  it('reads the compact form, with epoch seconds and optional attributes', () => {
    expect(parseModyoWebhook(compactPayload({ e_c: 'Realm', e_a: 'userUpdated', email: 'b@example.com', event_id: 9 }))).toEqual({
      shape: 'compact', modyoId: '9', type: 'user_updated', category: 'realm', occurredAt: '2025-03-04T13:20:30.000Z', realmUid: 'customers',
      user: { id: 'user-42', email: 'b@example.com' },
    });
  });

  it('rejects names with no letters or digits, naming the field', () => {
    expect(thrown(() => parseModyoWebhook(compactPayload({ e_a: '!!!' }))).details).toEqual([{ field: 'e_a', message: 'Must contain letters or digits' }]);
  });
});

describe('naming', () => {
  it('snake-cases labels, camel case and Ruby class names', () => {
    expect(['User created', 'userCreated', 'Realms::User', 'form.response-created', '  x  '].map(snakeCase)).toEqual([
      'user_created', 'user_created', 'realms_user', 'form_response_created', 'x',
    ]);
  });

  it('derives the event id from Modyo ids when present, else from the body', () => {
    expect(eventIdFor({ shape: 'full', modyoId: '1001' }, body)).toBe('modyo-full-1001');
    expect(eventIdFor({ shape: 'compact', modyoId: 'a/b c' }, body)).toMatch(/^modyo-compact-[0-9a-f]{64}$/);
    expect(eventIdFor({ shape: 'compact' }, body)).toBe(eventIdFor({ shape: 'compact' }, Buffer.from(body)));
    expect(eventIdFor({ shape: 'compact' }, body)).not.toBe(eventIdFor({ shape: 'compact' }, Buffer.from(`${body} `)));
  });

  it('keeps FIFO ids within what SQS allows', () => {
    expect(fifoToken('user-42')).toBe('user-42');
    expect(fifoToken('x'.repeat(129))).toMatch(/^[0-9a-f]{64}$/);
    expect(fifoToken('usuario ñandú')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('partitions archive keys by type and day', () => {
    expect(archiveKeyFor('login', '2025-03-04T23:59:59.000Z', 'e-1')).toBe('raw/type=login/dt=2025-03-04/e-1.json');
  });

  it('builds a contract-valid event, dated by when it happened or else when it arrived', () => {
    const event = normalise({ shape: 'compact', type: 'signup', category: 'realm' }, 'e-2', '2025-03-05T00:00:01.000Z');
    expect(event).toEqual({
      schemaVersion: 1, eventId: 'e-2', type: 'signup', category: 'realm', shape: 'compact',
      occurredAt: '2025-03-05T00:00:01.000Z', receivedAt: '2025-03-05T00:00:01.000Z', archiveKey: 'raw/type=signup/dt=2025-03-05/e-2.json',
    });
    expect(isKnownEventType('signup')).toBe(true);
    expect(isKnownEventType('origination_started')).toBe(false);
  });
});

describe('normalise', () => {
  it('answers 400 naming the field, not a 500, for what the consumers\' contract refuses', () => {
    const error = thrown(() => normalise({ shape: 'compact', type: 'login', category: 'realm', occurredAt: '+020000-01-01T00:00:00.000Z' }, 'e-1', '2025-03-04T00:00:00.000Z'));
    expect({ status: error.status, code: error.code, details: error.details }).toEqual({
      status: 400, code: 'validation_failed', details: [{ field: 'occurredAt', message: expect.any(String) }],
    });
  });
});

describe('event types: both spellings of a lifecycle trigger name one type', () => {
  it.each(['user_created', 'user_updated', 'user_enabled', 'user_disabled', 'user_deleted'])('%s and %s_log', (type) => {
    const full = (trigger: string) => parseModyoWebhook({ trigger_name: trigger, trigger_uid: null, trigger_entity: null, loggeable_type: 'Realms::User', loggeable_id: 9 });
    expect(full(`${type}_log`)).toMatchObject({ type, user: { id: '9' } });
    expect(full(type)).toMatchObject({ type, user: { id: '9' } });
    expect(parseModyoWebhook({ e_c: 'realm', e_a: `${type}_log`, uid: 9 })).toMatchObject({ type, user: { id: '9' } });
  });

  it('keeps an uncatalogued name as it came, `_log` and all (archived, not queued)', () => {
    expect(parseModyoWebhook({ e_c: 'realm', e_a: 'origination_started_log' }).type).toBe('origination_started_log');
    expect(isKnownEventType('origination_started_log')).toBe(false);
  });
});
