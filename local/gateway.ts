/**
 * The API edge, locally: what the environment's REST API (lib/constructs/api/) does in front of the handlers, for the
 * routes of the route table (lib/api/routes.ts), served under the stage path `/v1`.
 *
 * - Routing as API Gateway matches resources: the most specific resource wins (a literal segment over `{param}` over
 *   `{proxy+}`); a path or method no route has is API Gateway's MISSING_AUTHENTICATION_TOKEN, which the API answers
 *   as 404 `not_found`.
 * - Private routes: the Cognito authorizer (identity source `Authorization`): no token or a bad one is 401
 *   UNAUTHORIZED; a token with none of the route's scopes is 403 ACCESS_DENIED (the method is authorized "if any method
 *   scope matches a claimed scope in the access token",
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-method.html#cfn-apigateway-method-authorizationscopes);
 *   the claims reach the handler in `requestContext.authorizer.claims`.
 * - Request validation per the route's validator: required parameters (400 BAD_REQUEST_PARAMETERS) and the JSON model
 *   (400 BAD_REQUEST_BODY), the models the API is deployed with.
 * - API Gateway's 10 MB payload limit (413 REQUEST_TOO_LARGE); below it, each route's own limit is the handler's
 *   (it answers 413 itself). The web ACL is not run locally (its managed rule groups and IP reputation lists exist
 *   only in AWS), so the WAF's body-size rule, which blocks with 403 `blocked` before the handler when deployed, is
 *   not played either.
 * - Errors API Gateway answers itself take the gateway responses of the synthesized API (status, headers with the
 *   CORS origin, `{"error":{"code","message"}}` body); CORS preflights are answered from the API's OPTIONS methods.
 * - Lambda proxy integration: the REST proxy event with the route's resource path and path parameters; a function
 *   error or a malformed answer is 502, no answer within 29 s is 504 (INTEGRATION_TIMEOUT).
 * Longer than 300 lines: it is API Gateway's request pipeline in order (match, authorize, validate, integrate,
 * answer), which reads best in one file.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ApiRoute } from '../lib/api/routes';
import { toApiGatewayEvent } from './apigw-event';
import type { TemplateStack } from './environment';
import type { InvokeOutcome } from './functions';
import { type Claims, gatewayClaims } from './identity';
import { validateJsonSchema } from './json-schema';

export const STAGE = 'v1';
/** API Gateway's payload limit for REST APIs (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html). */
export const API_GATEWAY_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
export const INTEGRATION_TIMEOUT_MS = 29_000;

type Json = any;

export interface GatewayOptions {
  readonly routes: readonly ApiRoute[];
  /** The synthesized Api stack: gateway responses, CORS preflights, the health route's mock answer. */
  readonly apiStack: TemplateStack;
  readonly corsOrigins: readonly string[];
  /** The JSON model of a route's body (requestModelSchema of its zod schema), or undefined. */
  readonly modelOf: (route: ApiRoute) => Record<string, unknown> | undefined;
  /** Full scope string of a short name. */
  readonly scope: (name: string) => string;
  readonly verifyToken: (token: string) => Promise<Claims | undefined>;
  /** Invokes the route's Lambda function (handler routes). */
  readonly invoke: (route: ApiRoute, event: APIGatewayProxyEvent) => Promise<InvokeOutcome>;
  /** Service routes: where a locally running service listens (`--service name=url`), if anywhere. */
  readonly serviceUrls: Readonly<Record<string, string>>;
  /** Requests outside the stage path (token endpoint, docs, local controls): answered when it returns true. */
  readonly other?: (request: IncomingMessage, body: Buffer, response: ServerResponse) => Promise<boolean>;
  /** One line per API request (method, path, status, ms). */
  readonly log?: (line: string) => void;
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer | string;
}

interface Resource {
  readonly path: string;
  readonly children: Map<string, Resource>;
  readonly methods: Map<string, ApiRoute>;
}

function resourceTree(routes: readonly ApiRoute[]): Resource {
  const root: Resource = { path: '/', children: new Map(), methods: new Map() };
  for (const route of routes) {
    let node = root;
    for (const segment of route.path.split('/').filter(Boolean)) {
      let child = node.children.get(segment);
      if (!child) {
        child = { path: `${node.path === '/' ? '' : node.path}/${segment}`, children: new Map(), methods: new Map() };
        node.children.set(segment, child);
      }
      node = child;
    }
    node.methods.set(route.method, route);
  }
  return root;
}

