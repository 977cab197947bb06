import { DeleteBucketCommand, DeleteObjectsCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NormalisedModyoEvent } from '../shared/modyo-events';
import { SecretCache } from '../shared/secrets';
import { normalise } from './core';
import { WebhookSecretSource } from './credentials';
import { EventQueue } from './adapters';
import { WEBHOOK_MAX_BODY_BYTES } from './contract';
import { compactPayload, documentedCompactPayload, documentedFullPayload, fullLogPayload, SECRET_HEADER, signedHeaders, startWebhookEnvironment, type WebhookEnvironment, webhookRequest } from './test-support';

let env: WebhookEnvironment;
const HASH_WINDOW_SECONDS = 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  // A short retry window for payloads without an id, so a test can outlive it.
  env = await startWebhookEnvironment(() => require('./index'), { env: { HASH_DEDUP_SECONDS: String(HASH_WINDOW_SECONDS) } });
});
afterAll(() => env?.stop());

function post(body: unknown, headers: Record<string, string> = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return env.handler(webhookRequest(text, { 'Content-Type': 'application/json', [SECRET_HEADER]: env.sharedSecret, ...headers }));
}

async function expectError(response: { statusCode: number; body: string }, status: number, code: string) {
  expect({ status: response.statusCode, code: JSON.parse(response.body).error?.code }).toEqual({ status, code });
  return JSON.parse(response.body).error as { code: string; message: string; details?: Array<{ field: string }> };
}

describe('accepted deliveries', () => {
  it('archives and queues a compact login event, not for identity provisioning', async () => {
    const body = JSON.stringify(compactPayload({ event_id: 'c-1' }));
    const response = await post(body);
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toEqual({ eventId: 'modyo-compact-c-1', duplicate: false, queued: true });

    const key = 'raw/type=login/dt=2025-03-04/modyo-compact-c-1.json';
    expect(await env.archivedBody(key)).toBe(body);
    const [event, ...others] = await env.drain(env.eventsQueueUrl);
    expect(others).toHaveLength(0);
    expect(NormalisedModyoEvent.parse(event)).toMatchObject({
      eventId: 'modyo-compact-c-1', type: 'login', category: 'realm', shape: 'compact', realmUid: 'customers',
      user: { id: 'user-42' }, occurredAt: '2025-03-04T13:20:30.000Z', archiveKey: key,
    });
    expect(await env.drain(env.identityQueueUrl)).toHaveLength(0);
    expect(await env.ledgerItem('modyo-compact-c-1')).toMatchObject({ status: 'completed' });
  });

  it('normalises a full log user_created event and sends it to both queues', async () => {
    const response = await post(fullLogPayload({ id: 'f-1' }));
    expect(response.statusCode).toBe(202);
    const expected = {
      eventId: 'modyo-full-f-1', type: 'user_created', category: 'realms_user', shape: 'full', realmUid: 'customers',
      occurredAt: '2025-03-04T13:20:30.000Z',
      user: { id: 'user-42', email: 'ana@example.com', username: 'ana', firstName: 'Ana', lastName: 'Soto' },
      archiveKey: 'raw/type=user_created/dt=2025-03-04/modyo-full-f-1.json',
    };
    expect(await env.drain(env.eventsQueueUrl)).toEqual([expect.objectContaining(expected)]);
    expect(await env.drain(env.identityQueueUrl)).toEqual([expect.objectContaining(expected)]);
  });

  it('answers a repeated delivery as a duplicate and queues nothing more', async () => {
    const body = JSON.stringify(fullLogPayload({ id: 'dup-1', log_type: 'user_deleted' }));
    expect((await post(body)).statusCode).toBe(202);
    const again = await post(body);
    expect(again.statusCode).toBe(202);
    expect(JSON.parse(again.body)).toEqual({ eventId: 'modyo-full-dup-1', duplicate: true, queued: true });
    expect(await env.drain(env.eventsQueueUrl)).toHaveLength(1);
    expect(await env.drain(env.identityQueueUrl)).toHaveLength(1);
    expect((await env.archivedKeys()).filter((key) => key.includes('dup-1'))).toHaveLength(1);
  });

  it('recognises a retry of a payload without an id by the hash of its body, within the retry window', async () => {
    const body = JSON.stringify(compactPayload({ e_a: 'logout', uid: 'hash-user' }));
    const first = JSON.parse((await post(body)).body);
    expect(first.eventId).toMatch(/^sha256-[0-9a-f]{64}-\d+$/);
    expect(JSON.parse((await post(body)).body)).toEqual({ ...first, duplicate: true });
    expect(await env.drain(env.eventsQueueUrl)).toEqual([expect.objectContaining({ eventId: first.eventId })]);
  });

  it('queues the same body without an id again after the retry window: a genuine repeat, under a new event id', async () => {
    // No id and no time in the compact form: a second user_disabled of the same user is the same body.
    const body = JSON.stringify({ e_c: 'realm', e_a: 'user_disabled', realm_uid: 'customers', uid: 'repeat-user' });
    const first = JSON.parse((await post(body)).body);
    expect(first).toMatchObject({ duplicate: false, queued: true });
    expect(JSON.parse((await post(body)).body)).toEqual({ ...first, duplicate: true });

    await sleep((HASH_WINDOW_SECONDS + 1.5) * 1000); // the ledger counts whole seconds
    const second = JSON.parse((await post(body)).body);
    expect(second).toMatchObject({ duplicate: false, queued: true });
    expect(second.eventId).not.toBe(first.eventId);
    expect(JSON.parse((await post(body)).body)).toEqual({ ...second, duplicate: true });

    const ids = [first.eventId, second.eventId];
    expect((await env.drain(env.eventsQueueUrl)).map((event) => event.eventId)).toEqual(ids);
    expect((await env.drain(env.identityQueueUrl)).map((event) => event.eventId)).toEqual(ids);
    const archived = await env.archivedKeys();
    expect(ids.map((id) => archived.filter((key) => key.endsWith(`/${id}.json`)).length)).toEqual([1, 1]);
  }, 20_000);

  it('archives an event of an unknown type without queueing it', async () => {
    const response = await post(compactPayload({ event_id: 'u-1', e_a: 'Origination Started' }));
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toEqual({ eventId: 'modyo-compact-u-1', duplicate: false, queued: false });
    expect(await env.archivedKeys()).toContain('raw/type=origination_started/dt=2025-03-04/modyo-compact-u-1.json');
    expect(await env.drain(env.eventsQueueUrl)).toHaveLength(0);
  });
});

