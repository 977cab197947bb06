/**
 * Preflight's checks, each through its pass and fail paths, against a local control plane that speaks the AWS wire
 * protocols (test/support/fake-aws-control-plane.ts): the real SDK clients, no mocks. Templates come from the
 * suite's one synthesized assembly.
 */
import { join } from 'node:path';
import { loadEnvironmentConfigs } from '../lib/config/load';
import type { EnvironmentConfig } from '../lib/config/schema';
import { type EnvironmentAssembly, readEnvironmentAssembly } from '../lib/preflight/assembly';
import { chatbotRegion } from '../lib/preflight/aws';
import { bootstrapRequirements, CHECKS, versionRequiredByRule, type CheckResult, PLACEHOLDER_SECRET_KEY, secretReferences, serviceImages } from '../lib/preflight/decisions';
import { formatTable, preflightPassed, runPreflight } from '../lib/preflight/run';
import { reservedConcurrencyOf } from '../lib/lambda-concurrency';
import { environmentJson, TEST_ASSEMBLY_ENV } from './support/assembly';
import { type FakeAccountState, readyAccount, startFakeControlPlane, unreadyAccount } from './support/fake-aws-control-plane';

const configs = loadEnvironmentConfigs(join(__dirname, '..', 'config'));
const config = (name: string): EnvironmentConfig => configs.find((c) => c.name === name) as EnvironmentConfig;
const DELIVERY_ACCOUNT = '444455556666';

let plane: Awaited<ReturnType<typeof startFakeControlPlane>>;
let assemblies: Record<string, EnvironmentAssembly>;

function assemblyOf(environment: string): EnvironmentAssembly {
  environmentJson(environment); // waits for the global setup's synth
  return readEnvironmentAssembly(process.env[TEST_ASSEMBLY_ENV] as string, environment);
}

beforeAll(async () => {
  assemblies = { staging: assemblyOf('staging'), prod: assemblyOf('prod') };
  plane = await startFakeControlPlane(readyAccount(config('prod'), assemblies.prod, { deployed: true }), { pageSize: 3 });
  process.env.AWS_ENDPOINT_URL = plane.endpoint;
});

afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL;
  await plane?.stop();
});

async function run(environment: string, state: FakeAccountState, options: Parameters<typeof runPreflight>[2] = {}, configOverride?: EnvironmentConfig): Promise<Record<string, CheckResult>> {
  plane.state = state;
  plane.calls.length = 0;
  const results = await runPreflight(configOverride ?? config(environment), assemblies[environment], options);
  return Object.fromEntries(results.map((r) => [r.check, r]));
}

/** One check's result, from a run of that check alone (after the credentials, which every run checks first). */
async function runCheck(check: string, environment: string, state: FakeAccountState, options: Parameters<typeof runPreflight>[2] = {}, configOverride?: EnvironmentConfig): Promise<CheckResult> {
  return (await run(environment, state, { ...options, checks: [check] }, configOverride))[check];
}

const texts = (result: CheckResult, ok?: boolean) => result.findings.filter((f) => ok === undefined || f.ok === ok).map((f) => f.text);

describe('ready accounts pass every check, with read-only calls only', () => {
  test('prod, re-deploy: every check passes', async () => {
    const results = await run('prod', readyAccount(config('prod'), assemblies.prod, { deployed: true }));
    expect(Object.values(results).map((r) => [r.check, r.status])).toEqual(Object.values(CHECKS).map((check) => [check, 'PASS']));
    const actions = plane.calls.map((c) => c.action);
    expect(actions.every((a) => /^(Get|Describe|List)/.test(a))).toBe(true);
    expect(actions).not.toContain('GetSecretValue');
    // Every kind of read went over the wire.
    expect(new Set(plane.calls.map((c) => c.service))).toEqual(new Set(['sts', 'ssm', 'cloudformation', 'lambda', 'chatbot', 'route53', 'secretsmanager', 'ecr', 'sns']));
  });

  test('staging, first deploy: passes; chat and hosted zone are skipped (not configured)', async () => {
    const results = await run('staging', readyAccount(config('staging'), assemblies.staging, { deployed: false }));
    expect(preflightPassed(Object.values(results))).toBe(true);
    expect(results[CHECKS.chat].status).toBe('SKIP');
    expect(['SKIP', 'PASS']).toContain(results[CHECKS.hostedZone].status);
  });
});

