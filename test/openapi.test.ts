import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { openApiDocument, openApiMethods, openApiPath } from '../lib/api/openapi';
import { fullScope, OPENAPI_DIR, openApiDocumentsByEnvironment } from '../lib/api/openapi-files';
import { apiRoutes } from '../lib/api/routes';
import { ENVIRONMENTS } from './support/assembly';
import { environmentConfig, synthesizedMethods } from './support/api-template';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Structural OpenAPI 3.1 checks (no validator dependency): the problems found, empty when the document is sound. */
function structuralProblems(doc: any): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, problem: string) => ok || problems.push(problem);
  check(/^3\.1\.\d+$/.test(doc.openapi), `openapi: expected 3.1.x, got ${doc.openapi}`);
  check(typeof doc.info?.title === 'string' && typeof doc.info?.version === 'string', 'info: title and version are required strings');
  check(Array.isArray(doc.servers) && doc.servers.length > 0 && doc.servers.every((s: any) => /^https:\/\//.test(s.url)), 'servers: https URLs expected');
  for (const server of doc.servers ?? []) {
    for (const variable of server.url.match(/\{(\w+)\}/g) ?? []) check(server.variables?.[variable.slice(1, -1)]?.default !== undefined, `server ${server.url}: variable ${variable} needs a default`);
  }
  const operationIds = new Set<string>();
  const schemes = doc.components?.securitySchemes ?? {};
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    check(path.startsWith('/'), `${path}: paths start with /`);
    const templated = (path.match(/\{([^}]+)\}/g) ?? []).map((p) => p.slice(1, -1));
    for (const [method, operation] of Object.entries<any>(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      check(HTTP_METHODS.includes(method), `${where}: unknown method`);
      check(typeof operation.operationId === 'string' && !operationIds.has(operation.operationId), `${where}: operationId missing or repeated`);
      operationIds.add(operation.operationId);
      const parameters = operation.parameters ?? [];
      for (const name of templated) check(parameters.some((p: any) => p.in === 'path' && p.name === name && p.required === true), `${where}: path parameter ${name} must be declared and required`);
      for (const p of parameters) check(['path', 'query', 'header', 'cookie'].includes(p.in) && typeof p.name === 'string' && p.schema !== undefined, `${where}: parameter ${p.name} malformed`);
      const responses = Object.entries<any>(operation.responses ?? {});
      check(responses.length > 0, `${where}: responses required`);
      for (const [status, response] of responses) {
        check(/^([1-5]\d\d|[1-5]XX|default)$/.test(status), `${where}: response key ${status}`);
        check(typeof response.$ref === 'string' || typeof response.description === 'string', `${where} ${status}: description required`);
      }
      if (operation.requestBody) check(Object.keys(operation.requestBody.content ?? {}).length > 0, `${where}: requestBody needs content`);
      for (const requirement of operation.security ?? []) {
        for (const [scheme, scopes] of Object.entries<any>(requirement)) {
          check(scheme in schemes, `${where}: security scheme ${scheme} not declared`);
          if (schemes[scheme]?.type === 'oauth2') {
            for (const flow of Object.values<any>(schemes[scheme].flows)) for (const scope of scopes) check(scope in flow.scopes, `${where}: scope ${scope} not declared in ${scheme}`);
          }
        }
      }
    }
  }
  for (const scheme of Object.values<any>(schemes)) {
    check(['apiKey', 'http', 'oauth2', 'openIdConnect', 'mutualTLS'].includes(scheme.type), `security scheme type ${scheme.type}`);
    if (scheme.type === 'oauth2') for (const flow of Object.values<any>(scheme.flows)) check(/^https:\/\//.test(flow.tokenUrl) && typeof flow.scopes === 'object', 'oauth2 flows need https token URLs and scopes');
  }
  // Every $ref resolves inside the document.
  const visit = (node: any) => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      if (typeof node.$ref === 'string') {
        const target = node.$ref.replace(/^#\//, '').split('/').reduce((at: any, key: string) => at?.[key], doc);
        check(node.$ref.startsWith('#/') && target !== undefined, `unresolved $ref ${node.$ref}`);
      }
      Object.values(node).forEach(visit);
    }
  };
  visit(doc);
  return problems;
}

