/**
 * The web ACL of each environment, evaluated on requests (test/support/waf-eval.ts) as well as read: who the
 * hosting-provider block applies to, which per-IP limit counts a request, per-route source allow-lists, the CORS
 * origin the gateway responses answer with, and the capacity against WAF's limits.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { apiRoutes, calledByServers, routeKey } from '../lib/api/routes';
import { CORS_ORIGIN_HEADER, HOSTING_PROVIDER_LABEL, RegionalWebAcl, type RegionalWebAclProps } from '../lib/constructs/web-acl';
import { MANAGED_RULE_GROUP_WCU, MAX_RATE_BASED_RULES, WCU_INCLUDED_IN_BASE_PRICE, webAclCapacity } from '../lib/constructs/web-acl-capacity';
import { resourcePathPattern, ruleSuffix } from '../lib/constructs/web-acl-statements';
import { ENVIRONMENTS } from './support/assembly';
import { apiTemplateJson, environmentConfig, resourcesOfType } from './support/api-template';
import { evaluateWebAcl, ipSetResolver, mappedHeaderValue, type WafRequest } from './support/waf-eval';

/** Addresses in no configured IP set (TEST-NET-1 of RFC 5737; shared address space of RFC 6598). */
const HOSTING_PROVIDER_IP = '192.0.2.10';
const BROWSER_IP = '100.64.7.7';
const hostingProvider = { AWSManagedRulesAnonymousIpList: ['HostingProviderIPList'] };
const anonymizer = { AWSManagedRulesAnonymousIpList: ['AnonymousIPList'] };

/** A URI path of a resource path: path variables filled in. */
const concrete = (path: string) => path.replace(/\{[^}]+\+\}/, 'v2/balances').replace(/\{[^}]+\}/g, '0c3f5d1e-9b7a-4c2e-8f00-123456789abc');

/** The synthesized rules in the construct's own (camelCase) shape, for webAclCapacity. */
function camelCase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelCase);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key.startsWith('IPSet') ? `ipSet${key.slice(5)}` : key[0].toLowerCase() + key.slice(1), camelCase(item)]));
}

const capacities: Record<string, number> = {};
afterAll(() => {
  if (Object.keys(capacities).length > 0) console.log(`web ACL capacity (WCU): ${Object.entries(capacities).map(([env, wcu]) => `${env} ${wcu}`).join(', ')}`);
});