describe('1. credentials', () => {
  test('another account: fails and runs nothing else against it', async () => {
    const state = readyAccount(config('prod'), assemblies.prod, { deployed: true });
    state.account = '999999999999';
    const results = await run('prod', state);
    expect(results[CHECKS.credentials].status).toBe('FAIL');
    expect(texts(results[CHECKS.credentials], false)[0]).toContain('account 999999999999, config/prod.json says 333333333333');
    for (const check of Object.values(CHECKS).filter((c) => c !== CHECKS.credentials)) {
      expect(results[check].status).toBe('FAIL');
      expect(texts(results[check])[0]).toContain('not run');
    }
    expect(plane.calls.map((c) => c.action)).toEqual(['GetCallerIdentity']);
  });

  test('a region other than the config\'s fails the check; the others still read the config\'s region', async () => {
    const previous = process.env.AWS_REGION;
    process.env.AWS_REGION = 'eu-west-1';
    try {
      const results = await run('prod', readyAccount(config('prod'), assemblies.prod, { deployed: true }));
      expect(results[CHECKS.credentials].status).toBe('FAIL');
      expect(results[CHECKS.credentials].findings.find((f) => !f.ok)?.fix).toBe('export AWS_REGION=us-east-1');
      expect(results[CHECKS.secrets].status).toBe('PASS');
      expect(plane.calls.filter((c) => c.service === 'secretsmanager').every((c) => c.region === 'us-east-1')).toBe(true);
    } finally {
      process.env.AWS_REGION = previous;
    }
  });
});

test('1. credentials: no region configured at all fails with the variable to set', async () => {
  const saved = { region: process.env.AWS_REGION, defaultRegion: process.env.AWS_DEFAULT_REGION, configFile: process.env.AWS_CONFIG_FILE };
  delete process.env.AWS_REGION;
  delete process.env.AWS_DEFAULT_REGION;
  process.env.AWS_CONFIG_FILE = join(__dirname, 'no-such-aws-config');
  try {
    const result = await runCheck(CHECKS.credentials, 'prod', readyAccount(config('prod'), assemblies.prod, { deployed: true }));
    expect(result.findings.filter((f) => !f.ok)).toEqual([{ ok: false, text: 'no region configured', fix: 'export AWS_REGION=us-east-1' }]);
  } finally {
    process.env.AWS_REGION = saved.region;
    if (saved.defaultRegion !== undefined) process.env.AWS_DEFAULT_REGION = saved.defaultRegion;
    if (saved.configFile !== undefined) process.env.AWS_CONFIG_FILE = saved.configFile;
    else delete process.env.AWS_CONFIG_FILE;
  }
});

