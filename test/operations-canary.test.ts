/**
 * The API canary's script (lib/constructs/operations/canary/api-health-check.js), run here as Synthetics runs it,
 * against a local HTTP server: a 2xx passes; any other status, a timeout or a refused connection fails the run.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_CANARY_SCRIPT } from '../lib/constructs/operations/api-canary';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const canary = require(API_CANARY_SCRIPT) as {
  checkEndpoint: (url: string, options?: { timeoutMs?: number }) => Promise<{ status: number; latencyMs: number }>;
  handler: () => Promise<{ status: number }>;
};

let server: Server;
let base: string;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push(`${request.method} ${request.url} ${request.headers['user-agent']}`);
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(body);
    };
    if (request.url === '/health') return send(200, '{"status":"ok"}');
    if (request.url === '/created') return send(201, '{}');
    if (request.url === '/down') return send(503, '{"error":{"code":"server_error"}}');
    if (request.url === '/blocked') return send(403, '{"error":{"code":"blocked"}}');
    if (request.url === '/moved') return send(302, '', { location: '/health' });
    if (request.url === '/slow') return void setTimeout(() => send(200, '{}'), 1000);
    send(404, '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('the API canary script', () => {
  test('passes on a 2xx answer and reports status and latency', async () => {
    await expect(canary.checkEndpoint(`${base}/health`)).resolves.toEqual({ status: 200, latencyMs: expect.any(Number) });
    await expect(canary.checkEndpoint(`${base}/created`)).resolves.toMatchObject({ status: 201 });
    expect(seen).toContain('GET /health connect-api-canary');
  });

  test.each([
    ['/down', /answered 503 in \d+ ms; expected 2xx/],
    ['/blocked', /answered 403/],
    ['/missing', /answered 404/],
    // A redirect is not followed: the health route never redirects, so one means the wrong thing answers.
    ['/moved', /answered 302/],
  ])('fails the run on %s', async (path, message) => {
    await expect(canary.checkEndpoint(`${base}${path}`)).rejects.toThrow(message);
  });

  test('fails the run when no answer comes within the timeout', async () => {
    await expect(canary.checkEndpoint(`${base}/slow`, { timeoutMs: 200 })).rejects.toThrow(/failed: no answer within 200 ms/);
  });

  test('fails the run when the connection is refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(canary.checkEndpoint(`http://127.0.0.1:${port}/health`, { timeoutMs: 2000 })).rejects.toThrow(/GET http:\/\/127\.0\.0\.1:\d+\/health failed: TypeError/);
  });

  describe('handler', () => {
    const previous = { ...process.env };
    afterEach(() => {
      process.env.CANARY_URL = previous.CANARY_URL;
      process.env.CANARY_TIMEOUT_MS = previous.CANARY_TIMEOUT_MS;
      if (previous.CANARY_URL === undefined) delete process.env.CANARY_URL;
      if (previous.CANARY_TIMEOUT_MS === undefined) delete process.env.CANARY_TIMEOUT_MS;
    });

    test('checks CANARY_URL within CANARY_TIMEOUT_MS', async () => {
      process.env.CANARY_URL = `${base}/health`;
      const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
      await expect(canary.handler()).resolves.toMatchObject({ status: 200 });
      expect(JSON.parse(log.mock.calls[0][0] as string)).toMatchObject({ message: 'API health check passed', status: 200 });
      log.mockRestore();
      process.env.CANARY_URL = `${base}/slow`;
      process.env.CANARY_TIMEOUT_MS = '150';
      await expect(canary.handler()).rejects.toThrow(/no answer within 150 ms/);
    });

    test('fails when it has no URL to check', async () => {
      delete process.env.CANARY_URL;
      await expect(canary.handler()).rejects.toThrow(/CANARY_URL is not set/);
    });
  });
});
