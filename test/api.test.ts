import { Match } from 'aws-cdk-lib/assertions';
import { z } from 'zod';
import { apiRoutes, routeKey, WEBHOOK_SECRET_HEADER } from '../lib/api/routes';
import { CORS_ORIGIN_HEADER } from '../lib/constructs/web-acl';
import { MANAGED_RULE_GROUPS } from '../lib/constructs/web-acl-capacity';
import { BODY_INSPECTION_LIMIT_BYTES, decimalAbovePattern, ruleSuffix } from '../lib/constructs/web-acl-statements';
import { RESOURCE_SERVER_IDENTIFIER } from '../lib/stacks/identity-stack';
import { PaymentsApiEnv } from '../lambda/payments/contract';
import { configuredProviders } from '../lambda/payments/wiring';
import { parseEnv } from '../lambda/shared/env';
import { ENVIRONMENTS, stackTemplate } from './support/assembly';
import { synthesizeFaultyApp } from './support/route-guard-faults';
import { apiTemplateJson, environmentConfig, resourcesOfType, synthesizedMethods } from './support/api-template';

const fullScope = (name: string) => `${RESOURCE_SERVER_IDENTIFIER}/${name}`;
const only = <T>(items: T[]): T => {
  expect(items).toHaveLength(1);
  return items[0];
};

