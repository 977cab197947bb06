import { startFakeModyo, type FakeModyo } from '../../test/support/fake-modyo';
import { startSecretsManager } from '../../test/support/local-aws';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { backoffDelayMs, retryAfterMs } from './http-retry';
import {
  DEFAULT_MODYO_ADMIN_ROUTES,
  expandPath,
  ModyoAdminClient,
  ModyoApiError,
  modyoAdminRoutes,
  modyoErrors,
  tokenFromSecret,
} from './modyo-admin';
import { SecretCache } from './secrets';

const users = expandPath(DEFAULT_MODYO_ADMIN_ROUTES.realmUsers, { realm_uid: 'clients' });

describe('retry policy (pure)', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs('Wed, 01 Jan 2025 00:00:07 GMT', now)).toBe(7000);
    expect(retryAfterMs('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it('grows the backoff ceiling exponentially up to the cap, with full jitter', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelayMs(attempt, policy, 0.999))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffDelayMs(3, policy, 0)).toBe(0);
    expect(backoffDelayMs(2, policy, 0.5)).toBe(100);
  });
});

describe('Modyo errors and routes (pure)', () => {
  it('maps the documented error shapes', () => {
    expect(modyoErrors('{"errors":["Realm is locked",{"field":"email","messages":["is invalid"]}]}')).toEqual([
      'Realm is locked',
      { field: 'email', messages: ['is invalid'] },
    ]);
    expect(modyoErrors('{"errors":{"email":["has already been taken"]}}')).toEqual([{ field: 'email', messages: ['has already been taken'] }]);
    expect(modyoErrors('<html>bad gateway</html>')).toEqual([]);
  });

  it('expands placeholders URL-encoded and rejects unknown route overrides', () => {
    expect(expandPath(DEFAULT_MODYO_ADMIN_ROUTES.realmUser, { realm_uid: 'a b', user_id: 7 })).toBe('/api/admin/customers/a%20b/users/7');
    expect(() => expandPath(DEFAULT_MODYO_ADMIN_ROUTES.realmUser, { realm_uid: 'x' })).toThrow('{user_id}');
    expect(modyoAdminRoutes('{"realmUsers":"/api/admin/realms/{realm_uid}/users"}').realmUsers).toBe('/api/admin/realms/{realm_uid}/users');
    expect(() => modyoAdminRoutes('{"realmUserz":"/x"}')).toThrow('Unknown Modyo admin route "realmUserz"');
  });
});

