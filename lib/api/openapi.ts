import { z } from 'zod';
import type { EnvironmentConfig } from '../config/schema';
import { type ApiRoute, type HttpMethod, apiRoutes } from './routes';

/**
 * The OpenAPI 3.1 document client developers read, generated from the route table and the handlers' zod schemas
 * (the same ones the API's request models come from). One document per environment: servers, token URL and the
 * service routes differ between environments. `npm run openapi` writes them to docs/openapi/<env>.json.
 */

export type OpenApiDocument = Record<string, any> & { openapi: string; paths: Record<string, Record<string, any>> };

/** The path segment API Gateway serves an API stage under on its execute-api endpoint. */
export const EXECUTE_API_STAGE = 'v1';

/** Operations an `ANY` route stands for in the document (OpenAPI has no "any method"). */
export const ANY_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** OpenAPI path of an API Gateway resource path: greedy `{proxy+}` becomes a plain `{proxy}` parameter. */
export function openApiPath(path: string): string {
  return path.replace(/\{(\w+)\+\}/g, '{$1}');
}

/** The OpenAPI operations (lower-case methods) one route method becomes. */
export function openApiMethods(method: HttpMethod): string[] {
  return method === 'ANY' ? [...ANY_METHODS] : [method.toLowerCase()];
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
  return rest;
}

function cognitoBaseUrl(config: EnvironmentConfig): string {
  return config.identity.customDomain ? `https://${config.identity.customDomain.domainName}` : `https://${config.identity.domainPrefix}.auth.${config.region}.amazoncognito.com`;
}

const ERROR_RESPONSES: Record<string, { description: string; applies: (route: ApiRoute) => boolean }> = {
  '400': { description: 'The request is invalid: body or parameters fail validation.', applies: () => true },
  '401': { description: 'Missing or invalid credentials (token, or webhook secret).', applies: (route) => route.authentication.type !== 'provider-verified' && route.authentication.type !== 'public' },
  '403': { description: 'The token lacks the scope this route needs, or the request was blocked by the web application firewall.', applies: () => true },
  '404': { description: 'No such route or resource.', applies: () => true },
  '413': { description: 'The body is larger than this route accepts.', applies: (route) => route.body !== undefined },
  '415': { description: 'The body has a content type this route does not accept.', applies: (route) => route.body !== undefined },
  '429': { description: 'Too many requests: throttled by the API or rate-limited by the firewall. Retry later with backoff.', applies: () => true },
  '5XX': { description: 'The service failed or timed out; retry with the same Idempotency-Key where the route takes one.', applies: () => true },
};