describe('bad input', () => {
  it('415 for another content type', async () => {
    await expectError(await post('{}', { 'Content-Type': 'text/plain' }), 415, 'unsupported_media_type');
  });

  it('413 above the body limit', async () => {
    const body = JSON.stringify(compactPayload({ padding: 'x'.repeat(WEBHOOK_MAX_BODY_BYTES) }));
    await expectError(await post(body), 413, 'payload_too_large');
  });

  it('400 for malformed JSON', async () => {
    await expectError(await post('{"e_c": "realm",'), 400, 'malformed_json');
  });

  it('400 for a body of neither shape, naming the fields that tell them apart', async () => {
    const error = await expectError(await post({ hello: 'world' }), 400, 'unknown_payload_shape');
    expect(error.details?.map((detail) => detail.field)).toEqual(['loggeable_type', 'e_c']);
    await expectError(await post([compactPayload()]), 400, 'validation_failed');
  });

  it('400 naming missing fields of the full form', async () => {
    const error = await expectError(await post({ trigger_uid: 'admin-7' }), 400, 'validation_failed');
    expect(error.details?.map((detail) => detail.field).sort()).toEqual(['loggeable_type', 'trigger_entity', 'trigger_name']);
  });

  it('400 naming fields of the wrong type', async () => {
    const error = await expectError(await post(compactPayload({ e_a: 42, ts: 'yesterday-ish', email: 'not-an-email' })), 400, 'validation_failed');
    expect(error.details?.map((detail) => detail.field).sort()).toEqual(['e_a', 'email', 'ts']);
  });

  it('400 naming the field for a timestamp outside the years 0000-9999, storing nothing', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [compactPayload({ event_id: 'ts-1', ts: 1e16 }), 'ts'], // milliseconds past what a Date can hold
      [compactPayload({ event_id: 'ts-2', ts: 253402300800 }), 'ts'], // seconds: 10000-01-01
      [compactPayload({ event_id: 'ts-3', ts: undefined, timestamp: '+020000-01-01T00:00:00Z' }), 'timestamp'],
      [fullLogPayload({ id: 'ts-4', created_at: '+020000-01-01T00:00:00Z' }), 'created_at'],
      [fullLogPayload({ id: 'ts-5', created_at: 1e16 }), 'created_at'],
    ];
    for (const [payload, field] of cases) {
      const error = await expectError(await post(payload), 400, 'validation_failed');
      expect(error.details?.map((detail) => detail.field)).toEqual([field]);
    }
    for (const id of ['modyo-compact-ts-1', 'modyo-compact-ts-2', 'modyo-compact-ts-3', 'modyo-full-ts-4', 'modyo-full-ts-5']) {
      expect(await env.ledgerItem(id)).toBeUndefined();
    }
  });

  it('accepts the last moment of the year 9999, in seconds and in milliseconds', async () => {
    for (const [id, ts] of [['ts-max-s', 253402300799], ['ts-max-ms', 253402300799999]] as const) {
      const response = await post(compactPayload({ event_id: id, ts }));
      expect(response.statusCode).toBe(202);
    }
    expect((await env.drain(env.eventsQueueUrl)).map((event) => event.occurredAt).sort()).toEqual(['9999-12-31T23:59:59.000Z', '9999-12-31T23:59:59.999Z']);
  });

  it('400 for a user lifecycle event that names no user', async () => {
    const error = await expectError(await post(compactPayload({ e_a: 'user_disabled', uid: undefined })), 400, 'validation_failed');
    expect(error.details).toEqual([{ field: 'uid', message: expect.stringContaining('user_disabled') }]);
  });

  it('stores nothing for rejected input', async () => {
    expect(await env.drain(env.eventsQueueUrl)).toHaveLength(0);
  });
});