describe.each(ENVIRONMENTS)('%s web ACL', (environment) => {
  const config = environmentConfig(environment);
  const routes = apiRoutes(config);
  const [, aclResource] = resourcesOfType(environment, 'AWS::WAFv2::WebACL')[0];
  const acl = aclResource.Properties;
  const ipSets = ipSetResolver(apiTemplateJson(environment).Resources);
  const evaluate = (request: WafRequest) => evaluateWebAcl(acl, request, ipSets);
  const rule = (name: string) => acl.Rules.find((r: any) => r.Name === name);
  // A route with a source allow-list (a payment provider's published IPs) is only ever called from those: its
  // requests here come from the first listed address (the allow-list itself is tested below).
  const allowedSource = (route: { method: string; path: string }) => config.api.waf.routes[`${route.method} ${route.path}`]?.allowedSourceCidrs?.[0].split('/')[0];
  const request = (route: { method: string; path: string }, prefix: string, extra: Partial<WafRequest> = {}): WafRequest => ({
    method: route.method === 'ANY' ? 'GET' : route.method,
    uriPath: `${prefix}${concrete(route.path)}`,
    sourceIp: BROWSER_IP,
    ...extra,
    ...(allowedSource(route) && { sourceIp: allowedSource(route) }),
  });

  test('hosting-provider addresses are blocked only on the routes browsers alone call; VPNs and Tor everywhere', () => {
    const serverKeys = routes.filter((route) => calledByServers(route, config.identity)).map(routeKey);
    // Modyo's webhooks, the payment providers' callbacks and the CRM's machine client call from cloud addresses.
    expect(serverKeys).toEqual(expect.arrayContaining(['POST /webhooks/modyo', 'POST /customer-sync/profile-updates']));
    if (config.integrations.khipu) expect(serverKeys).toContain('POST /payments/khipu/notify');
    if (config.integrations.webpay) expect(serverKeys).toEqual(expect.arrayContaining(['GET /payments/webpay/return', 'POST /payments/webpay/return']));
    // The services' routes are for the Widgets' users only.
    for (const service of config.services) expect(serverKeys).not.toContain(`ANY ${service.apiPathPrefix}/{proxy+}`);

    // The group counts HostingProviderIPList (so it labels), and one rule blocks on that label off the server routes.
    const anonymous = rule('AWSManagedRulesAnonymousIpList').Statement.ManagedRuleGroupStatement;
    expect(anonymous.RuleActionOverrides).toEqual([{ Name: 'HostingProviderIPList', ActionToUse: { Count: {} } }]);
    expect(anonymous.ScopeDownStatement).toBeUndefined();
    const block = rule('HostingProviderOutsideServerRoutes');
    expect(block.Priority).toBe(rule('AWSManagedRulesAnonymousIpList').Priority + 1);
    expect(block.Action).toEqual({ Block: {} });
    expect(block.Statement.AndStatement.Statements[0]).toEqual({ LabelMatchStatement: { Scope: 'LABEL', Key: HOSTING_PROVIDER_LABEL } });
    // The paths it is scoped away from: exactly the server routes', with or without the stage.
    const exempt = JSON.stringify(block.Statement.AndStatement.Statements[1]);
    for (const route of routes) expect([routeKey(route), exempt.includes(JSON.stringify(resourcePathPattern(route.path, ['', '/v1'])))]).toEqual([routeKey(route), serverKeys.some((key) => key.endsWith(` ${route.path}`))]);

    for (const route of routes) {
      for (const prefix of ['', '/v1']) {
        const outcome = evaluate(request(route, prefix, { sourceIp: HOSTING_PROVIDER_IP, managedMatches: hostingProvider }));
        const expected = serverKeys.includes(routeKey(route)) ? { action: 'ALLOW' } : { action: 'BLOCK', terminatingRule: 'HostingProviderOutsideServerRoutes' };
        expect({ route: `${prefix}${routeKey(route)}`, ...outcome }).toMatchObject({ route: `${prefix}${routeKey(route)}`, ...expected });
        expect(evaluate(request(route, prefix, { managedMatches: anonymizer }))).toMatchObject({ action: 'BLOCK', terminatingRule: 'AWSManagedRulesAnonymousIpList' });
        expect(evaluate(request(route, prefix))).toMatchObject({ action: 'ALLOW' });
      }
    }
    // Exact routes, not path suffixes or other methods: a service path ending like the webhook, a GET of the
    // webhook path, an unknown path, all still blocked from a hosting provider.
    const fromCloud = { sourceIp: HOSTING_PROVIDER_IP, managedMatches: hostingProvider };
    for (const service of config.services) {
      expect(evaluate({ method: 'POST', uriPath: `${service.apiPathPrefix}/x/webhooks/modyo`, ...fromCloud }).action).toBe('BLOCK');
    }
    expect(evaluate({ method: 'GET', uriPath: '/webhooks/modyo', ...fromCloud }).action).toBe('BLOCK');
    expect(evaluate({ method: 'POST', uriPath: '/webhooks/modyo-other', ...fromCloud }).action).toBe('BLOCK');
    expect(evaluate({ method: 'POST', uriPath: '/webhooks/modyo/', ...fromCloud }).action).toBe('ALLOW');
  });

  test('per-IP rate limits: a route with its own limit is counted there only, with its configured limit; allow-listed sources in none', () => {
    const own = config.api.waf.routes;
    const webhook = routes.find((route) => routeKey(route) === 'POST /webhooks/modyo')!;
    const webhookLimit = own['POST /webhooks/modyo']?.rateLimitPer5Minutes;
    expect(webhookLimit).toBeGreaterThan(config.api.waf.rateLimitPer5Minutes);
    const webhookRule = `RateLimitPerIp-${ruleSuffix('POST /webhooks/modyo')}`;
    expect(rule(webhookRule).Statement.RateBasedStatement.Limit).toBe(webhookLimit);
    expect(rule('RateLimitPerIp').Statement.RateBasedStatement.Limit).toBe(config.api.waf.rateLimitPer5Minutes);

    for (const route of routes) {
      for (const prefix of ['', '/v1']) {
        const limit = own[routeKey(route)]?.rateLimitPer5Minutes;
        const expected = limit === undefined ? ['RateLimitPerIp'] : [`RateLimitPerIp-${ruleSuffix(routeKey(route))}`];
        expect([`${prefix}${routeKey(route)}`, evaluate(request(route, prefix)).countedBy]).toEqual([`${prefix}${routeKey(route)}`, expected]);
      }
    }
    // The webhook over the API-wide limit is not blocked by it; over its own limit it is.
    expect(evaluate(request(webhook, '/v1', { overLimit: ['RateLimitPerIp'] })).action).toBe('ALLOW');
    expect(evaluate(request(webhook, '/v1', { overLimit: [webhookRule] }))).toMatchObject({ action: 'BLOCK', terminatingRule: webhookRule });
    for (const cidr of config.api.waf.allowIpCidrs) {
      const ip = cidr.split('/')[0].replace(/\.0$/, '.9');
      expect(evaluate(request(webhook, '', { sourceIp: ip })).countedBy).toEqual([]);
      expect(evaluate({ method: 'GET', uriPath: '/notifications/x', sourceIp: ip }).countedBy).toEqual([]);
    }
  });

  test('a CORS error reaches an allowed origin with that origin, and no other site', () => {
    const origins = config.api.corsOrigins;
    const responses = resourcesOfType(environment, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => r.Properties);
    const unauthorized = responses.find((r) => r.ResponseType === 'UNAUTHORIZED');
    const mapping = unauthorized.ResponseParameters['gatewayresponse.header.Access-Control-Allow-Origin'];
    const route = { method: 'GET', path: '/notifications/{id}' };
    /** The allow-origin an API Gateway error answers a browser request from `origin` with (undefined: none). */
    const allowOriginFor = (origin: string, extraHeaders: Record<string, string> = {}) => {
      const headers = { origin, ...extraHeaders };
      const outcome = evaluate(request(route, '', { headers }));
      if (outcome.action === 'BLOCK') return { blockedBy: outcome.terminatingRule };
      return { allowOrigin: mappedHeaderValue(mapping, { ...headers, ...outcome.insertedHeaders }) };
    };
    for (const origin of origins) expect(allowOriginFor(origin)).toEqual({ allowOrigin: origin });
    const evil = 'https://evil.example';
    // A browser only hands the body to a page whose origin equals the header.
    expect(allowOriginFor(evil).allowOrigin).not.toBe(evil);
    expect(allowOriginFor(origins[0].toUpperCase()).allowOrigin).not.toBe(origins[0].toUpperCase());
    if (origins.length > 1) {
      expect(allowOriginFor(evil)).toEqual({ allowOrigin: undefined });
      // The header can only come from the web ACL: a client sending it is refused.
      expect(allowOriginFor(evil, { [CORS_ORIGIN_HEADER]: evil })).toEqual({ blockedBy: 'CorsOriginHeaderFromClient' });
      expect(allowOriginFor(origins[1], { [CORS_ORIGIN_HEADER]: origins[0] })).toEqual({ blockedBy: 'CorsOriginHeaderFromClient' });
      origins.forEach((origin, i) => {
        const mark = rule(`CorsOrigin${i + 1}`);
        expect(mark.Action).toEqual({ Count: { CustomRequestHandling: { InsertHeaders: [{ Name: 'connect-cors-origin', Value: origin }] } } });
        expect(mark.Statement.ByteMatchStatement).toMatchObject({ FieldToMatch: { SingleHeader: { Name: 'origin' } }, PositionalConstraint: 'EXACTLY', SearchString: origin });
      });
      expect(rule('CorsOriginHeaderFromClient').Priority).toBe(0);
    } else {
      expect(acl.Rules.filter((r: any) => r.Name.startsWith('CorsOrigin'))).toEqual([]);
    }
  });

  test('capacity: within the 1,500 WCU the web ACL\'s base price includes', () => {
    const capacity = webAclCapacity(camelCase(acl.Rules) as any);
    capacities[environment] = capacity;
    const managed = Object.values(MANAGED_RULE_GROUP_WCU).reduce((sum, wcu) => sum + wcu, 0);
    expect(managed).toBe(1175);
    expect(capacity).toBeGreaterThan(managed);
    expect(capacity).toBeLessThanOrEqual(WCU_INCLUDED_IN_BASE_PRICE);
  });
});