/** The OpenAPI document of one environment. `fullScope` turns a short scope name into the token's scope string. */
export function openApiDocument(config: EnvironmentConfig, fullScope: (name: string) => string, version: string): OpenApiDocument {
  const routes = apiRoutes(config);
  const schemas: Record<string, unknown> = {
    Error: {
      type: 'object',
      description: 'Every error answer, from API Gateway and from the handlers alike.',
      required: ['error'],
      properties: {
        error: {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: { type: 'string', description: 'A stable, machine-readable code, e.g. `invalid_body`, `unauthorized`, `throttled`.' },
            message: { type: 'string', description: 'What went wrong, for people.' },
            details: { description: 'Optional: e.g. the fields that failed validation.' },
          },
        },
      },
    },
  };
  const named = (name: string, schema: z.ZodType) => {
    schemas[name] ??= jsonSchema(schema);
    return { $ref: `#/components/schemas/${name}` };
  };

  const scopeDescriptions = Object.fromEntries(config.identity.scopes.map((scope) => [fullScope(scope.name), scope.description]));
  const cognitoUrl = cognitoBaseUrl(config);
  const sharedSecret = routes.map((route) => route.authentication).find((auth) => auth.type === 'shared-secret');
  const securitySchemes = {
    cognito: {
      type: 'oauth2',
      description: 'Cognito access token (`Authorization: Bearer <token>`). Machine clients use client credentials; Widgets get a token through the Modyo realm sign-in (authorization code with PKCE).',
      flows: {
        clientCredentials: { tokenUrl: `${cognitoUrl}/oauth2/token`, scopes: scopeDescriptions },
        authorizationCode: { authorizationUrl: `${cognitoUrl}/oauth2/authorize`, tokenUrl: `${cognitoUrl}/oauth2/token`, scopes: scopeDescriptions },
      },
    },
    ...(sharedSecret ? { webhookSecret: { type: 'apiKey', in: 'header', name: sharedSecret.header, description: 'The shared secret configured in Modyo\'s webhook settings.' } } : {}),
  };

  const paths: Record<string, Record<string, any>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    for (const method of openApiMethods(route.method)) {
      const auth = route.authentication;
      const operation: Record<string, any> = {
        operationId: operationId(route, method),
        summary: route.summary,
        ...(route.description ? { description: route.description } : {}),
        tags: [route.tag],
        security: auth.type === 'cognito' ? [{ cognito: auth.scopes.map(fullScope) }] : auth.type === 'shared-secret' ? [{ webhookSecret: [] }] : [],
        ...(auth.type === 'provider-verified' ? { 'x-connect-authentication': `Verified with ${auth.provider}: every request is checked with the provider's API before anything is recorded.` } : {}),
        ...(auth.type === 'public' ? { 'x-connect-authentication': 'Public: no credentials, no data.' } : {}),
      };
      if (route.parameters.length > 0) {
        operation.parameters = route.parameters.map((p) => ({ name: p.name, in: p.in, required: p.required, description: p.description, schema: { type: 'string' } }));
      }
      if (route.body && !(route.method === 'ANY' && method === 'get')) {
        operation.requestBody = {
          required: true,
          description: `At most ${route.body.maxBytes} bytes.`,
          content: { [route.body.contentType]: { schema: route.body.schema && route.body.modelName ? named(route.body.modelName, route.body.schema) : { type: 'object' } } },
        };
      }
      const success: Record<string, any> = { description: route.success.description };
      if (route.success.schema && route.success.schemaName) success.content = { 'application/json': { schema: named(route.success.schemaName, route.success.schema) } };
      operation.responses = {
        [String(route.success.status)]: success,
        ...Object.fromEntries(Object.entries(ERROR_RESPONSES).filter(([, r]) => r.applies(route)).map(([status]) => [status, { $ref: `#/components/responses/Error${status}` }])),
      };
      (paths[path] ??= {})[method] = operation;
    }
  }

  const domain = config.api.customDomain?.domainName;
  return {
    openapi: '3.1.0',
    info: {
      title: `Connect API (${config.name})`,
      version,
      description: `The Connect integration API of the ${config.name} environment. Errors are JSON \`{"error":{"code","message"}}\`.`,
    },
    servers: [
      domain
        ? { url: `https://${domain}`, description: `${config.name} (custom domain)` }
        : {
            url: `https://{apiId}.execute-api.${config.region}.amazonaws.com/${EXECUTE_API_STAGE}`,
            description: `${config.name}: the ApiUrl output of the ${config.name}/Api stack`,
            variables: { apiId: { default: 'apiId', description: `The REST API id of ${config.name} (ApiUrl output)` } },
          },
    ],
    tags: [...new Set(routes.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas,
      securitySchemes,
      responses: Object.fromEntries(
        Object.entries(ERROR_RESPONSES).map(([status, r]) => [`Error${status}`, { description: r.description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
      ),
    },
  };
}

function operationId(route: ApiRoute, method: string): string {
  const words = route.path.split('/').filter(Boolean).map((segment) => segment.replace(/[{}+]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase()));
  return [method, ...words].map((w, i) => (i === 0 ? w : w[0].toUpperCase() + w.slice(1))).join('');
}