describe('2. CDK bootstrap', () => {
  test('the required version is read from the manifest and the templates\' CheckBootstrapVersion rule', () => {
    expect(bootstrapRequirements(assemblies.prod)).toEqual([{ ssmParameter: '/cdk-bootstrap/hnb659fds/version', version: 6 }]);
  });

  test('each template\'s CheckBootstrapVersion rule refuses versions 1-5: it requires 6', () => {
    for (const { template } of assemblies.prod.stacks) expect(versionRequiredByRule(template)).toBe(6);
    expect(versionRequiredByRule({ Rules: { CheckBootstrapVersion: { Assertions: [{ Assert: { 'Fn::Not': [{ 'Fn::Contains': [['1', '2', '3', '4', '5', '6', '7'], { Ref: 'BootstrapVersion' }] }] } }] } } })).toBe(8);
    expect(versionRequiredByRule({})).toBeUndefined();
  });

  test('an old bootstrap fails with the command that upgrades it', async () => {
    const state = readyAccount(config('prod'), assemblies.prod, { deployed: true });
    state.ssmParameters['/cdk-bootstrap/hnb659fds/version'] = '5';
    const result = await runCheck(CHECKS.bootstrap, 'prod', state);
    expect(result.status).toBe('FAIL');
    expect(texts(result, false)).toEqual(['bootstrap version 5, the templates require 6 (/cdk-bootstrap/hnb659fds/version)']);
    expect(result.findings.find((f) => !f.ok)?.fix).toContain('npx cdk bootstrap aws://333333333333/us-east-1');
  });

  test('an account never bootstrapped fails', async () => {
    const state = readyAccount(config('prod'), assemblies.prod, { deployed: false });
    state.ssmParameters = {};
    delete state.stacks.CDKToolkit;
    const result = await runCheck(CHECKS.bootstrap, 'prod', state);
    expect(texts(result, false)).toEqual(['not bootstrapped: no SSM parameter /cdk-bootstrap/hnb659fds/version', 'no bootstrap stack CDKToolkit']);
  });

  test('a bootstrap stack whose creation rolled back fails', async () => {
    const state = readyAccount(config('prod'), assemblies.prod, { deployed: false });
    state.stacks.CDKToolkit.status = 'ROLLBACK_COMPLETE';
    expect(texts(await runCheck(CHECKS.bootstrap, 'prod', state), false)).toEqual(['CDKToolkit is ROLLBACK_COMPLETE']);
  });

  test('with a delivery account (issue 14 will put it in config): passes when trusted, fails with the --trust command when not', async () => {
    const trusted = await runCheck(CHECKS.bootstrap, 'prod', readyAccount(config('prod'), assemblies.prod, { deployed: true, trustedAccounts: [DELIVERY_ACCOUNT] }), { trustedAccount: DELIVERY_ACCOUNT });
    expect(trusted.status).toBe('PASS');
    expect(texts(trusted)).toContain(`trusts delivery account ${DELIVERY_ACCOUNT}`);
    const untrusted = await runCheck(CHECKS.bootstrap, 'prod', readyAccount(config('prod'), assemblies.prod, { deployed: true, trustedAccounts: ['111122223333'] }), { trustedAccount: DELIVERY_ACCOUNT });
    expect(untrusted.status).toBe('FAIL');
    expect(texts(untrusted, false)).toEqual([`does not trust delivery account ${DELIVERY_ACCOUNT} (trusts: 111122223333)`]);
    expect(untrusted.findings.find((f) => !f.ok)?.fix).toContain(`--trust ${DELIVERY_ACCOUNT}`);
  });
});

describe('3. Lambda concurrency', () => {
  const reserved = () => reservedConcurrencyOf(assemblies.prod.stacks.map((s) => s.template));

  test('a new account\'s small quota fails the first deploy and names the quota to request', async () => {
    const result = await runCheck(CHECKS.concurrency, 'prod', readyAccount(config('prod'), assemblies.prod, { deployed: false, concurrentExecutions: 10 }));
    expect(result.status).toBe('FAIL');
    expect(result.findings[0].fix).toContain(`at least ${reserved() + 100}`);
  });

  test('a re-deploy counts the reservations this environment already holds: a quota of exactly reservations + 100 passes', async () => {
    // Deployed: the environment's functions hold their reservations, so the account shows only 100 unreserved.
    // Checking "unreserved - reservations >= 100" would fail this account; the deploy replaces, not adds.
    const state = readyAccount(config('prod'), assemblies.prod, { deployed: true, concurrentExecutions: reserved() + 100 });
    const result = await runCheck(CHECKS.concurrency, 'prod', state);
    expect(result.status).toBe('PASS');
    expect(texts(result)[0]).toContain(`unreserved now 100 (${reserved()} of it held by this environment's deployed functions)`);
    expect(plane.calls.filter((c) => c.action === 'GetFunctionConcurrency').length).toBeGreaterThan(3); // paged ListStackResources
  });

  test('another workload\'s reservations leave too little: fails', async () => {
    const result = await runCheck(CHECKS.concurrency, 'prod', unreadyAccount(config('prod'), assemblies.prod));
    expect(result.status).toBe('FAIL');
    expect(texts(result)[0]).toContain('50 unreserved after the deploy');
  });
});