describe.each(ENVIRONMENTS)('%s OpenAPI document', (environment) => {
  const config = environmentConfig(environment);
  const doc = openApiDocument(config, fullScope, '0.0.0-test');
  const routes = apiRoutes(config);

  test('is structurally valid OpenAPI 3.1', () => {
    expect(structuralProblems(doc)).toEqual([]);
  });

  test('the structural check catches a broken document', () => {
    const broken = JSON.parse(JSON.stringify(doc));
    broken.paths['/notifications/{id}'].get.parameters = [];
    broken.paths['/notifications'].post.requestBody.content['application/json'].schema.$ref = '#/components/schemas/Missing';
    expect(structuralProblems(broken)).toEqual(['GET /notifications/{id}: path parameter id must be declared and required', 'unresolved $ref #/components/schemas/Missing']);
  });

  test('covers every route and method, and exactly the methods of the synthesized API', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`)).sort();
    const fromRoutes = routes.flatMap((route) => openApiMethods(route.method).map((method) => `${method} ${openApiPath(route.path)}`)).sort();
    const synthesized = synthesizedMethods(environment)
      .filter((m) => m.httpMethod !== 'OPTIONS')
      .flatMap((m) => openApiMethods(m.httpMethod as never).map((method) => `${method} ${openApiPath(m.path)}`))
      .sort();
    expect(documented).toEqual(fromRoutes);
    expect(documented).toEqual(synthesized);
  });

  test('states each route\'s authentication: Cognito scopes, the webhook secret, or provider verification', () => {
    const cognito = (doc.components as any).securitySchemes.cognito;
    const domain = config.identity.customDomain?.domainName ?? `${config.identity.domainPrefix}.auth.${config.region}.amazoncognito.com`;
    expect(cognito.flows.clientCredentials.tokenUrl).toBe(`https://${domain}/oauth2/token`);
    expect(Object.keys(cognito.flows.clientCredentials.scopes).sort()).toEqual(config.identity.scopes.map((s) => fullScope(s.name)).sort());
    for (const route of routes) {
      for (const method of openApiMethods(route.method)) {
        const operation = doc.paths[openApiPath(route.path)][method];
        const auth = route.authentication;
        expect(operation.security).toEqual(auth.type === 'cognito' ? [{ cognito: auth.scopes.map(fullScope) }] : auth.type === 'shared-secret' ? [{ webhookSecret: [] }] : []);
      }
    }
    expect((doc.components as any).securitySchemes.webhookSecret).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-connect-webhook-secret' });
  });

  test('request bodies are the handlers\' schemas; answers include the success status and JSON errors', () => {
    const schemas = (doc.components as any).schemas;
    for (const route of routes) {
      for (const method of openApiMethods(route.method)) {
        const operation = doc.paths[openApiPath(route.path)][method];
        if (route.body?.schema && route.body.modelName) {
          expect(operation.requestBody.content[route.body.contentType].schema).toEqual({ $ref: `#/components/schemas/${route.body.modelName}` });
          const { $schema: _drop, ...expected } = z.toJSONSchema(route.body.schema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
          expect(schemas[route.body.modelName]).toEqual(expected);
        }
        expect(operation.responses[String(route.success.status)].description).toBe(route.success.description);
        for (const status of ['400', '403', '429']) expect(operation.responses[status]).toEqual({ $ref: `#/components/responses/Error${status}` });
      }
    }
    expect(schemas.Error.properties.error.required).toEqual(['code', 'message']);
    expect(Object.values((doc.components as any).responses).every((r: any) => r.content['application/json'].schema.$ref === '#/components/schemas/Error')).toBe(true);
  });

  test('servers: the custom domain where configured, else the execute-api endpoint of the stage', () => {
    const domain = config.api.customDomain?.domainName;
    expect(doc.servers[0].url).toBe(domain ? `https://${domain}` : `https://{apiId}.execute-api.${config.region}.amazonaws.com/v1`);
  });
});

test('docs/openapi/<env>.json are up to date with the generator (npm run openapi)', () => {
  const generated = openApiDocumentsByEnvironment();
  expect(Object.keys(generated).sort()).toEqual([...ENVIRONMENTS].sort());
  for (const [environment, text] of Object.entries(generated)) {
    expect({ environment, text: readFileSync(join(OPENAPI_DIR, `${environment}.json`), 'utf8') }).toEqual({ environment, text });
  }
});