describe('ModyoAdminClient against the fake Modyo admin API', () => {
  let modyo: FakeModyo;
  let delays: number[];
  let tokenCalls: Array<boolean | undefined>;
  let currentToken: string;

  const client = (overrides: Partial<ConstructorParameters<typeof ModyoAdminClient>[0]> = {}) =>
    new ModyoAdminClient({
      baseUrl: `${modyo.endpoint}/`,
      token: async (options) => {
        tokenCalls.push(options?.refresh);
        return currentToken;
      },
      timeoutMs: 200,
      maxAttempts: 3,
      baseDelayMs: 100,
      maxDelayMs: 2000,
      sleep: async (ms) => {
        delays.push(ms);
      },
      random: () => 0.5,
      ...overrides,
    });

  beforeAll(async () => {
    modyo = await startFakeModyo({ token: 'good-token' });
  });
  afterAll(() => modyo.stop());
  beforeEach(() => {
    modyo.users.length = 0;
    modyo.requests.length = 0;
    modyo.tokens.clear();
    modyo.tokens.add('good-token');
    delays = [];
    tokenCalls = [];
    currentToken = 'good-token';
  });

  it('sends the bearer token and JSON body, and returns the parsed response', async () => {
    const created = await client().request<{ user: { id: number; email: string } }>('POST', users, { body: { email: 'ana@example.com' } });
    expect(created.user).toMatchObject({ email: 'ana@example.com' });
    const request = modyo.requests[0];
    expect(request.headers.authorization).toBe('Bearer good-token');
    expect(request.headers['content-type']).toBe('application/json');
    const found = await client().request<{ users: unknown[] }>('GET', users, { query: { email: 'ana@example.com' } });
    expect(found.users).toHaveLength(1);
    expect(modyo.requests[1].url).toBe('/api/admin/customers/clients/users?email=ana%40example.com');
  });

  it('walks every page with per_page capped at 100', async () => {
    for (let i = 0; i < 205; i += 1) modyo.users.push({ id: i + 1, realm_uid: 'clients', email: `u${i}@example.com`, custom_fields: {}, active: true });
    const seen: number[] = [];
    for await (const user of client().paginate<{ id: number }>(users, 'users', { per_page: 500 })) seen.push(user.id);
    expect(seen).toEqual(Array.from({ length: 205 }, (_, i) => i + 1));
    const pages = modyo.requests.map((request) => new URL(request.url, 'http://x').searchParams);
    expect(pages.map((params) => [params.get('page'), params.get('per_page')])).toEqual([
      ['1', '100'],
      ['2', '100'],
      ['3', '100'],
    ]);
  });

  it('on 401 reads the token again once, so a rotated token is picked up', async () => {
    currentToken = 'old-token';
    const rotating = client({
      token: async (options) => {
        tokenCalls.push(options?.refresh);
        return options?.refresh ? 'good-token' : currentToken;
      },
    });
    await expect(rotating.request('GET', users)).resolves.toMatchObject({ users: [] });
    expect(tokenCalls).toEqual([undefined, true]);
  });

  it('fails with 401 when the refreshed token is refused too, without retrying further', async () => {
    currentToken = 'revoked';
    const error = await client().request('GET', users).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModyoApiError);
    expect(error).toMatchObject({ status: 401, retryable: false, errors: ['Invalid or missing admin API token'] });
    expect(tokenCalls).toEqual([undefined, true]);
    expect(modyo.requests).toHaveLength(2);
    expect(JSON.stringify(error)).not.toContain('revoked');
    expect((error as Error).message).not.toContain('revoked');
  });

  it('maps 409 to a failed operation that is not retried', async () => {
    await client().request('POST', users, { body: { email: 'ana@example.com' } });
    const error = await client().request('POST', users, { body: { email: 'ana@example.com' } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 409, retryable: false, errors: [{ field: 'email', messages: ['has already been taken'] }] });
    expect(modyo.requests).toHaveLength(2);
    expect(delays).toEqual([]);
  });

  it('waits for Retry-After on 429 (seconds, capped at maxDelayMs), then succeeds', async () => {
    modyo.inject({ outcome: { status: 429, body: { errors: ['Too many requests'] }, headers: { 'retry-after': '1' } } });
    modyo.inject({ outcome: { status: 429, body: { errors: ['Too many requests'] }, headers: { 'retry-after': '30' } } });
    await expect(client().request('GET', users)).resolves.toMatchObject({ users: [] });
    expect(delays).toEqual([1000, 2000]);
    expect(modyo.requests).toHaveLength(3);
  });

  it('gives up after maxAttempts on 429 with a retryable error', async () => {
    const retryAfter = new Date(Date.now() + 60_000).toUTCString();
    modyo.inject({ outcome: { status: 429, body: { errors: ['Too many requests'] }, headers: { 'retry-after': retryAfter } }, times: 3 });
    const error = await client().request('GET', users).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 429, retryable: true, errors: ['Too many requests'] });
    expect(delays).toEqual([2000, 2000]);
  });

  it('retries a 500 with jittered exponential backoff, then succeeds', async () => {
    modyo.inject({ outcome: { status: 500, body: { errors: ['Internal error'] } }, times: 2 });
    await expect(client().request('GET', users)).resolves.toMatchObject({ users: [] });
    expect(delays).toEqual([50, 100]); // random 0.5 of ceilings 100 and 200
  });

  it('times out a hanging attempt, retries, and reports status 0 retryable when all attempts hang', async () => {
    modyo.inject({ outcome: 'hang', times: 3 });
    const started = Date.now();
    const error = await client().request('GET', users).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 0, retryable: true, errors: ['TIMEOUT'] });
    expect(modyo.requests).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('retries after a connection reset', async () => {
    modyo.inject({ outcome: 'reset' });
    await expect(client().request('GET', users)).resolves.toMatchObject({ users: [] });
    expect(modyo.requests).toHaveLength(2);
    expect(delays).toHaveLength(1);
  });

  it('does not retry a 404', async () => {
    const error = await client().request('GET', expandPath(DEFAULT_MODYO_ADMIN_ROUTES.realmUser, { realm_uid: 'clients', user_id: 1 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404, retryable: false, errors: ['Not found'] });
    expect(modyo.requests).toHaveLength(1);
  });
});

describe('tokenFromSecret against the local Secrets Manager', () => {
  it('reads a plain or JSON secret, and reads it again when asked to refresh', async () => {
    const secretsManager = await startSecretsManager({ plain: 'tok-1\n', json: '{"token":"tok-2"}' });
    try {
      const cache = new SecretCache(new SecretsManagerClient({ endpoint: secretsManager.endpoint }));
      const plain = tokenFromSecret(cache, 'plain');
      expect(await plain()).toBe('tok-1');
      secretsManager.secrets.plain = 'tok-rotated';
      expect(await plain()).toBe('tok-1'); // cached
      expect(await plain({ refresh: true })).toBe('tok-rotated');
      expect(await tokenFromSecret(cache, 'json')()).toBe('tok-2');
      expect(secretsManager.calls()).toBe(3);
    } finally {
      await secretsManager.stop();
    }
  });
});
