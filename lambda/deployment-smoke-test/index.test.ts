/**
 * Through the real entry point against a loopback HTTP server standing in for the green revision behind the
 * test listener; each path behaves as its name says.
 */
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { type LocalServer, type RecordedRequest, startHttpServer } from '../../test/support/local-aws';
import { smokeTestConfig } from './core';
import type { LifecycleHookEvent } from './core';
import { checkPath } from './probe';

let service: LocalServer & { requests: RecordedRequest[] };
let handler: (event: LifecycleHookEvent) => Promise<{ hookStatus: string }>;
const flaky = new Map<string, number>();

beforeAll(async () => {
  service = await startHttpServer((request) => {
    const path = request.url;
    if (path.startsWith('/health') || path.startsWith('/ready')) return { status: 200, body: { status: 'ok' } };
    if (path === '/broken') return { status: 503, body: { status: 'down' } };
    if (path === '/hang') return 'hang';
    if (path === '/reset') return 'reset';
    if (path === '/redirect') return { status: 302, headers: { location: '/health' } };
    if (path.startsWith('/flaky')) {
      const seen = (flaky.get(path) ?? 0) + 1;
      flaky.set(path, seen);
      return seen === 1 ? { status: 502 } : { status: 200 };
    }
    return { status: 404 };
  });
  Object.assign(process.env, { SMOKE_TEST_BASE_URL: service.endpoint, HTTP_TIMEOUT_MS: '300', HTTP_MAX_ATTEMPTS: '2', HTTP_MAX_DELAY_MS: '10' });
  handler = require('./index').handler;
});

afterAll(async () => {
  await service?.stop();
});

function hookEvent(hookDetails?: unknown): LifecycleHookEvent {
  return {
    executionId: 'e8d5a28f-eb01-4f3c-9454-a30ba6dc54bc',
    lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT',
    resourceArn: 'arn:aws:ecs:us-east-1:123456789012:service-deployment/connect/orders/EZe5RNVLH6PPzHXINuP28',
    executionDetails: {
      serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/connect/orders',
      targetServiceRevisionArn: 'arn:aws:ecs:us-east-1:123456789012:service-revision/connect/orders/9313423515462893900',
      testTrafficWeights: {},
      productionTrafficWeights: {},
    },
    ...(hookDetails === undefined ? {} : { hookDetails }),
  };
}

const withPaths = (paths: string) => {
  process.env.SMOKE_TEST_PATHS = paths;
  return handler(hookEvent());
};

describe('deployment smoke test hook', () => {
  it('SUCCEEDED when every path answers 2xx through the test listener', async () => {
    service.requests.length = 0;
    expect(await withPaths('/health, /ready')).toEqual({ hookStatus: 'SUCCEEDED' });
    expect(service.requests.map((request) => `${request.method} ${request.url}`).sort()).toEqual(['GET /health', 'GET /ready']);
  });

  it('FAILED when a path keeps answering 5xx, after the bounded attempts', async () => {
    service.requests.length = 0;
    expect(await withPaths('/health,/broken')).toEqual({ hookStatus: 'FAILED' });
    expect(service.requests.filter((request) => request.url === '/broken')).toHaveLength(2);
  });

  it('FAILED when the service hangs past the timeout', async () => {
    const started = Date.now();
    expect(await withPaths('/hang')).toEqual({ hookStatus: 'FAILED' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('FAILED when the connection is reset, or refused', async () => {
    expect(await withPaths('/reset')).toEqual({ hookStatus: 'FAILED' });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    expect(await handler(hookEvent({ testBaseUrl: `http://127.0.0.1:${port}` }))).toEqual({ hookStatus: 'FAILED' });
  });

  it('FAILED on a redirect or a 404: only 2xx is healthy', async () => {
    expect(await withPaths('/redirect')).toEqual({ hookStatus: 'FAILED' });
    expect(await withPaths('/missing')).toEqual({ hookStatus: 'FAILED' });
  });

  it('SUCCEEDED when a path recovers within its attempts', async () => {
    expect(await withPaths('/flaky-1')).toEqual({ hookStatus: 'SUCCEEDED' });
  });

  it('uses the per-service hookDetails over the environment', async () => {
    process.env.SMOKE_TEST_PATHS = '/broken';
    service.requests.length = 0;
    expect(await handler(hookEvent({ smokeTestPaths: ['/health/deep'] }))).toEqual({ hookStatus: 'SUCCEEDED' });
    expect(service.requests.map((request) => request.url)).toEqual(['/health/deep']);
  });

  it('FAILED, without a request, when misconfigured', async () => {
    service.requests.length = 0;
    expect(await handler(hookEvent({ testBaseUrl: 'file:///etc/passwd' }))).toEqual({ hookStatus: 'FAILED' });
    expect(await handler(hookEvent({ smokeTestPaths: [] }))).toEqual({ hookStatus: 'FAILED' });
    expect(service.requests).toHaveLength(0);
  });
});

describe('checkPath', () => {
  const config = () => ({ baseUrl: service.endpoint, paths: ['/'], timeoutMs: 300, attempts: 2, retryDelayMs: 10 });

  it('says why a path is unhealthy: status, timeout or connection error', async () => {
    expect(await checkPath(config(), '/broken')).toEqual({ path: '/broken', healthy: false, attempts: 2, last: { status: 503 } });
    expect(await checkPath({ ...config(), attempts: 1 }, '/hang')).toEqual({ path: '/hang', healthy: false, attempts: 1, last: { failure: 'timeout' } });
    expect(await checkPath({ ...config(), attempts: 1 }, '/reset')).toMatchObject({ healthy: false, last: { failure: 'connection' } });
    expect(await checkPath(config(), '/flaky-2')).toEqual({ path: '/flaky-2', healthy: true, attempts: 2, last: { status: 200 } });
  });
});

describe('smokeTestConfig', () => {
  it('reads the environment with defaults', () => {
    expect(smokeTestConfig({ SMOKE_TEST_BASE_URL: 'http://alb.internal:8443/' }, undefined)).toEqual({
      config: { baseUrl: 'http://alb.internal:8443/', paths: ['/health'], timeoutMs: 5000, attempts: 3, retryDelayMs: 2000 },
    });
  });

  it('names the bad setting', () => {
    expect(smokeTestConfig({}, undefined)).toEqual({ error: expect.stringContaining('baseUrl') });
    expect(smokeTestConfig({ SMOKE_TEST_BASE_URL: 'http://alb', HTTP_MAX_ATTEMPTS: 'many' }, undefined)).toEqual({ error: expect.stringContaining('attempts') });
    expect(smokeTestConfig({ SMOKE_TEST_BASE_URL: 'http://alb', SMOKE_TEST_PATHS: 'health' }, undefined)).toEqual({ error: expect.stringContaining('paths.0') });
  });
});
