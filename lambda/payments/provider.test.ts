/**
 * The invocation deadline of provider calls (provider.ts withProviderDeadline): a chain of calls, each within its own
 * deadline, still ends while the function has time to record and answer. Against a real local HTTP server.
 */
import { type LocalServer, type RecordedRequest, startHttpServer } from '../../test/support/local-aws';
import { ProviderError, callProvider, invocationDeadlineFrom, withProviderDeadline } from './provider';

let server: LocalServer & { requests: RecordedRequest[] };

beforeAll(async () => {
  server = await startHttpServer((request) => (request.url.startsWith('/hang') ? 'hang' : { status: 200, body: { ok: true } }));
});
afterAll(() => server.stop());

const get = (path: string, timeoutMs: number) => callProvider('payme', `${server.endpoint}${path}`, { method: 'GET', headers: {} }, timeoutMs);

test('without a deadline each call has its own timeout', async () => {
  const started = Date.now();
  await expect(get('/hang/a', 300)).rejects.toMatchObject({ kind: 'timeout' });
  expect(Date.now() - started).toBeGreaterThanOrEqual(250);
});

test('a chain of calls ends at the invocation deadline, not at the sum of the calls\' timeouts', async () => {
  const started = Date.now();
  const chain = withProviderDeadline(started + 400, async () => {
    await get('/ok', 5_000);
    await get('/hang/b', 5_000); // would wait 5 s alone
  });
  await expect(chain).rejects.toBeInstanceOf(ProviderError);
  await expect(chain).rejects.toMatchObject({ kind: 'timeout' });
  expect(Date.now() - started).toBeLessThan(1_500);
});

test('once the deadline has passed no call is made at all', async () => {
  const before = server.requests.length;
  await expect(withProviderDeadline(Date.now() - 1, () => get('/ok', 5_000))).rejects.toMatchObject({ kind: 'timeout', retryable: true });
  expect(server.requests.length).toBe(before);
});

test('the deadline leaves the reserve of the remaining time; none without a Lambda context', () => {
  expect(invocationDeadlineFrom({ getRemainingTimeInMillis: () => 20_000 }, 3_000, 1_000)).toBe(18_000);
  expect(invocationDeadlineFrom(undefined, 3_000)).toBeUndefined();
});