describe('4. chat', () => {
  test('Slack: authorized passes, not authorized fails with the console step; the Chatbot API is called in a region that serves it', async () => {
    expect((await runCheck(CHECKS.chat, 'prod', readyAccount(config('prod'), assemblies.prod, { deployed: true }))).status).toBe('PASS');
    expect(plane.calls.filter((c) => c.service === 'chatbot').map((c) => c.region)).toEqual([chatbotRegion('us-east-1')]);
    expect(chatbotRegion('us-east-1')).toBe('us-east-2');
    const state = readyAccount(config('prod'), assemblies.prod, { deployed: true });
    state.slackWorkspaces = [{ id: 'T0OTHER', name: 'Other' }, { id: 'T0OTHER2', name: 'Other 2' }, { id: 'T0OTHER3', name: 'Other 3' }, { id: 'T0OTHER4', name: 'Other 4' }];
    const failed = await runCheck(CHECKS.chat, 'prod', state);
    expect(failed.status).toBe('FAIL');
    expect(texts(failed, false)).toEqual(['Slack workspace T0123ABCD is not authorized in AWS Chatbot']);
    expect(failed.findings[0].fix).toContain('AWS Chatbot console');
    state.slackWorkspaces.push({ id: 'T0123ABCD', name: 'Example' }); // on the second page
    expect((await runCheck(CHECKS.chat, 'prod', state)).status).toBe('PASS');
  });

  test('Microsoft Teams: the configured team and tenant must be authorized', async () => {
    const teams: EnvironmentConfig = {
      ...config('prod'),
      alarms: { ...config('prod').alarms, chat: { type: 'teams', teamId: '11111111-2222-3333-4444-555555555555', tenantId: '66666666-7777-8888-9999-000000000000', channelId: '19:abc@thread.tacv2' } },
    };
    const state = readyAccount(teams, assemblies.prod, { deployed: true });
    expect((await runCheck(CHECKS.chat, 'prod', state, {}, teams)).status).toBe('PASS');
    state.teams = [{ ...state.teams[0], tenantId: '00000000-0000-0000-0000-000000000000' }];
    const failed = await runCheck(CHECKS.chat, 'prod', state, {}, teams);
    expect(failed.status).toBe('FAIL');
    expect(texts(failed, false)[0]).toContain('Microsoft Teams team 11111111-2222-3333-4444-555555555555');
  });
});

describe('5. hosted zone', () => {
  test('the zone of api.customDomain must exist, be public and contain the API name (and every name the stacks put in it)', async () => {
    const ready = await runCheck(CHECKS.hostedZone, 'prod', readyAccount(config('prod'), assemblies.prod, { deployed: true }));
    expect(ready.status).toBe('PASS');
    expect(texts(ready)).toContain('api.connect.example.com is in Z0123456789ABCDEFGHIJ (connect.example.com)');

    const other = await runCheck(CHECKS.hostedZone, 'prod', unreadyAccount(config('prod'), assemblies.prod));
    expect(other.status).toBe('FAIL');
    expect(texts(other, false)).toContain('api.connect.example.com is not inside zone Z0123456789ABCDEFGHIJ (other-domain.example)');

    const privateZone = readyAccount(config('prod'), assemblies.prod, { deployed: true });
    privateZone.hostedZones.Z0123456789ABCDEFGHIJ.privateZone = true;
    expect(texts(await runCheck(CHECKS.hostedZone, 'prod', privateZone), false)[0]).toContain('is a private zone');

    const named = { ...config('prod'), api: { ...config('prod').api, customDomain: { ...config('prod').api.customDomain, domainName: 'api.connect.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ', hostedZoneName: 'example.com' } } } as EnvironmentConfig;
    expect(texts(await runCheck(CHECKS.hostedZone, 'prod', readyAccount(config('prod'), assemblies.prod, { deployed: true }), {}, named), false)).toEqual(['Z0123456789ABCDEFGHIJ is connect.example.com, config says example.com']);

    const missing = readyAccount(config('prod'), assemblies.prod, { deployed: true });
    missing.hostedZones = {};
    expect(texts(await runCheck(CHECKS.hostedZone, 'prod', missing), false)).toEqual(['hosted zone Z0123456789ABCDEFGHIJ does not exist in this account']);
  });
});

