import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configJsonSchema } from '../scripts/write-config-schema';
import { ConfigError, cidrsOverlap, loadEnvironmentConfigs, parseEnvironmentConfig } from '../lib/config/load';
import { CONFIG_DIR, problemsOf, shippedConfig as shipped } from './support/config-problems';



/** A copy of the shipped `base` config named `name`, of `kind`, with its own account, VPC range and Cognito domain prefix. */
const env = (name: string, kind: string, cidr: string, base = 'dev') => ({
  ...shipped(base),
  name,
  kind,
  account: String(100000000000 + ([...name].reduce((n, c) => n * 31 + c.charCodeAt(0), 7) % 800000000000)),
  network: { ...shipped(base).network, vpcCidr: cidr },
  identity: { ...shipped(base).identity, domainPrefix: `p-${name}` },
});

function loadDirectory(files: Record<string, unknown>): () => unknown {
  const directory = mkdtempSync(join(tmpdir(), 'connect-config-'));
  for (const [file, content] of Object.entries(files)) writeFileSync(join(directory, file), typeof content === 'string' ? content : JSON.stringify(content));
  return () => loadEnvironmentConfigs(directory);
}

/** The error lines of loading a directory of `files`. */
function loadProblems(files: Record<string, unknown>): string[] {
  try {
    loadDirectory(files)();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('shipped environment configs', () => {
  test('load, validate as a set and cover production plus two pre-production environments', () => {
    const configs = loadEnvironmentConfigs(CONFIG_DIR);
    expect(configs.map((c) => `${c.name}:${c.kind}`)).toEqual(['dev:preproduction', 'prod:production', 'staging:preproduction']);
  });

  test('config/schema.json is generated from the schema and up to date', () => {
    const committed = JSON.parse(readFileSync(join(CONFIG_DIR, 'schema.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
  });
});

describe('a bad value stops synth naming the file, the field and what is expected', () => {
  test.each([
    ['unknown field', (c: any) => (c.network.vpcCidrr = '10.0.0.0/16'), 'config/dev.json: network: unknown field(s) "vpcCidrr"'],
    ['CIDR that is not a CIDR', (c: any) => (c.network.vpcCidr = '10.0.0/16'), 'config/dev.json: network.vpcCidr: expected an IPv4 CIDR block'],
    ['CIDR octet out of range', (c: any) => (c.network.vpcCidr = '10.300.0.0/16'), 'config/dev.json: network.vpcCidr: expected an IPv4 CIDR block'],
    ['AZ of another region', (c: any) => (c.availabilityZones = ['us-east-1a', 'us-west-2b']), 'config/dev.json: availabilityZones[1]: expected an availability zone of region us-east-1'],
    ['retention CloudWatch does not accept', (c: any) => (c.logRetentionDays = 42), 'config/dev.json: logRetentionDays: expected one of the retention periods CloudWatch Logs accepts'],
    ['account id that is a number', (c: any) => (c.account = 111111111111), 'config/dev.json: account:'],
    ['no alarm e-mail', (c: any) => (c.alarms.emails = []), 'config/dev.json: alarms.emails: expected at least one e-mail address'],
    ['more NAT gateways than AZs', (c: any) => (c.network.natGateways = 3), 'config/dev.json: network.natGateways: expected at most one NAT gateway per availability zone (2)'],
    ['client scope not declared', (c: any) => (c.identity.machineClients[0].scopes = ['payments.refund']), 'config/dev.json: identity.machineClients[0].scopes[0]: expected a scope declared in identity.scopes'],
    ['WAF limit below the minimum', (c: any) => (c.api.waf.rateLimitPer5Minutes = 5), 'config/dev.json: api.waf.rateLimitPer5Minutes: expected at least 10'],
    ['CORS origin over http', (c: any) => (c.api.corsOrigins = ['http://dev.example.com']), 'config/dev.json: api.corsOrigins[0]: expected an https:// URL'],
  ])('%s', (_name, edit, expected) => {
    expect(problemsOf('dev', edit).join('\n')).toContain(expected);
  });

  test('a cognito-idp endpoint is refused while the user pool has a domain (PrivateLink cannot reach such a pool)', () => {
    const problems = problemsOf('prod', (c) => c.network.interfaceEndpoints.push('cognito-idp'));
    const index = shipped('prod').network.interfaceEndpoints.length;
    expect(problems).toContainEqual(expect.stringContaining(`config/prod.json: network.interfaceEndpoints[${index}]: expected no "cognito-idp" endpoint: the user pool has a domain`));
    expect(problems.join('\n')).toContain('incompatible with AWS PrivateLink');
  });

  test('production needs one NAT gateway per AZ', () => {
    expect(problemsOf('prod', (c) => (c.network.natGateways = 1))).toContainEqual(expect.stringContaining('config/prod.json: network.natGateways: expected one NAT gateway per availability zone in production (3)'));
  });

  test('the name must match the file', () => {
    expect(problemsOf('dev', (c) => (c.name = 'qa'))).toEqual(['config/dev.json: name: expected "dev" (the file name), got "qa"']);
  });

  test('every problem of a file is reported at once', () => {
    const problems = problemsOf('dev', (c) => {
      c.region = 'moon-1';
      c.logRetentionDays = 0;
    });
    expect(problems.length).toBeGreaterThanOrEqual(2);
    expect(problems.every((p) => p.startsWith('config/dev.json: '))).toBe(true);
  });

  test('malformed JSON names the file', () => {
    const load = loadDirectory({ 'dev.json': '{ "name": "dev", ' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/dev\.json: not valid JSON/);
  });
});

describe('rules across environments', () => {

  test('overlapping VPC CIDRs between environments stop synth', () => {
    const load = loadDirectory({ 'qa.json': env('qa', 'preproduction', '10.0.0.0/16'), 'uat.json': env('uat', 'preproduction', '10.0.128.0/17') });
    expect(load).toThrow(/uat\.json: network\.vpcCidr: expected a range that does not overlap .*qa\.json \(10\.0\.0\.0\/16\); got 10\.0\.128\.0\/17/);
  });

  test('more than two pre-production environments stop synth', () => {
    const load = loadDirectory({
      'qa.json': env('qa', 'preproduction', '10.1.0.0/16'),
      'uat.json': env('uat', 'preproduction', '10.2.0.0/16'),
      'perf.json': env('perf', 'preproduction', '10.3.0.0/16'),
    });
    expect(load).toThrow(/kind: expected at most 2 pre-production environments, found 3/);
  });

  test('CIDR overlap is computed on the address ranges', () => {
    expect(cidrsOverlap('10.0.0.0/16', '10.0.255.0/24')).toBe(true);
    expect(cidrsOverlap('10.0.0.0/16', '10.1.0.0/16')).toBe(false);
    expect(cidrsOverlap('10.0.0.0/8', '10.200.0.0/16')).toBe(true);
  });
});

describe('rules found in review', () => {
  test.each([
    ['a CORS origin with a path', (c: any) => (c.api.corsOrigins = ['https://dev.example.com/widgets']), 'config/dev.json: api.corsOrigins[0]: expected an origin as browsers send it'],
    ['a service prefix under a handler route', (c: any) => (c.services[0].apiPathPrefix = '/notifications/extra'), 'config/dev.json: services[0].apiPathPrefix: expected a prefix outside the integration handlers\' routes'],
    ['a duplicate scope', (c: any) => c.identity.scopes.push({ ...c.identity.scopes[0] }), 'config/dev.json: identity.scopes[6].name: expected a unique scope name'],
    ['a partial secret ARN for a container secret', (c: any) => (c.services[0].secrets = { DB_PASSWORD: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:db' }), 'config/dev.json: services[0].secrets.DB_PASSWORD: expected a complete Secrets Manager secret ARN'],
    ['an API certificate of another region', (c: any) => (c.api.customDomain = { domainName: 'api.dev.example.com', certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f' }), 'config/dev.json: api.customDomain.certificateArn: expected an ACM certificate of account 111111111111 in us-east-1'],
    ['no CRM endpoint (the receiver queues every event for it)', (c: any) => delete c.integrations.crmEndpoint, 'config/dev.json: integrations.crmEndpoint:'],
  ])('%s', (_name, edit, expected) => {
    expect(problemsOf('dev', edit).join('\n')).toContain(expected);
  });

  test('production requires MFA', () => {
    expect(problemsOf('prod', (c) => (c.identity.mfa = 'OPTIONAL'))).toContainEqual(expect.stringContaining('config/prod.json: identity.mfa: expected "REQUIRED" in production'));
  });

  test('the reserved first segments are exactly those of the handler routes', () => {
    const { HANDLER_ROUTES } = require('../lib/api/routes');
    const { HANDLER_PATHS, HANDLER_ROUTE_SEGMENTS } = require('../lib/api/handler-paths');
    const routePaths: string[] = HANDLER_ROUTES.map((route: { path: string }) => route.path);
    expect(new Set(routePaths.map((path) => path.split('/')[1]))).toEqual(new Set(HANDLER_ROUTE_SEGMENTS));
    // The config reads the paths from handler-paths.ts, which loads no handler contract: it and the table agree.
    expect(new Set(routePaths)).toEqual(new Set(Object.values(HANDLER_PATHS)));
    expect(HANDLER_ROUTE_SEGMENTS).toEqual(['webhooks', 'customer-sync', 'notifications', 'payments']);
  });
});

describe('route throttling names routes of the environment', () => {
  test('an unknown route stops synth naming the file, the field and the routes there are', () => {
    const problems = problemsOf('dev', (c) => (c.api.routeThrottling = { 'POST /webhook/modyo': { rateLimit: 10, burstLimit: 20 } }));
    expect(problems).toEqual([expect.stringMatching(/^config\/dev\.json: api\.routeThrottling\["POST \/webhook\/modyo"\]: expected a route of this environment: .*POST \/webhooks\/modyo/)]);
  });

  test('a service route can be throttled by its ANY key', () => {
    const config = JSON.parse(readFileSync(join(CONFIG_DIR, 'dev.json'), 'utf8'));
    config.api.routeThrottling = { 'ANY /accounts/{proxy+}': { rateLimit: 10, burstLimit: 20 } };
    expect(parseEnvironmentConfig('config/dev.json', JSON.stringify(config)).api.routeThrottling).toHaveProperty(['ANY /accounts/{proxy+}']);
  });
});

describe('per-route WAF settings name routes of the environment', () => {
  test('an unknown route stops synth naming the file, the field and the routes there are', () => {
    const problems = problemsOf('dev', (c) => (c.api.waf.routes = { 'POST /payments/nowhere/notify': { allowedSourceCidrs: ['198.18.0.0/24'] } }));
    expect(problems).toEqual([expect.stringMatching(/^config\/dev\.json: api\.waf\.routes\["POST \/payments\/nowhere\/notify"\]: expected a route of this environment: .*POST \/payments\/khipu\/notify/)]);
  });

  test('a route entry sets a limit or an allow-list, each within what WAF accepts', () => {
    expect(problemsOf('dev', (c) => (c.api.waf.routes = { 'POST /webhooks/modyo': {} }))).toEqual(['config/dev.json: api.waf.routes.POST /webhooks/modyo: expected rateLimitPer5Minutes or allowedSourceCidrs']);
    expect(problemsOf('dev', (c) => (c.api.waf.routes = { 'POST /webhooks/modyo': { rateLimitPer5Minutes: 5 } }))).toEqual([
      'config/dev.json: api.waf.routes.POST /webhooks/modyo.rateLimitPer5Minutes: expected at least 10 (the lowest limit WAF accepts)',
    ]);
    expect(problemsOf('dev', (c) => (c.api.waf.routes = { 'POST /payments/khipu/notify': { allowedSourceCidrs: ['198.18.0.0'] } }))).toEqual([
      'config/dev.json: api.waf.routes.POST /payments/khipu/notify.allowedSourceCidrs[0]: expected an IPv4 address range in CIDR form, e.g. "203.0.113.0/24"',
    ]);
    const config = JSON.parse(readFileSync(join(CONFIG_DIR, 'dev.json'), 'utf8'));
    config.api.waf.routes = { 'POST /payments/khipu/notify': { allowedSourceCidrs: ['198.18.0.0/24'] }, 'ANY /accounts/{proxy+}': { rateLimitPer5Minutes: 500 } };
    expect(parseEnvironmentConfig('config/dev.json', JSON.stringify(config)).api.waf.routes).toEqual(config.api.waf.routes);
  });
});

describe('the loader reports every problem of every file in one run', () => {
  test('JSON, schema, route-key, name and cross-file problems of several files come out together, each naming its file and field', () => {
    const qa = env('qa', 'preproduction', '10.1.0.0/16');
    qa.name = 'qa-1';
    qa.logRetentionDays = 42;
    qa.api = { ...qa.api, routeThrottling: { 'POST /webhook/modyo': { rateLimit: 10, burstLimit: 20 } } };
    const uat = env('uat', 'preproduction', '10.1.128.0/17');
    uat.identity.domainPrefix = 'p-qa';
    uat.alarms = { ...uat.alarms, emails: [] };
    const perf = env('perf', 'preproduction', '10.3.0.0/16');
    perf.api = { ...perf.api, waf: { ...perf.api.waf, routes: { 'POST /payments/nowhere/notify': { rateLimitPer5Minutes: 100 } } } };
    const prod = env('prod', 'production', '10.4.0.0/16', 'prod');
    prod.identity.mfa = 'OPTIONAL';
    const prodB = env('prod-b', 'production', '10.5.0.0/16', 'prod');
    prodB.network = { ...prodB.network, natGateways: 1 };

    const problems = loadProblems({ 'broken.json': '{ "name": "broken", ', 'qa.json': qa, 'uat.json': uat, 'perf.json': perf, 'prod.json': prod, 'prod-b.json': prodB });

    const expected = [
      /broken\.json: not valid JSON \(/,
      /qa\.json: logRetentionDays: expected one of the retention periods CloudWatch Logs accepts/,
      /qa\.json: api\.routeThrottling\["POST \/webhook\/modyo"\]: expected a route of this environment: /,
      /qa\.json: name: expected "qa" \(the file name\), got "qa-1"/,
      /uat\.json: alarms\.emails: expected at least one e-mail address/,
      /perf\.json: api\.waf\.routes\["POST \/payments\/nowhere\/notify"\]: expected a route of this environment: /,
      /prod\.json: identity\.mfa: expected "REQUIRED" in production/,
      /prod-b\.json: network\.natGateways: expected one NAT gateway per availability zone in production/,
      /prod-b\.json, \S*prod\.json: kind: expected one production environment, found 2/,
      /perf\.json, \S*qa\.json, \S*uat\.json: kind: expected at most 2 pre-production environments, found 3/,
      /uat\.json: network\.vpcCidr: expected a range that does not overlap \S*qa\.json \(10\.1\.0\.0\/16\); got 10\.1\.128\.0\/17/,
      /uat\.json: identity\.domainPrefix: expected a prefix unique in us-east-1; \S*qa\.json uses "p-qa" too/,
    ];
    for (const pattern of expected) expect(problems).toContainEqual(expect.stringMatching(pattern));
    expect(problems).toHaveLength(expected.length);
    // Every line starts with the file(s) and the field (a broken file has no fields: its line says where JSON broke).
    for (const problem of problems) expect(problem).toMatch(/^\S+\.json(, \S+\.json)*: (not valid JSON \(|[\w$.[\]" /{}+-]+: expected )/);
  });

  test('one file\'s schema, route-key and name problems come out together', () => {
    expect(
      problemsOf('dev', (c) => {
        c.name = 'qa';
        c.logRetentionDays = 42;
        c.api.routeThrottling = { 'POST /webhook/modyo': { rateLimit: 10, burstLimit: 20 } };
      }),
    ).toEqual([
      expect.stringMatching(/^config\/dev\.json: logRetentionDays: expected one of the retention periods/),
      expect.stringMatching(/^config\/dev\.json: api\.routeThrottling\["POST \/webhook\/modyo"\]: expected a route of this environment/),
      'config/dev.json: name: expected "dev" (the file name), got "qa"',
    ]);
  });

  test('each area\'s rules and each rule across areas run when the fields they read are valid, whatever other fields hold', () => {
    const problems = problemsOf('prod', (c) => {
      c.alarms.emails = [];
      c.identity.mfa = 'OPTIONAL';
      c.api.customDomain.hostedZoneName = 'other.example.org';
      c.services[0].minTasks = 1;
      c.lambdaConcurrency = { functions: { identityProvisioning: 1 } };
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^config\/prod\.json: alarms\.emails: expected at least one e-mail address/),
        expect.stringMatching(/^config\/prod\.json: identity\.mfa: expected "REQUIRED" in production/),
        expect.stringMatching(/^config\/prod\.json: api\.customDomain\.hostedZoneName: expected the zone that holds /),
        expect.stringMatching(/^config\/prod\.json: services\[0\]\.minTasks: expected at least 2 tasks in production/),
        expect.stringMatching(/^config\/prod\.json: lambdaConcurrency\.functions\.identityProvisioning: expected 2 to 1000/),
      ]),
    );
    expect(problems).toHaveLength(5);
  });

  test('a rule across areas is skipped, not run on bad input, when a field it reads is wrong', () => {
    // natGateways is not a number: the NAT rules that read it stay silent; the field's own error is the one line.
    expect(problemsOf('prod', (c) => (c.network.natGateways = 'three'))).toEqual([expect.stringMatching(/^config\/prod\.json: network\.natGateways: /)]);
  });

  test('route keys are not checked against a route table that cannot be built (two services on one prefix)', () => {
    const problems = problemsOf('dev', (c) => {
      c.services.push({ ...c.services[0], name: 'accounts-v2', listenerPriority: 200, testPort: 9002 });
      c.api.routeThrottling = { 'ANY /accounts/{proxy+}': { rateLimit: 10, burstLimit: 20 } };
    });
    expect(problems).toEqual(['config/dev.json: services[1].apiPathPrefix: expected a path prefix no other service uses']);
  });
});
