/**
 * Real HTTP in front of a Lambda proxy handler, for tests and benchmarks on loopback: a small server that turns
 * each request into an API Gateway (REST, Lambda proxy) event, calls the handler and writes its result back; and a
 * bounded load runner that measures what a client sees.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { LocalServer } from './aws-servers';

export type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** The event API Gateway's REST Lambda proxy integration would build for this request. */
export function toApiGatewayEvent(request: Pick<IncomingMessage, 'method' | 'url' | 'headers' | 'socket'>, body: Buffer, resource = '/{proxy+}'): APIGatewayProxyEvent {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    headers[name] = values[values.length - 1];
    multiValueHeaders[name] = values;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(query).length > 0;
  return {
    resource,
    path: url.pathname,
    httpMethod: request.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: null,
    stageVariables: null,
    body: body.length > 0 ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: request.method ?? 'GET',
      path: url.pathname,
      stage: 'local',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: resource,
      identity: {
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? null,
        accessKey: null, accountId: null, apiKey: null, apiKeyId: null, caller: null, clientCert: null,
        cognitoAuthenticationProvider: null, cognitoAuthenticationType: null, cognitoIdentityId: null,
        cognitoIdentityPoolId: null, principalOrgId: null, user: null, userArn: null,
      },
    },
  };
}

/** Serves `handler` on 127.0.0.1 (a free port). A handler that throws answers 502, as API Gateway would. */
export async function startApiGatewayHttp(handler: ProxyHandler): Promise<LocalServer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handler(toApiGatewayEvent(req, Buffer.concat(chunks)))
        .then((result) => {
          res.writeHead(result.statusCode, { ...(result.headers as Record<string, string>) });
          res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
        })
        .catch(() => {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: 'Internal server error' }));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface LoadResult {
  readonly statuses: number[];
  readonly bodies: string[];
  readonly latenciesMs: number[];
  readonly elapsedMs: number;
  /** Requests answered with a 2xx, per second of wall time. */
  readonly acceptedPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * Sends `count` requests with at most `concurrency` in flight, each built by `request(i)`, and stops by itself:
 * at `count`, or (sending nothing new) once `maxDurationMs` has passed. Only for loopback targets.
 */
export async function runBoundedLoad(options: {
  count: number;
  concurrency: number;
  maxDurationMs: number;
  request: (index: number) => { url: string; init: RequestInit };
}): Promise<LoadResult> {
  const statuses: number[] = [];
  const bodies: string[] = [];
  const latenciesMs: number[] = [];
  const started = performance.now();
  let next = 0;
  async function worker(): Promise<void> {
    while (next < options.count && performance.now() - started < options.maxDurationMs) {
      const index = next++;
      const { url, init } = options.request(index);
      if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])[:/]/.test(url)) throw new Error(`Load tests only target loopback, not ${url}`);
      const sentAt = performance.now();
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
      bodies[index] = await response.text();
      latenciesMs[index] = performance.now() - sentAt;
      statuses[index] = response.status;
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsedMs = performance.now() - started;
  const sorted = latenciesMs.filter((ms) => ms !== undefined).sort((a, b) => a - b);
  const percentile = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
  const ok = statuses.filter((status) => status >= 200 && status < 300).length;
  return { statuses, bodies, latenciesMs, elapsedMs, acceptedPerSecond: ok / (elapsedMs / 1000), p50Ms: percentile(50), p99Ms: percentile(99) };
}