describe('6. secrets', () => {
  test('the secrets are read from the templates and config: created ones (placeholders marked) and referenced ones', () => {
    const references = secretReferences(config('prod'), assemblies.prod.stacks.map((s) => s.template));
    expect(references).toEqual(
      expect.arrayContaining([
        { id: 'connect/prod/webhook-secret', createdByStack: true, placeholder: false },
        { id: 'connect/prod/modyo-admin-token', createdByStack: true, placeholder: true },
        { id: 'connect/prod/crm-credentials', createdByStack: true, placeholder: true },
        { id: 'arn:aws:secretsmanager:us-east-1:333333333333:secret:connect/prod/corporate-idp-AbCdEf', createdByStack: false, placeholder: false },
      ]),
    );
    // The placeholder key preflight recognises is the one the Integrations stack generates.
    const generated = assemblies.prod.stacks.flatMap((s) => Object.values(s.template.Resources ?? {})).filter((r) => r.Type === 'AWS::SecretsManager::Secret').map((r) => (r.Properties?.GenerateSecretString as { GenerateStringKey: string }).GenerateStringKey);
    expect(generated).toContain(PLACEHOLDER_SECRET_KEY);
  });

  test('first deploy: secrets the stacks create are "created by the deploy"; a referenced secret must already exist', async () => {
    const ready = await runCheck(CHECKS.secrets, 'prod', readyAccount(config('prod'), assemblies.prod, { deployed: false }));
    expect(ready.status).toBe('PASS');
    expect(texts(ready)).toContain('connect/prod/modyo-admin-token: created by the deploy; put its real value after the deploy');
    expect(texts(ready)).toContain('arn:aws:secretsmanager:us-east-1:333333333333:secret:connect/prod/corporate-idp-AbCdEf: has a value');
  });

  test('unready: missing referenced secret and never-replaced placeholders fail; a generated shared secret passes', async () => {
    const result = await runCheck(CHECKS.secrets, 'prod', unreadyAccount(config('prod'), assemblies.prod));
    expect(result.status).toBe('FAIL');
    expect(texts(result, false)).toEqual(
      expect.arrayContaining([
        'arn:aws:secretsmanager:us-east-1:333333333333:secret:connect/prod/corporate-idp-AbCdEf: does not exist (the stacks reference it and do not create it)',
        'connect/prod/modyo-admin-token: still holds the placeholder the deploy generated',
        'connect/prod/khipu: still holds the placeholder the deploy generated',
      ]),
    );
    expect(texts(result, true)).toContain('connect/prod/webhook-secret: has a value');
    expect(result.findings.find((f) => f.text.startsWith('connect/prod/khipu'))?.fix).toContain('aws secretsmanager put-secret-value --secret-id connect/prod/khipu');
  });

  test('a secret scheduled for deletion or without a current version fails', async () => {
    const state = readyAccount(config('prod'), assemblies.prod, { deployed: true });
    state.secrets['connect/prod/webpay'] = { versions: { v1: ['AWSCURRENT'], v2: ['AWSPREVIOUS'] }, deletedDate: new Date('2026-12-08T00:00:00Z') };
    state.secrets['connect/prod/corporate-idp'] = { ...state.secrets['connect/prod/corporate-idp'], versions: { v1: ['AWSPENDING'] } };
    const result = await runCheck(CHECKS.secrets, 'prod', state);
    expect(texts(result, false)).toEqual([
      'connect/prod/webpay: scheduled for deletion on 2026-12-08T00:00:00.000Z',
      'arn:aws:secretsmanager:us-east-1:333333333333:secret:connect/prod/corporate-idp-AbCdEf: has no current value (no AWSCURRENT version)',
    ]);
  });
});