describe.each(ENVIRONMENTS)('%s API', (environment) => {
  const config = environmentConfig(environment);
  const routes = apiRoutes(config);
  const methods = synthesizedMethods(environment);
  const template = stackTemplate(environment, 'Api');
  const authorizerId = only(resourcesOfType(environment, 'AWS::ApiGateway::Authorizer'))[0];

  test('every method is a route of the table with its Cognito scopes, an explicitly public route, or a CORS preflight', () => {
    const byKey = new Map(routes.map((route) => [routeKey(route), route]));
    for (const method of methods) {
      const key = `${method.httpMethod} ${method.path}`;
      const route = byKey.get(key);
      if (method.httpMethod === 'OPTIONS') {
        expect({ key, type: method.properties.Integration.Type, auth: method.properties.AuthorizationType }).toEqual({ key, type: 'MOCK', auth: 'NONE' });
        continue;
      }
      expect(route && key).toBe(key);
      if (!route) continue;
      if (route.authentication.type === 'cognito') {
        expect({ key, type: method.properties.AuthorizationType, authorizer: method.properties.AuthorizerId, scopes: method.properties.AuthorizationScopes }).toEqual({
          key,
          type: 'COGNITO_USER_POOLS',
          authorizer: { Ref: authorizerId },
          scopes: route.authentication.scopes.map(fullScope),
        });
      } else {
        expect(['shared-secret', 'provider-verified', 'public']).toContain(route.authentication.type);
        expect({ key, type: method.properties.AuthorizationType }).toEqual({ key, type: 'NONE' });
      }
    }
    // ...and every route of the table is served.
    expect(methods.filter((m) => m.httpMethod !== 'OPTIONS').map((m) => `${m.httpMethod} ${m.path}`).sort()).toEqual(routes.map(routeKey).sort());
  });

  test('the authorizer is the environment user pool, reading the Authorization header', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'COGNITO_USER_POOLS', IdentitySource: 'method.request.header.Authorization' });
  });

  test('service routes reach their ECS service through the VPC link v2 to the internal ALB', () => {
    for (const service of config.services) {
      const method = only(methods.filter((m) => m.path === `${service.apiPathPrefix}/{proxy+}` && m.httpMethod === 'ANY'));
      expect(method.properties.Integration).toMatchObject({ Type: 'HTTP_PROXY', ConnectionType: 'VPC_LINK', IntegrationHttpMethod: 'ANY' });
      expect(method.properties.Integration.ConnectionId).toBeDefined();
      expect(method.properties.Integration.IntegrationTarget).toBeDefined();
      expect(method.properties.RequestParameters).toEqual({ 'method.request.path.proxy': true });
    }
  });

  test('JSON bodies are validated against models made from the handlers\' zod schemas; required parameters too', () => {
    const validators = Object.fromEntries(resourcesOfType(environment, 'AWS::ApiGateway::RequestValidator').map(([id, r]) => [id, r.Properties]));
    const models = Object.fromEntries(resourcesOfType(environment, 'AWS::ApiGateway::Model').map(([id, r]) => [id, r.Properties]));
    for (const route of routes) {
      const method = only(methods.filter((m) => m.httpMethod === route.method && m.path === route.path));
      const validator = method.properties.RequestValidatorId && validators[method.properties.RequestValidatorId.Ref];
      if (route.body?.schema && route.body.contentType === 'application/json') {
        expect(validator).toMatchObject({ ValidateRequestBody: true, ValidateRequestParameters: true });
        const model = models[method.properties.RequestModels['application/json'].Ref];
        expect(model.Name).toBe(route.body.modelName);
        expect(model.Schema).toEqual(z.toJSONSchema(route.body.schema, { target: 'draft-4' }));
      } else if (route.parameters.some((p) => p.required)) {
        expect(validator).toMatchObject({ ValidateRequestParameters: true });
      }
      for (const parameter of route.parameters.filter((p) => p.required)) {
        expect(method.properties.RequestParameters[`method.request.${parameter.in === 'query' ? 'querystring' : parameter.in}.${parameter.name}`]).toBe(true);
      }
    }
  });

  test('payment routes are exactly the paths and methods the payments handler routes by (event.resource)', () => {
    const served = routes.filter((r) => r.target.kind === 'handler' && r.target.handler === 'payments').map(routeKey).sort();
    // The providers the deployed function builds: its synthesized environment (references as placeholders) wired as at cold start.
    const integrations = stackTemplate(environment, 'Integrations').toJSON().Resources as Record<string, { Type: string; Properties: any }>;
    const [api] = Object.entries(integrations).filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && /^PaymentsApi[0-9A-F]{8}$/.test(id));
    const variables = Object.fromEntries(Object.entries(api[1].Properties.Environment.Variables as Record<string, unknown>).map(([name, value]) => [name, typeof value === 'string' ? value : 'deploy-time-value']));
    const declared = configuredProviders(parseEnv(PaymentsApiEnv, variables), 1000)
      .flatMap((p) => p.route.methods.map((m) => `${m} ${p.route.path}`))
      .sort();
    expect(declared.length).toBeGreaterThanOrEqual(6);
    expect(served).toEqual(declared);
    // Checkout and my payments go to their own function.
    expect(routes.filter((r) => r.target.kind === 'handler' && r.target.handler === 'paymentsCheckout').map(routeKey).sort()).toEqual(['GET /payments', 'GET /payments/{id}', 'POST /payments']);
  });

  test('stage: JSON access logs to an encrypted, retained log group; execution logging ERROR without data; X-Ray; throttling from config', () => {
    const stage = only(resourcesOfType(environment, 'AWS::ApiGateway::Stage'))[1].Properties;
    expect(stage.TracingEnabled).toBe(true);
    const format = JSON.parse(stage.AccessLogSetting.Format);
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status', resourcePath: '$context.resourcePath', ip: '$context.identity.sourceIp' });
    const [accessLogsId, accessLogGroup] = only(resourcesOfType(environment, 'AWS::Logs::LogGroup').filter(([id]) => JSON.stringify(stage.AccessLogSetting.DestinationArn).includes(id)));
    expect(accessLogsId).toMatch(/^AccessLogs/);
    expect(accessLogGroup.Properties).toMatchObject({ RetentionInDays: config.logRetentionDays, KmsKeyId: expect.anything() });
    const all = stage.MethodSettings.find((s: any) => s.HttpMethod === '*' && s.ResourcePath === '/*');
    expect(all).toMatchObject({ LoggingLevel: 'ERROR', DataTraceEnabled: false, ThrottlingRateLimit: config.api.throttling.rateLimit, ThrottlingBurstLimit: config.api.throttling.burstLimit });
    for (const setting of stage.MethodSettings) expect(setting).toMatchObject({ LoggingLevel: 'ERROR', DataTraceEnabled: false });
    for (const [key, limits] of Object.entries(config.api.routeThrottling)) {
      const [method, path] = key.split(' ');
      expect(stage.MethodSettings).toContainEqual(
        expect.objectContaining({ HttpMethod: method, ResourcePath: `/${path.replace(/\//g, '~1')}`, ThrottlingRateLimit: limits.rateLimit, ThrottlingBurstLimit: limits.burstLimit }),
      );
    }
    expect(stage.MethodSettings).toHaveLength(1 + Object.keys(config.api.routeThrottling).length);
    // API Gateway's own execution log group, created first so it is encrypted and expires.
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: Match.anyValue() }, '/v1']] }, RetentionInDays: config.logRetentionDays, KmsKeyId: Match.anyValue() });
  });

  test('API Gateway\'s own errors are JSON {"error":{"code","message"}}', () => {
    const responses = resourcesOfType(environment, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => r.Properties);
    const types = responses.map((r) => r.ResponseType);
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX', 'UNAUTHORIZED', 'ACCESS_DENIED', 'THROTTLED', 'BAD_REQUEST_BODY', 'BAD_REQUEST_PARAMETERS', 'WAF_FILTERED', 'MISSING_AUTHENTICATION_TOKEN']) expect(types).toContain(type);
    for (const response of responses) {
      const body = response.ResponseTemplates['application/json'].replace('$context.error.messageString', '"Unauthorized"');
      expect(JSON.parse(body)).toEqual({ error: { code: expect.stringMatching(/^[a-z_]+$/), message: 'Unauthorized' } });
      expect(response.ResponseParameters['gatewayresponse.header.Content-Type']).toBe("'application/json'");
    }
    expect(responses.find((r) => r.ResponseType === 'THROTTLED').StatusCode).toBe('429');
    expect(responses.find((r) => r.ResponseType === 'MISSING_AUTHENTICATION_TOKEN').StatusCode).toBe('404');
  });

  test('CORS: preflight only on the private routes, only for the configured origins, never a wildcard', () => {
    const origins = config.api.corsOrigins;
    const preflights = methods.filter((m) => m.httpMethod === 'OPTIONS');
    const privatePaths = [...new Set(routes.filter((r) => r.authentication.type === 'cognito').map((r) => r.path))].sort();
    expect(preflights.map((m) => m.path).sort()).toEqual(origins.length > 0 ? privatePaths : []);
    for (const preflight of preflights) {
      const response = preflight.properties.Integration.IntegrationResponses[0];
      expect(response.ResponseParameters['method.response.header.Access-Control-Allow-Origin']).toBe(`'${origins[0]}'`);
      const template = response.ResponseTemplates?.['application/json'] ?? '';
      for (const other of origins.slice(1)) expect(template).toContain(`$origin == "${other}"`);
    }
    const text = JSON.stringify(apiTemplateJson(environment));
    expect(text).not.toMatch(/Access-Control-Allow-Origin[^,]*'\*'/);
    const allowOrigins = resourcesOfType(environment, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => r.Properties.ResponseParameters['gatewayresponse.header.Access-Control-Allow-Origin']);
    // One origin is stated on API Gateway's own errors; with several, the header the web ACL inserts only for an
    // allowed Origin is echoed (test/waf.test.ts evaluates it); never the request's own Origin.
    const expected = origins.length === 0 ? undefined : origins.length === 1 ? `'${origins[0]}'` : `method.request.header.${CORS_ORIGIN_HEADER}`;
    expect(new Set(allowOrigins)).toEqual(new Set([expected]));
    expect(text).not.toMatch(/method\.request\.header\.[Oo]rigin/);
  });

  test('web ACL: deny list, source allow-lists, CORS origin marks, rate limits (API-wide and per route), body limits, then the AWS managed groups, from config', () => {
    const acl = only(resourcesOfType(environment, 'AWS::WAFv2::WebACL'))[1].Properties;
    expect(acl.Scope).toBe('REGIONAL');
    const names = acl.Rules.sort((a: any, b: any) => a.Priority - b.Priority).map((r: any) => r.Name);
    const waf = config.api.waf;
    const origins = config.api.corsOrigins;
    const allowListed = Object.entries(waf.routes).filter(([, r]) => r.allowedSourceCidrs);
    const ownLimits = Object.entries(waf.routes).filter(([, r]) => r.rateLimitPer5Minutes !== undefined);
    expect(names).toEqual([
      ...(origins.length > 1 ? ['CorsOriginHeaderFromClient'] : []),
      ...(waf.denyIpCidrs.length > 0 ? ['DenyListedIps'] : []),
      ...allowListed.map(([key]) => `SourceAllowList-${ruleSuffix(key)}`),
      ...(origins.length > 1 ? origins.map((_, i) => `CorsOrigin${i + 1}`) : []),
      'RateLimitPerIp',
      ...ownLimits.map(([key]) => `RateLimitPerIp-${ruleSuffix(key)}`),
      'BodyOverRouteLimit',
      'BodyOverLargestLimit',
      ...MANAGED_RULE_GROUPS.flatMap((group) => (group === 'AWSManagedRulesAnonymousIpList' ? [group, 'HostingProviderOutsideServerRoutes'] : [group])),
    ]);
    const rate = acl.Rules.find((r: any) => r.Name === 'RateLimitPerIp').Statement.RateBasedStatement;
    expect(rate).toMatchObject({ Limit: waf.rateLimitPer5Minutes, EvaluationWindowSec: 300, AggregateKeyType: 'IP' });
    for (const [key, route] of ownLimits) {
      const own = acl.Rules.find((r: any) => r.Name === `RateLimitPerIp-${ruleSuffix(key)}`);
      expect(own.Action).toEqual({ Block: {} });
      expect(own.Statement.RateBasedStatement).toMatchObject({ Limit: route.rateLimitPer5Minutes, EvaluationWindowSec: 300, AggregateKeyType: 'IP' });
    }
    // No rule ALLOWs (that would end inspection); the allow list only scopes the rate limits down.
    expect(acl.Rules.filter((r: any) => r.Action?.Allow)).toEqual([]);
    const scope = JSON.stringify(rate.ScopeDownStatement ?? null);
    expect(scope.includes('IPSetReferenceStatement')).toBe(waf.allowIpCidrs.length > 0);
    if (waf.allowIpCidrs.length === 0 && ownLimits.length === 0) expect(rate.ScopeDownStatement).toBeUndefined();
    const ipSets = resourcesOfType(environment, 'AWS::WAFv2::IPSet').map(([, r]) => r.Properties.Addresses);
    expect(ipSets.sort()).toEqual([waf.denyIpCidrs, waf.allowIpCidrs, ...allowListed.map(([, r]) => r.allowedSourceCidrs!)].filter((list) => list.length > 0).sort());
    const deny = acl.Rules.find((r: any) => r.Name === 'DenyListedIps');
    if (deny) expect(deny.Action).toEqual({ Block: {} });
    const common = acl.Rules.find((r: any) => r.Name === 'AWSManagedRulesCommonRuleSet').Statement.ManagedRuleGroupStatement;
    expect(common.RuleActionOverrides).toEqual([{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }]);
    expect(acl.AssociationConfig).toEqual({ RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: `KB_${BODY_INSPECTION_LIMIT_BYTES / 1024}` } } });
  });

  test('body limits: each route\'s own limit (the handler\'s constant), and the largest one everywhere', () => {
    const acl = only(resourcesOfType(environment, 'AWS::WAFv2::WebACL'))[1].Properties;
    const perRoute = acl.Rules.find((r: any) => r.Name === 'BodyOverRouteLimit');
    expect(perRoute.Action).toEqual({ Block: {} });
    const statements = perRoute.Statement.OrStatement.Statements.map((s: any) => s.AndStatement.Statements);
    const limits = new Map(routes.filter((r) => r.body).map((r) => [r.path, r.body!.maxBytes]));
    expect(statements).toHaveLength(limits.size);
    for (const [path, maxBytes] of limits) {
      const [match, limit] = only<any[]>(statements.filter((s: any) => s[0].ByteMatchStatement.SearchString === path));
      expect(match.ByteMatchStatement.PositionalConstraint).toBe('ENDS_WITH');
      if (maxBytes <= BODY_INSPECTION_LIMIT_BYTES) {
        expect(limit.SizeConstraintStatement).toMatchObject({ ComparisonOperator: 'GT', Size: maxBytes, FieldToMatch: { Body: { OversizeHandling: 'MATCH' } } });
      } else {
        expect(limit.RegexMatchStatement).toMatchObject({ FieldToMatch: { SingleHeader: { Name: 'content-length' } }, RegexString: decimalAbovePattern(maxBytes) });
      }
    }
    const largest = Math.max(...limits.values());
    expect(largest).toBe(256 * 1024);
    expect(acl.Rules.find((r: any) => r.Name === 'BodyOverLargestLimit').Statement.RegexMatchStatement.RegexString).toBe(decimalAbovePattern(largest));
  });

  test('the web ACL is associated with the stage after the stage exists, and logs with credentials redacted', () => {
    const [stageId] = only(resourcesOfType(environment, 'AWS::ApiGateway::Stage'));
    const association = only(resourcesOfType(environment, 'AWS::WAFv2::WebACLAssociation'))[1];
    expect(association.DependsOn).toContain(stageId);
    expect(JSON.stringify(association.Properties.ResourceArn)).toContain(stageId);
    const logging = only(resourcesOfType(environment, 'AWS::WAFv2::LoggingConfiguration'))[1].Properties;
    expect(logging.RedactedFields).toEqual(expect.arrayContaining([{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: WEBHOOK_SECRET_HEADER } }]));
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: `aws-waf-logs-connect-${environment}-api`, RetentionInDays: config.logRetentionDays, KmsKeyId: Match.anyValue() });
  });

  test('custom domain (TLS 1.2, certificate, DNS) only where configured; otherwise the execute-api endpoint', () => {
    const domain = config.api.customDomain;
    const api = only(resourcesOfType(environment, 'AWS::ApiGateway::RestApi'))[1].Properties;
    expect(api.EndpointConfiguration).toEqual({ Types: ['REGIONAL'] });
    const domains = resourcesOfType(environment, 'AWS::ApiGateway::DomainName');
    if (!domain) {
      expect(domains).toHaveLength(0);
      expect(api.DisableExecuteApiEndpoint).toBeFalsy();
      return;
    }
    expect(api.DisableExecuteApiEndpoint).toBe(true);
    expect(only(domains)[1].Properties).toMatchObject({ DomainName: domain.domainName, SecurityPolicy: 'TLS_1_2', EndpointConfiguration: { Types: ['REGIONAL'] } });
    template.resourceCountIs('AWS::ApiGateway::BasePathMapping', 1);
    const certificates = resourcesOfType(environment, 'AWS::CertificateManager::Certificate');
    if (domain.certificateArn) expect(certificates).toHaveLength(0);
    else {
      expect(only(certificates)[1].Properties).toMatchObject({ DomainName: domain.domainName, ValidationMethod: 'DNS' });
      if (domain.hostedZoneId) expect(only(certificates)[1].Properties.DomainValidationOptions).toEqual([{ DomainName: domain.domainName, HostedZoneId: domain.hostedZoneId }]);
    }
    const records = resourcesOfType(environment, 'AWS::Route53::RecordSet');
    expect(records.map(([, r]) => [r.Properties.HostedZoneId, r.Properties.Name, r.Properties.Type])).toEqual(domain.hostedZoneId ? [[domain.hostedZoneId, `${domain.domainName}.`, 'A']] : []);
  });
});