describe('authentication', () => {
  it('401 without the secret header, or with a wrong secret', async () => {
    const body = compactPayload({ event_id: 'auth-1' });
    await expectError(await env.handler(webhookRequest(JSON.stringify(body), { 'content-type': 'application/json' })), 401, 'missing_webhook_secret');
    await expectError(await post(body, { [SECRET_HEADER]: 'a-wrong-secret-of-enough-length' }), 401, 'invalid_webhook_secret');
    expect(await env.ledgerItem('modyo-compact-auth-1')).toBeUndefined();
  });

  it('accepts a just-rotated secret by reading the secret again once, and rejects the old one', async () => {
    const original = env.secrets[env.secretId];
    const rotated = 'the-rotated-secret-of-enough-length';
    try {
      expect((await post(compactPayload({ event_id: 'rot-0' }))).statusCode).toBe(202); // warm cache
      env.secrets[env.secretId] = JSON.stringify({ sharedSecret: rotated });
      const readsBefore = env.secretReads();
      expect((await post(compactPayload({ event_id: 'rot-1' }), { [SECRET_HEADER]: rotated })).statusCode).toBe(202);
      expect(env.secretReads()).toBe(readsBefore + 1);
      expect((await post(compactPayload({ event_id: 'rot-2' }), { [SECRET_HEADER]: rotated })).statusCode).toBe(202);
      expect(env.secretReads()).toBe(readsBefore + 1); // cached again
      await expectError(await post(compactPayload({ event_id: 'rot-3' })), 401, 'invalid_webhook_secret');
    } finally {
      env.secrets[env.secretId] = original;
      await post(compactPayload({ event_id: 'rot-4' })); // back to the original value (one refresh)
      await env.drain(env.eventsQueueUrl);
    }
  });

  it('requires a valid, fresh signature when the secret has a signing key', async () => {
    const original = env.secrets[env.secretId];
    const signingKey = 'a-signing-key-of-enough-length';
    env.secrets[env.secretId] = JSON.stringify({ sharedSecret: env.sharedSecret, signingKey });
    try {
      // The warm cache still holds the unsigned secret; a failed check makes the function read it again.
      await expectError(await post('{}', { [SECRET_HEADER]: 'a-wrong-secret-of-enough-length' }), 401, 'invalid_webhook_secret');
      const body = JSON.stringify(compactPayload({ event_id: 'sig-1' }));
      await expectError(await post(body), 401, 'missing_signature');
      const now = Math.floor(Date.now() / 1000);
      await expectError(await post(body, signedHeaders(signingKey, body, now - 301)), 401, 'stale_timestamp');
      await expectError(await post(body, signedHeaders('another-key-of-enough-length', body, now)), 401, 'invalid_signature');
      await expectError(await post(body, { ...signedHeaders(signingKey, body, now), 'x-connect-timestamp': 'soon' }), 401, 'invalid_timestamp');
      const tampered = body.replace('sig-1', 'sig-2');
      await expectError(await post(tampered, signedHeaders(signingKey, body, now)), 401, 'invalid_signature');
      expect(await env.ledgerItem('modyo-compact-sig-1')).toBeUndefined();
      expect((await post(body, signedHeaders(signingKey, body, now))).statusCode).toBe(202);
      expect(await env.drain(env.eventsQueueUrl)).toHaveLength(1);
    } finally {
      env.secrets[env.secretId] = original;
      await post(compactPayload({ event_id: 'sig-reset' }));
      await env.drain(env.eventsQueueUrl);
    }
  });

  it('answers 500 for a secret of the wrong shape and 503 when it cannot be read, never echoing it', async () => {
    const original = env.secrets[env.secretId];
    try {
      env.secrets[env.secretId] = 'not-json-secret-value';
      const broken = await expectError(await post(compactPayload(), { [SECRET_HEADER]: 'forces-a-fresh-read-of-the-secret' }), 500, 'misconfigured');
      expect(JSON.stringify(broken)).not.toContain('not-json-secret-value');
      const missing = new WebhookSecretSource(new SecretCache(), 'no-such-secret', 0);
      await expect(missing.current()).rejects.toMatchObject({ status: 503, code: 'temporarily_unavailable' });
    } finally {
      env.secrets[env.secretId] = original;
      expect((await post(compactPayload({ event_id: 'shape-reset' }))).statusCode).toBe(202); // the fix is read at once
      await env.drain(env.eventsQueueUrl);
    }
  });

  it('limits forced re-reads of the secret to one per interval', async () => {
    let now = 0;
    const source = new WebhookSecretSource(new SecretCache(undefined, 60_000), env.secretId, 5_000, () => now);
    const reads = env.secretReads();
    await source.current();
    expect(await source.refreshed()).toEqual({ sharedSecret: env.sharedSecret });
    expect(await source.refreshed()).toBeUndefined();
    now += 5_000;
    expect(await source.refreshed()).toBeDefined();
    expect(env.secretReads()).toBe(reads + 3);
  });
});