describe('7. service images', () => {
  test('the tag the image-tag parameter records (else the configured first tag) must be in the service\'s repository', async () => {
    expect(serviceImages(config('prod'))).toEqual([
      {
        service: 'accounts',
        repository: 'connect/prod/accounts',
        tag: '1.4.2',
        uri: '333333333333.dkr.ecr.us-east-1.amazonaws.com/connect/prod/accounts:1.4.2',
        parameter: '/connect/prod/services/accounts/image-tag',
        recorded: false,
      },
    ]);
    // After a pipeline release the parameter names the commit-derived tag, and that is the image checked.
    expect(serviceImages(config('prod'), new Map([['accounts', '3f9c2d1e']]))[0]).toMatchObject({ tag: '3f9c2d1e', recorded: true, uri: expect.stringMatching(/:3f9c2d1e$/) });
    const released = readyAccount(config('prod'), assemblies.prod, { deployed: true });
    released.ssmParameters['/connect/prod/services/accounts/image-tag'] = '3f9c2d1e';
    expect(texts(await runCheck(CHECKS.images, 'prod', released), false)).toEqual(['accounts: no image tagged 3f9c2d1e in connect/prod/accounts']);
    released.images['connect/prod/accounts'].push('3f9c2d1e');
    expect((await runCheck(CHECKS.images, 'prod', released)).status).toBe('PASS');
    // No parameter yet: the Services stack could not resolve its image.
    const unrecorded = readyAccount(config('prod'), assemblies.prod, { deployed: false });
    delete unrecorded.ssmParameters['/connect/prod/services/accounts/image-tag'];
    const missing = await runCheck(CHECKS.images, 'prod', unrecorded);
    expect(texts(missing, false)).toEqual(['accounts: no image-tag parameter /connect/prod/services/accounts/image-tag (the Services stack reads the tag there)']);
    expect(missing.findings[0].fix).toBe('aws ssm put-parameter --name /connect/prod/services/accounts/image-tag --type String --value 1.4.2 (docs/SERVICES.md)');
    // The repository preflight looks in is the one the ServiceRepositories stack creates.
    const repositories = assemblies.prod.stacks.flatMap((s) => Object.values(s.template.Resources ?? {})).filter((r) => r.Type === 'AWS::ECR::Repository').map((r) => r.Properties?.RepositoryName);
    expect(repositories).toEqual(['connect/prod/accounts']);

    expect((await runCheck(CHECKS.images, 'prod', readyAccount(config('prod'), assemblies.prod, { deployed: false }))).status).toBe('PASS');
    const noTag = await runCheck(CHECKS.images, 'prod', unreadyAccount(config('prod'), assemblies.prod));
    expect(texts(noTag, false)).toEqual(['accounts: no image tagged 1.4.2 in connect/prod/accounts']);
    const noRepository = readyAccount(config('prod'), assemblies.prod, { deployed: false });
    noRepository.images = {};
    const result = await runCheck(CHECKS.images, 'prod', noRepository);
    expect(texts(result, false)).toEqual(['accounts: repository connect/prod/accounts does not exist']);
    expect(result.findings[0].fix).toContain("npx cdk deploy 'prod/ServiceRepositories'");
  });
});