test('the content-length pattern matches exactly the numbers above the limit', () => {
  for (const limit of [0, 9, 10, 4096, 65536, 262144, 999]) {
    const pattern = new RegExp(decimalAbovePattern(limit));
    for (const n of [0, 1, limit - 1, limit, limit + 1, limit + 10, limit * 10, 9_999_999, 10_000_000]) {
      if (n < 0) continue;
      expect({ limit, n, match: pattern.test(String(n)) }).toEqual({ limit, n, match: n > limit });
    }
    expect(pattern.test(`00${limit + 1}`)).toBe(true);
    expect(pattern.test(`${limit}x`)).toBe(false);
  }
});

describe('the private-route guard', () => {
  // The dev app (buildConnectApp, as bin/connect.ts builds it) with both faults at once, synthesized by the global
  // setup's child (test/support/route-guard-faults.ts); each test asserts its own fault is named.
  test('a method added without the route table\'s authorizer fails synth', () => {
    expect(synthesizeFaultyApp).toThrow(/DELETE \/notifications: not in the route table/);
  });

  test('a private route that loses its scopes fails synth', () => {
    expect(synthesizeFaultyApp).toThrow(/GET \/notifications\/\{id\}: a private route must use the Cognito authorizer[\s\S]*expected authorization scopes connect\/notifications.read; got none/);
  });
});