describe('RegionalWebAcl', () => {
  function synth(overrides: Partial<RegionalWebAclProps>) {
    const stack = new Stack(new App(), 'Acl', { env: { account: '111111111111', region: 'us-east-1' } });
    const construct = new RegionalWebAcl(stack, 'WebAcl', {
      name: 'connect-test-api',
      rateLimitPer5Minutes: 1000,
      allowIpCidrs: [],
      denyIpCidrs: [],
      bodyLimits: [{ path: '/payments/khipu/notify', maxBytes: 16 * 1024 }],
      routes: [],
      pathPrefixes: ['', '/v1'],
      corsOrigins: [],
      redactedHeaders: ['authorization'],
      logRetention: logs.RetentionDays.ONE_WEEK,
      logsKey: new kms.Key(stack, 'Key'),
      retainLogs: false,
      ...overrides,
    });
    const resources: Record<string, any> = Template.fromStack(stack).toJSON().Resources;
    const acl = Object.values(resources).find((r) => r.Type === 'AWS::WAFv2::WebACL').Properties;
    return { construct, resources, acl };
  }

  test('a route with a source allow-list answers its listed sources only; other routes are untouched', () => {
    const khipu = { key: 'POST /payments/khipu/notify', method: 'POST', path: '/payments/khipu/notify', calledByServers: true, allowedSourceCidrs: ['198.18.0.0/24'] };
    const other = { key: 'POST /webhooks/modyo', method: 'POST', path: '/webhooks/modyo', calledByServers: true };
    const { resources, acl } = synth({ routes: [khipu, other] });
    const evaluate = (r: WafRequest) => evaluateWebAcl(acl, r, ipSetResolver(resources));
    const rule = acl.Rules.find((r: any) => r.Name === 'SourceAllowList-POST-payments-khipu-notify');
    expect(rule.Action).toEqual({ Block: {} });
    expect(evaluate({ method: 'POST', uriPath: '/v1/payments/khipu/notify', sourceIp: '198.18.0.42' }).action).toBe('ALLOW');
    expect(evaluate({ method: 'POST', uriPath: '/payments/khipu/notify', sourceIp: '198.18.1.42' })).toMatchObject({ action: 'BLOCK', terminatingRule: 'SourceAllowList-POST-payments-khipu-notify' });
    expect(evaluate({ method: 'POST', uriPath: '/webhooks/modyo', sourceIp: '198.18.1.42' }).action).toBe('ALLOW');
    expect(evaluate({ method: 'GET', uriPath: '/payments/khipu/notify', sourceIp: '198.18.1.42' }).action).toBe('ALLOW');
  });

  test('without server routes the hosting-provider rule stays a plain block of the group; the rate-based rule count is bounded', () => {
    const { acl } = synth({ routes: [{ key: 'ANY /accounts/{proxy+}', method: 'ANY', path: '/accounts/{proxy+}', calledByServers: false }] });
    expect(acl.Rules.find((r: any) => r.Name === 'AWSManagedRulesAnonymousIpList').Statement.ManagedRuleGroupStatement.RuleActionOverrides).toBeUndefined();
    expect(acl.Rules.find((r: any) => r.Name === 'HostingProviderOutsideServerRoutes')).toBeUndefined();
    const many = Array.from({ length: MAX_RATE_BASED_RULES }, (_, i) => ({ key: `POST /r${i}`, method: 'POST', path: `/r${i}`, calledByServers: true, rateLimitPer5Minutes: 100 }));
    expect(() => synth({ routes: many })).toThrow(`${MAX_RATE_BASED_RULES + 1} rate-based rules; WAF allows ${MAX_RATE_BASED_RULES} per web ACL`);
  });

  test('path patterns: exact resource paths behind the prefixes, path variables one segment, proxy one or more; no capturing groups', () => {
    const pattern = (path: string) => new RegExp(resourcePathPattern(path, ['', '/v1']));
    expect(pattern('/notifications/{id}').test('/v1/notifications/abc')).toBe(true);
    expect(pattern('/notifications/{id}').test('/notifications/abc/deliveries')).toBe(false);
    expect(pattern('/notifications/{id}').test('/v2/notifications/abc')).toBe(false);
    expect(pattern('/accounts/{proxy+}').test('/accounts/a/b/c')).toBe(true);
    expect(pattern('/accounts/{proxy+}').test('/accounts/')).toBe(false);
    expect(pattern('/webhooks/modyo').test('/xwebhooks/modyo')).toBe(false);
    expect(resourcePathPattern('/webhooks/modyo', [''])).toBe('^/webhooks/modyo/?$');
    for (const path of ['/notifications/{id}', '/accounts/{proxy+}', '/payments/webpay/return']) expect(resourcePathPattern(path, ['', '/v1'])).not.toMatch(/\((?!\?:)/);
  });

  test('capacity follows the statement pages\' figures', () => {
    const path = { regexMatchStatement: { fieldToMatch: { uriPath: {} }, regexString: '^/a$', textTransformations: [{ priority: 0, type: 'NONE' }] } };
    const method = { byteMatchStatement: { fieldToMatch: { method: {} }, positionalConstraint: 'EXACTLY', searchString: 'POST', textTransformations: [{ priority: 0, type: 'NONE' }] } };
    const rules = [
      { name: 'a', priority: 0, action: { block: {} }, visibilityConfig: {} as any, statement: { andStatement: { statements: [method, path] } } },
      { name: 'b', priority: 1, action: { block: {} }, visibilityConfig: {} as any, statement: { rateBasedStatement: { limit: 10, aggregateKeyType: 'IP', scopeDownStatement: { notStatement: { statement: { ipSetReferenceStatement: { arn: 'x' } } } } } } },
      { name: 'c', priority: 2, action: { block: {} }, visibilityConfig: {} as any, statement: { labelMatchStatement: { scope: 'LABEL', key: 'k' } } },
      { name: 'd', priority: 3, action: { block: {} }, visibilityConfig: {} as any, statement: { byteMatchStatement: { ...method.byteMatchStatement, positionalConstraint: 'CONTAINS', textTransformations: [{ priority: 0, type: 'LOWERCASE' }] } } },
      { name: 'e', priority: 4, overrideAction: { none: {} }, visibilityConfig: {} as any, statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesAnonymousIpList' } } },
    ];
    // 2 + 3; 2 + 1; 1; 10 + 10; 50.
    expect(webAclCapacity(rules)).toBe(5 + 3 + 1 + 20 + 50);
    expect(() => webAclCapacity([{ ...rules[0], statement: { geoMatchStatement: { countryCodes: ['CL'] } } }])).toThrow('unknown statement geoMatchStatement');
  });
});