describe('8. e-mail subscriptions', () => {
  test('confirmed passes; before the first deploy the topics are created by the deploy; pending or missing fails', async () => {
    expect((await runCheck(CHECKS.subscriptions, 'prod', readyAccount(config('prod'), assemblies.prod, { deployed: true }))).status).toBe('PASS');
    const first = await runCheck(CHECKS.subscriptions, 'prod', readyAccount(config('prod'), assemblies.prod, { deployed: false }));
    expect(first.status).toBe('PASS');
    expect(texts(first)[0]).toContain('critical: topic created by the deploy');

    const pending = await runCheck(CHECKS.subscriptions, 'prod', unreadyAccount(config('prod'), assemblies.prod));
    expect(texts(pending, false)).toEqual(['critical: oncall@example.com has not confirmed its subscription', 'warning: platform-team@example.com has not confirmed its subscription']);

    const unsubscribed = readyAccount(config('prod'), assemblies.prod, { deployed: true });
    unsubscribed.topics['arn:aws:sns:us-east-1:333333333333:connect-prod-alerts-warning'] = [{ protocol: 'https', endpoint: 'https://hooks.example.com', confirmed: true }];
    const missing = await runCheck(CHECKS.subscriptions, 'prod', unsubscribed);
    expect(texts(missing, false)).toEqual(['warning: platform-team@example.com is not subscribed (unsubscribed, or the confirmation expired)']);
  });
});

describe('robustness and output', () => {
  test('a hung endpoint fails its check within the request timeout instead of holding preflight', async () => {
    const hung = await startFakeControlPlane(readyAccount(config('prod'), assemblies.prod, { deployed: true }));
    process.env.AWS_ENDPOINT_URL_ECR = hung.endpoint;
    hung.hang('ecr');
    try {
      const started = Date.now();
      const results = await run('prod', readyAccount(config('prod'), assemblies.prod, { deployed: true }), { requestTimeoutMs: 200 });
      expect(Date.now() - started).toBeLessThan(8_000);
      expect(results[CHECKS.images].status).toBe('FAIL');
      expect(texts(results[CHECKS.images])[0]).toMatch(/^could not read: /);
      expect(results[CHECKS.secrets].status).toBe('PASS');
    } finally {
      delete process.env.AWS_ENDPOINT_URL_ECR;
      await hung.stop();
    }
  });

  test('the checks option runs the credentials and the named checks only', async () => {
    const results = await run('prod', readyAccount(config('prod'), assemblies.prod, { deployed: true }), { checks: [CHECKS.secrets] });
    expect(Object.keys(results)).toEqual([CHECKS.credentials, CHECKS.secrets]);
    expect(new Set(plane.calls.map((c) => c.service))).toEqual(new Set(['sts', 'secretsmanager']));
    // A misspelt name would otherwise run nothing and pass.
    await expect(run('prod', readyAccount(config('prod'), assemblies.prod, { deployed: true }), { checks: ['secret'] })).rejects.toThrow(/unknown check\(s\) secret; expected any of CDK bootstrap, .*secrets/);
  });

  test('the table names each check, its result, and what to do under each failure', async () => {
    plane.state = unreadyAccount(config('prod'), assemblies.prod);
    const results = await runPreflight(config('prod'), assemblies.prod);
    const table = formatTable('prod', results);
    expect(preflightPassed(results)).toBe(false);
    expect(table).toMatch(/^check\s+result\s+found \/ what to do$/m);
    expect(table).toMatch(/^CDK bootstrap\s+FAIL\s+FAIL bootstrap version 5, the templates require 6/m);
    expect(table).toMatch(/^\s+→ npx cdk bootstrap aws:\/\/333333333333\/us-east-1/m);
    expect(table).toContain('preflight prod: 7 check(s) failed: CDK bootstrap, Lambda concurrency, chat (AWS Chatbot), hosted zone, secrets, service images, e-mail subscriptions');
  });
});