/** The resource API Gateway picks for `segments`, with its path parameters. */
function matchResource(node: Resource, segments: string[], parameters: Record<string, string> = {}): { resource: Resource; parameters: Record<string, string> } | undefined {
  if (segments.length === 0) return { resource: node, parameters };
  const [head, ...rest] = segments;
  const literal = node.children.get(head);
  if (literal) {
    const found = matchResource(literal, rest, parameters);
    if (found) return found;
  }
  for (const [segment, child] of node.children) {
    const param = /^\{(\w+)\}$/.exec(segment);
    if (param) {
      const found = matchResource(child, rest, { ...parameters, [param[1]]: decodeURIComponent(head) });
      if (found) return found;
    }
  }
  for (const [segment, child] of node.children) {
    const greedy = /^\{(\w+)\+\}$/.exec(segment);
    if (greedy) return { resource: child, parameters: { ...parameters, [greedy[1]]: segments.map(decodeURIComponent).join('/') } };
  }
  return undefined;
}

/** Path of every AWS::ApiGateway::Resource of the Api stack, by logical id. */
function resourcePaths(stack: TemplateStack): Map<string, string> {
  const paths = new Map<string, string>();
  const pathOf = (id: string): string => {
    const known = paths.get(id);
    if (known) return known;
    const resource = stack.resources[id];
    if (resource?.Type !== 'AWS::ApiGateway::Resource') return '';
    const parent = resource.Properties.ParentId?.Ref as string | undefined;
    const path = `${parent ? pathOf(parent) : ''}/${resource.Properties.PathPart}`;
    paths.set(id, path);
    return path;
  };
  for (const id of Object.keys(stack.resources)) pathOf(id);
  return paths;
}

/** A response parameter's value: a quoted literal, or a request header the web ACL sets (the CORS origin). */
function parameterValue(expression: string, request: IncomingMessage, corsOrigins: readonly string[]): string | undefined {
  const literal = /^'(.*)'$/s.exec(expression);
  if (literal) return literal[1];
  if (expression.startsWith('method.request.header.')) {
    // The web ACL inserts this header only for an allowed Origin (lib/constructs/web-acl.ts CorsOrigin rules).
    const origin = request.headers.origin;
    return typeof origin === 'string' && corsOrigins.includes(origin) ? origin : undefined;
  }
  return undefined;
}

export class LocalGateway {
  private server?: Server;
  private readonly root: Resource;
  private readonly gatewayResponses = new Map<string, Json>();
  private readonly preflights = new Map<string, Json>();
  private healthBody = '{"status":"ok"}';
  baseUrl = '';

  constructor(private readonly options: GatewayOptions) {
    this.root = resourceTree(options.routes);
    const paths = resourcePaths(options.apiStack);
    for (const resource of Object.values(options.apiStack.resources) as Json[]) {
      if (resource.Type === 'AWS::ApiGateway::GatewayResponse') this.gatewayResponses.set(resource.Properties.ResponseType, resource.Properties);
      if (resource.Type === 'AWS::ApiGateway::Method') {
        const path = resource.Properties.ResourceId?.Ref ? paths.get(resource.Properties.ResourceId.Ref) : '/';
        if (resource.Properties.HttpMethod === 'OPTIONS' && path) this.preflights.set(path, resource.Properties.Integration);
        if (path === '/health' && resource.Properties.Integration?.Type === 'MOCK') {
          this.healthBody = resource.Properties.Integration.IntegrationResponses?.[0]?.ResponseTemplates?.['application/json'] ?? this.healthBody;
        }
      }
    }
  }

  /** What API Gateway answers itself for `type` (a gateway response type), with `message`. */
  private gatewayError(type: string, message: string, request: IncomingMessage): Answer {
    const is5xx = ['INTEGRATION_FAILURE', 'INTEGRATION_TIMEOUT', 'API_CONFIGURATION_ERROR', 'AUTHORIZER_CONFIGURATION_ERROR', 'DEFAULT_5XX'].includes(type);
    const response = this.gatewayResponses.get(type) ?? this.gatewayResponses.get(is5xx ? 'DEFAULT_5XX' : 'DEFAULT_4XX');
    const defaults: Record<string, number> = {
      UNAUTHORIZED: 401, ACCESS_DENIED: 403, MISSING_AUTHENTICATION_TOKEN: 403, BAD_REQUEST_BODY: 400, BAD_REQUEST_PARAMETERS: 400,
      REQUEST_TOO_LARGE: 413, INTEGRATION_FAILURE: 504, INTEGRATION_TIMEOUT: 504, API_CONFIGURATION_ERROR: 500, DEFAULT_4XX: 400, DEFAULT_5XX: 500,
    };
    const status = Number(this.gatewayResponses.get(type)?.StatusCode ?? defaults[type] ?? (is5xx ? 500 : 400));
    const headers: Record<string, string> = {};
    for (const [name, expression] of Object.entries((response?.ResponseParameters ?? {}) as Record<string, string>)) {
      const value = parameterValue(expression, request, this.options.corsOrigins);
      if (value !== undefined) headers[name.replace(/^gatewayresponse\.header\./, '')] = value;
    }
    const template: string = response?.ResponseTemplates?.['application/json'] ?? '{"message":$context.error.messageString}';
    return { status, headers: { 'Content-Type': 'application/json', ...headers }, body: template.replace('$context.error.messageString', JSON.stringify(message)) };
  }