describe('EventQueue', () => {
  it('orders a FIFO queue per user and deduplicates on the event id', async () => {
    const sqs = new SQSClient({});
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: 'events.fifo', Attributes: { FifoQueue: 'true' } }))).QueueUrl as string;
    const queue = new EventQueue(sqs, url);
    const event = normalise({ shape: 'compact', type: 'user_updated', category: 'realm', user: { id: 'u-1' } }, 'e-fifo', '2025-03-04T00:00:00.000Z');
    await queue.send(event);
    await queue.send(event);
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, AttributeNames: ['All'] }));
    expect(received.Messages).toHaveLength(1);
    expect(received.Messages?.[0].Attributes).toMatchObject({ MessageGroupId: 'u-1', MessageDeduplicationId: 'e-fifo' });
    sqs.destroy();
  });
});

describe('failures and crashes', () => {
  it('503 and no completed mark when archiving fails; the retry stores it', async () => {
    const keys = await env.archivedKeys();
    if (keys.length) await env.s3.send(new DeleteObjectsCommand({ Bucket: env.bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
    await env.s3.send(new DeleteBucketCommand({ Bucket: env.bucket }));
    const body = fullLogPayload({ id: 's3-down' });
    try {
      await expectError(await post(body), 503, 'temporarily_unavailable');
      expect(await env.ledgerItem('modyo-full-s3-down')).toBeUndefined();
      expect(await env.drain(env.eventsQueueUrl)).toHaveLength(0);
    } finally {
      await env.createBucket();
    }
    expect(JSON.parse((await post(body)).body)).toEqual({ eventId: 'modyo-full-s3-down', duplicate: false, queued: true });
    expect(await env.drain(env.eventsQueueUrl)).toHaveLength(1);
    expect(await env.drain(env.identityQueueUrl)).toHaveLength(1);
  });

  it('503 and no completed mark when queueing fails; the retry queues it once', async () => {
    await env.sqs.send(new DeleteQueueCommand({ QueueUrl: env.eventsQueueUrl }));
    const body = compactPayload({ event_id: 'sqs-down' });
    try {
      await expectError(await post(body), 503, 'temporarily_unavailable');
      expect(await env.ledgerItem('modyo-compact-sqs-down')).toBeUndefined();
    } finally {
      expect(await env.createQueue('modyo-events')).toBe(env.eventsQueueUrl);
    }
    expect((await post(body)).statusCode).toBe(202);
    expect(await env.drain(env.eventsQueueUrl)).toEqual([expect.objectContaining({ eventId: 'modyo-compact-sqs-down' })]);
    expect((await env.archivedKeys()).filter((key) => key.endsWith('/modyo-compact-sqs-down.json'))).toHaveLength(1);
    expect(await env.ledgerItem('modyo-compact-sqs-down')).toMatchObject({ status: 'completed' });
  });

  it('a retry after a failure keeps the event id of a payload without an id, so nothing is stored twice', async () => {
    await env.sqs.send(new DeleteQueueCommand({ QueueUrl: env.identityQueueUrl }));
    const body = JSON.stringify({ e_c: 'realm', e_a: 'user_enabled', realm_uid: 'customers', uid: 'half-done' });
    try {
      await expectError(await post(body), 503, 'temporarily_unavailable'); // archived and queued for events, not identity
    } finally {
      expect(await env.createQueue('identity-provisioning')).toBe(env.identityQueueUrl);
    }
    const retry = JSON.parse((await post(body)).body);
    expect(retry).toMatchObject({ duplicate: false, queued: true });
    const events = await env.drain(env.eventsQueueUrl);
    expect(new Set(events.map((event) => event.eventId))).toEqual(new Set([retry.eventId]));
    expect((await env.drain(env.identityQueueUrl)).map((event) => event.eventId)).toEqual([retry.eventId]);
    expect((await env.archivedKeys()).filter((key) => key.includes('/type=user_enabled/'))).toEqual([expect.stringContaining(retry.eventId)]);
  });

  it('redoes a delivery whose earlier attempt crashed (expired lock), and answers 409 while one is running', async () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const far = nowSeconds + 3600;
    await env.putLedgerItem({ id: 'webhook-receiver#modyo-compact-crashed', status: 'in_progress', lockExpiresAt: nowSeconds - 1, expiration: far });
    await env.putLedgerItem({ id: 'webhook-receiver#modyo-compact-running', status: 'in_progress', lockExpiresAt: far, expiration: far });

    expect(JSON.parse((await post(compactPayload({ event_id: 'crashed' }))).body)).toMatchObject({ duplicate: false });
    await expectError(await post(compactPayload({ event_id: 'running' })), 409, 'delivery_in_progress');
    expect((await env.drain(env.eventsQueueUrl)).map((event) => event.eventId)).toEqual(['modyo-compact-crashed']);
  });
});

describe('payloads of exactly the documented fields (Modyo core/webhooks.md)', () => {
  const LIFECYCLE = ['user_created', 'user_updated', 'user_enabled', 'user_deleted', 'user_disabled'] as const;
  const cases = LIFECYCLE.flatMap((type, index) => [
    { trigger: `${type}_log`, type, id: 880_100 + index * 2 },
    { trigger: type, type, id: 880_101 + index * 2 },
  ]);

  it.each(cases)('full shape, trigger $trigger: normalised as $type with its ids and queued to both consumers', async ({ trigger, type, id }) => {
    const response = await post(documentedFullPayload({ id, trigger_name: trigger, loggeable_id: 5000 + id }));
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toEqual({ eventId: `modyo-full-${id}`, duplicate: false, queued: true });
    const expected = {
      schemaVersion: 1,
      eventId: `modyo-full-${id}`,
      type,
      category: 'realms_user',
      shape: 'full',
      occurredAt: '2026-11-30T12:34:56.000Z',
      realmId: '3',
      user: { id: String(5000 + id) },
      archiveKey: `raw/type=${type}/dt=2026-11-30/modyo-full-${id}.json`,
    };
    const [event, ...others] = await env.drain(env.eventsQueueUrl);
    expect(others).toHaveLength(0);
    expect(NormalisedModyoEvent.parse(event)).toEqual(expect.objectContaining(expected));
    expect(await env.drain(env.identityQueueUrl)).toEqual([expect.objectContaining(expected)]);
  });

  it('full shape done by the platform itself (automated, no trigger user): still normalised and queued', async () => {
    const response = await post(documentedFullPayload({ id: 880_200, automated: true, trigger_uid: null, trigger_entity: null, trigger_entity_id: null, user_id: null, user_type: null, trigger_name: 'user_disabled_log' }));
    expect(response.statusCode).toBe(202);
    const expected = { eventId: 'modyo-full-880200', type: 'user_disabled', user: { id: '4321' }, realmId: '3' };
    expect(await env.drain(env.eventsQueueUrl)).toEqual([expect.objectContaining(expected)]);
    expect(await env.drain(env.identityQueueUrl)).toEqual([expect.objectContaining(expected)]);
  });

  it('the documented trigger_name wins over the undocumented fallbacks', async () => {
    const response = await post(documentedFullPayload({ id: 880_201, trigger_name: 'user_updated_log', type: 'user_deleted', log_type: 'user_created' }));
    expect(response.statusCode).toBe(202);
    expect(await env.drain(env.eventsQueueUrl)).toEqual([expect.objectContaining({ eventId: 'modyo-full-880201', type: 'user_updated' })]);
    expect(await env.drain(env.identityQueueUrl)).toHaveLength(1);
  });

  it('compact shape: a realm user_updated_log is queued to both consumers with the realm uid and id', async () => {
    const response = await post(documentedCompactPayload({ e_a: 'user_updated_log', uid: 6001 }));
    expect(response.statusCode).toBe(202);
    const { eventId } = JSON.parse(response.body);
    expect(eventId).toMatch(/^sha256-[0-9a-f]{64}-\d+$/); // the compact shape carries no id
    const expected = { eventId, type: 'user_updated', category: 'realm', shape: 'compact', realmUid: 'customers', realmId: '3', user: { id: '6001' } };
    expect(await env.drain(env.eventsQueueUrl)).toEqual([expect.objectContaining(expected)]);
    expect(await env.drain(env.identityQueueUrl)).toEqual([expect.objectContaining(expected)]);
  });

  it('compact shape: a realm user_login_log is queued for the consumers of events, not for identity provisioning', async () => {
    const response = await post(documentedCompactPayload({ uid: 6002 }));
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toMatchObject({ duplicate: false, queued: true });
    expect(await env.drain(env.eventsQueueUrl)).toEqual([expect.objectContaining({ type: 'user_login', realmUid: 'customers', realmId: '3', user: { id: '6002' } })]);
    expect(await env.drain(env.identityQueueUrl)).toHaveLength(0);
  });
});