  private preflight(path: string, request: IncomingMessage): Answer | undefined {
    const integration = this.preflights.get(path);
    if (!integration) return undefined;
    const answer = integration.IntegrationResponses?.[0] ?? {};
    const headers: Record<string, string> = {};
    for (const [name, expression] of Object.entries((answer.ResponseParameters ?? {}) as Record<string, string>)) {
      const value = parameterValue(expression, request, this.options.corsOrigins);
      if (value !== undefined) headers[name.replace(/^method\.response\.header\./, '')] = value;
    }
    // With several origins CDK's preflight template answers the request's Origin when it is one of them.
    const origin = request.headers.origin;
    if (typeof origin === 'string' && this.options.corsOrigins.length > 1 && this.options.corsOrigins.includes(origin)) headers['Access-Control-Allow-Origin'] = origin;
    return { status: Number(answer.StatusCode ?? 204), headers, body: '' };
  }

  private async handleApi(request: IncomingMessage, body: Buffer, path: string): Promise<Answer> {
    const method = request.method ?? 'GET';
    const match = matchResource(this.root, path.split('/').filter(Boolean));
    if (method === 'OPTIONS' && match) {
      const preflight = this.preflight(match.resource.path, request);
      if (preflight) return preflight;
    }
    const route = match?.resource.methods.get(method) ?? match?.resource.methods.get('ANY');
    if (!match || !route) return this.gatewayError('MISSING_AUTHENTICATION_TOKEN', 'Missing Authentication Token', request);

    let claims: Claims | undefined;
    const auth = route.authentication;
    if (auth.type === 'cognito') {
      const header = request.headers.authorization;
      const token = typeof header === 'string' ? header.replace(/^Bearer\s+/i, '').trim() : '';
      claims = token ? await this.options.verifyToken(token) : undefined;
      if (!claims) return this.gatewayError('UNAUTHORIZED', 'Unauthorized', request);
      const granted = String(claims.scope ?? '').split(' ');
      if (!auth.scopes.map(this.options.scope).some((scope) => granted.includes(scope))) return this.gatewayError('ACCESS_DENIED', 'User is not authorized to access this resource', request);
    }

    const url = new URL(request.url ?? '/', 'http://local');
    const missing = route.parameters
      .filter((p) => p.required)
      .filter((p) => (p.in === 'header' ? request.headers[p.name.toLowerCase()] === undefined : p.in === 'query' ? !url.searchParams.has(p.name) : match.parameters[p.name] === undefined));
    if (missing.length > 0) return this.gatewayError('BAD_REQUEST_PARAMETERS', `Missing required request parameters: [${missing.map((p) => p.name).join(', ')}]`, request);
    const model = this.options.modelOf(route);
    const contentType = String(request.headers['content-type'] ?? 'application/json').split(';')[0].trim().toLowerCase();
    if (model && contentType === 'application/json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        return this.gatewayError('BAD_REQUEST_BODY', 'Invalid request body', request);
      }
      const problems = validateJsonSchema(model, parsed);
      if (problems.length > 0) {
        this.options.log?.(`  request validation: ${problems.join('; ')}`);
        return this.gatewayError('BAD_REQUEST_BODY', 'Invalid request body', request);
      }
    }

    if (route.target.kind === 'health') return { status: 200, headers: { 'Content-Type': 'application/json' }, body: this.healthBody };
    if (route.target.kind === 'service') return this.proxyToService(route.target.service, match.parameters.proxy ?? '', request, body, url);

    const event = toApiGatewayEvent(request, body, route.path);
    const host = String(request.headers.host ?? '127.0.0.1');
    const apiEvent: APIGatewayProxyEvent = {
      ...event,
      path,
      pathParameters: Object.keys(match.parameters).length > 0 ? match.parameters : null,
      requestContext: {
        ...event.requestContext,
        path: `/${STAGE}${path}`,
        stage: STAGE,
        domainName: host,
        domainPrefix: host.split('.')[0],
        requestId: randomUUID(),
        authorizer: claims ? { claims: gatewayClaims(claims) } : null,
      } as APIGatewayProxyEvent['requestContext'],
    };
    const outcome = await Promise.race([
      this.options.invoke(route, apiEvent),
      new Promise<'timeout'>((resolveTimeout) => setTimeout(() => resolveTimeout('timeout'), INTEGRATION_TIMEOUT_MS).unref()),
    ]);
    if (outcome === 'timeout') return this.gatewayError('INTEGRATION_TIMEOUT', 'Endpoint request timed out', request);
    if (!outcome.ok) {
      this.options.log?.(`  function error: ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
      return this.gatewayError('INTEGRATION_FAILURE', 'Internal server error', request);
    }
    const result = outcome.result as Json;
    if (!result || typeof result !== 'object' || typeof result.statusCode !== 'number') {
      this.options.log?.('  malformed Lambda proxy response');
      return this.gatewayError('INTEGRATION_FAILURE', 'Internal server error', request);
    }
    const headers: Record<string, string | string[]> = { ...(result.headers ?? {}) };
    for (const [name, values] of Object.entries((result.multiValueHeaders ?? {}) as Record<string, string[]>)) headers[name] = values;
    const payload = typeof result.body === 'string' ? (result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body) : '';
    return { status: result.statusCode, headers, body: payload };
  }

  private async proxyToService(service: string, proxy: string, request: IncomingMessage, body: Buffer, url: URL): Promise<Answer> {
    const target = this.options.serviceUrls[service];
    if (!target) return this.gatewayError('INTEGRATION_FAILURE', `Local mode runs no container for service "${service}": start it and pass --service ${service}=http://127.0.0.1:<port>`, request);
    const headers = Object.fromEntries(Object.entries(request.headers).filter(([name, v]) => typeof v === 'string' && !['host', 'content-length', 'connection'].includes(name))) as Record<string, string>;
    try {
      const response = await fetch(`${target.replace(/\/$/, '')}/${proxy}${url.search}`, {
        method: request.method,
        headers,
        body: ['GET', 'HEAD'].includes(request.method ?? 'GET') ? undefined : body,
        signal: AbortSignal.timeout(INTEGRATION_TIMEOUT_MS),
      });
      return { status: response.status, headers: Object.fromEntries(response.headers), body: Buffer.from(await response.arrayBuffer()) };
    } catch {
      return this.gatewayError('INTEGRATION_FAILURE', 'Internal server error', request);
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const declared = Number(request.headers['content-length'] ?? 0);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = declared > API_GATEWAY_MAX_PAYLOAD_BYTES;
    // An oversized body is read to its end and dropped (closing mid-upload would fail the client's write instead
    // of answering it).
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > API_GATEWAY_MAX_PAYLOAD_BYTES) tooLarge = true;
      if (!tooLarge) chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks);
    const path = new URL(request.url ?? '/', 'http://local').pathname;
    let answer: Answer;
    if (path === `/${STAGE}` || path.startsWith(`/${STAGE}/`)) {
      const apiPath = path.slice(STAGE.length + 1) || '/';
      answer = tooLarge ? this.gatewayError('REQUEST_TOO_LARGE', 'Request Too Long', request) : await this.handleApi(request, body, apiPath).catch((error: Error) => {
        this.options.log?.(`  local gateway error: ${error.stack ?? error.message}`);
        return this.gatewayError('DEFAULT_5XX', 'Internal server error', request);
      });
      this.options.log?.(`${request.method} ${request.url} → ${answer.status} (${Math.round(performance.now() - started)} ms)`);
    } else if (!tooLarge && this.options.other && (await this.options.other(request, body, response))) {
      return;
    } else {
      answer = this.gatewayError('MISSING_AUTHENTICATION_TOKEN', 'Missing Authentication Token', request);
    }
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body);
  }

  async listen(port: number): Promise<string> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch(() => {
        if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'application/json' });
        response.end('{"error":{"code":"server_error","message":"local gateway failure"}}');
      });
    });
    await new Promise<void>((resolveListen, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, '127.0.0.1', resolveListen);
    });
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolveClose) => {
      server.closeAllConnections();
      server.close(() => resolveClose());
    });
  }
}
