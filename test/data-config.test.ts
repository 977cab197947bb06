import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { engineVersionProblem, serviceDataVariables } from '../lib/config/data';
import { parseEnvironmentConfig } from '../lib/config/load';
import { parseProblems as problems } from './support/config-problems';

/** A shipped config file changed by `change`, parsed as if it were `config/<name>.json`. */
function parseChanged(name: 'dev' | 'staging' | 'prod', change: (raw: any) => void): () => ReturnType<typeof parseEnvironmentConfig> {
  const raw = JSON.parse(readFileSync(join(__dirname, '..', 'config', `${name}.json`), 'utf8'));
  change(raw);
  return () => parseEnvironmentConfig(`config/${name}.json`, JSON.stringify(raw));
}


describe('the shipped data configs', () => {
  test('prod: a database with rotation behind a proxy and a cache for accounts, its own queue, a shared bucket', () => {
    const config = parseChanged('prod', () => undefined)();
    expect(config.data.databases).toEqual([expect.objectContaining({ name: 'accounts', engine: 'aurora-postgresql', minCapacity: 0.5, readers: 1, rotationDays: 30, proxy: true })]);
    expect(config.data.caches).toEqual([expect.objectContaining({ name: 'sessions' })]);
    expect(config.services[0]).toMatchObject({ name: 'accounts', databases: ['accounts'], caches: ['sessions'] });
  });

  test('dev: an auto-pausing database', () => {
    const config = parseChanged('dev', () => undefined)();
    expect(config.data.databases[0]).toMatchObject({ minCapacity: 0, autoPauseMinutes: 30, proxy: false });
  });

  test('every kind is used at least once across the environments', () => {
    const configs = (['dev', 'staging', 'prod'] as const).map((name) => parseChanged(name, () => undefined)());
    const used = (pick: (c: (typeof configs)[number]) => unknown[]) => configs.some((c) => pick(c).length > 0);
    expect(used((c) => c.data.databases)).toBe(true);
    expect(used((c) => c.data.caches)).toBe(true);
    expect(used((c) => c.data.queues)).toBe(true);
    expect(used((c) => c.data.buckets)).toBe(true);
    expect(used((c) => c.services.flatMap((s) => s.queues).filter((q) => !c.data.queues.some((shared) => shared.name === q.name)))).toBe(true);
    expect(used((c) => c.services.flatMap((s) => s.buckets).filter((b) => !c.data.buckets.some((shared) => shared.name === b.name)))).toBe(true);
    expect(new Set(configs.flatMap((c) => c.data.databases.map((d) => d.engine)))).toEqual(new Set(['aurora-postgresql', 'aurora-mysql']));
  });
});

describe('config errors name the file, the field and what is expected', () => {
  test('a service naming an unknown database', () => {
    expect(problems(parseChanged('prod', (raw) => (raw.services[0].databases = ['ledger'])))).toEqual([
      'config/prod.json: services[0].databases[0]: expected the name of a database in data.databases ("accounts"); got "ledger"',
    ]);
  });

  test('a service naming an unknown cache', () => {
    expect(problems(parseChanged('dev', (raw) => (raw.services[0].caches = ['sessions'])))).toEqual([
      'config/dev.json: services[0].caches[0]: expected the name of a cache in data.caches (none declared); got "sessions"',
    ]);
  });

  test('a database in an environment without isolated subnets', () => {
    expect(problems(parseChanged('dev', (raw) => (raw.network.isolatedSubnets = false)))).toEqual([
      'config/dev.json: data.databases[0]: expected an environment with isolated subnets (network.isolatedSubnets: true): databases and caches run only in them',
    ]);
  });

  test('ACU min above max', () => {
    expect(problems(parseChanged('staging', (raw) => Object.assign(raw.data.databases[0], { minCapacity: 8, maxCapacity: 4 })))).toEqual([
      'config/staging.json: data.databases[0].minCapacity: expected minCapacity <= maxCapacity (4)',
    ]);
  });

  test('a capacity off the half-ACU steps or above 256', () => {
    expect(problems(parseChanged('staging', (raw) => Object.assign(raw.data.databases[0], { maxCapacity: 300 })))).toEqual([
      'config/staging.json: data.databases[0].maxCapacity: expected the maximum capacity in ACUs, 0-256 in steps of 0.5',
    ]);
    expect(problems(parseChanged('staging', (raw) => Object.assign(raw.data.databases[0], { minCapacity: 0.7 })))).toEqual([
      'config/staging.json: data.databases[0].minCapacity: expected the minimum capacity in ACUs, 0-256 in steps of 0.5',
    ]);
  });

  test('an engine version Aurora does not offer for Serverless v2', () => {
    expect(problems(parseChanged('prod', (raw) => (raw.data.databases[0].engineVersion = '12.22')))).toEqual([
      'config/prod.json: data.databases[0].engineVersion: expected an aurora-postgresql version Aurora offers for Serverless v2 (13.6+, 14.3+, 15.2+, 16.1+, 17.4+, e.g. "16.6"); got "12.22"',
    ]);
    expect(problems(parseChanged('staging', (raw) => (raw.data.databases[0].engineVersion = '2.11.4')))).toEqual([
      'config/staging.json: data.databases[0].engineVersion: expected an aurora-mysql version Aurora offers for Serverless v2 (3.02.0+, e.g. "3.08.0"); got "2.11.4"',
    ]);
  });

  test('0 ACUs on a version without auto-pause, behind a proxy, or in production', () => {
    expect(problems(parseChanged('dev', (raw) => (raw.data.databases[0].engineVersion = '16.2')))).toEqual([
      'config/dev.json: data.databases[0].engineVersion: expected aurora-postgresql 16.3 or later for minCapacity 0 (auto-pause); got "16.2"',
    ]);
    expect(problems(parseChanged('dev', (raw) => (raw.data.databases[0].proxy = true)))).toEqual([
      'config/dev.json: data.databases[0].proxy: expected no RDS Proxy on a database with minCapacity 0: Aurora does not auto-pause a cluster behind RDS Proxy',
    ]);
    expect(problems(parseChanged('prod', (raw) => Object.assign(raw.data.databases[0], { minCapacity: 0, proxy: false })))).toEqual([
      'config/prod.json: data.databases[0].minCapacity: expected at least 0.5 ACU in production: a paused database takes seconds to resume on the first connection',
    ]);
  });

  test('production needs a reader and cache snapshots', () => {
    expect(
      problems(
        parseChanged('prod', (raw) => {
          raw.data.databases[0].readers = 0;
          raw.data.caches[0].snapshotRetentionDays = 0;
        }),
      ),
    ).toEqual([
      'config/prod.json: data.databases[0].readers: expected at least 1 reader in production, so the database fails over to another AZ',
      'config/prod.json: data.caches[0].snapshotRetentionDays: expected daily snapshots in production (1-35 days)',
    ]);
  });

  test('a shared queue given a shape by a service, and an access the resource does not have', () => {
    expect(problems(parseChanged('staging', (raw) => (raw.services[0].queues = [{ name: 'events', access: ['consume'], fifo: true }])))).toEqual([
      'config/staging.json: services[0].queues[0]: expected only name and access for the shared queue "events" (its fifo are declared in data.queues)',
    ]);
    expect(problems(parseChanged('staging', (raw) => (raw.services[0].queues = [{ name: 'events', access: ['write'] }])))).toEqual([
      'config/staging.json: services[0].queues[0].access[0]: expected the access the service needs: one or more of "send", "consume"',
    ]);
  });

  test("a service variable that collides with one it receives for its data", () => {
    expect(problems(parseChanged('prod', (raw) => (raw.services[0].environment.DB_ACCOUNTS_HOST = 'localhost')))).toEqual([
      'config/prod.json: services[0].environment.DB_ACCOUNTS_HOST: expected no variable named DB_ACCOUNTS_HOST: the service receives it for the data it names',
    ]);
  });

  test('a bucket name S3 would refuse', () => {
    expect(problems(parseChanged('dev', (raw) => (raw.services[0].buckets[0].name = 'uploads-of-every-account-ever-xy')))).toEqual([
      'config/dev.json: services[0].buckets[0].name: expected a shorter name: the bucket would be "connect-dev-accounts-uploads-of-every-account-ever-xy-111111111111", over the 63 characters S3 allows',
    ]);
  });
});

describe('engine versions', () => {
  test.each([
    ['aurora-postgresql', '16.10', false, undefined],
    ['aurora-postgresql', '13.6', false, undefined],
    ['aurora-postgresql', '13.5', false, 'Serverless v2'],
    ['aurora-postgresql', '13.15', true, undefined],
    ['aurora-postgresql', '14.11', true, 'minCapacity 0'],
    ['aurora-postgresql', '18.1', false, 'Serverless v2'],
    ['aurora-mysql', '3.10.0', true, undefined],
    ['aurora-mysql', '3.07.1', true, 'minCapacity 0'],
    ['aurora-mysql', '3.01.1', false, 'Serverless v2'],
    ['aurora-mysql', '8.0.mysql_aurora.3.08.0', false, 'Serverless v2'],
  ] as const)('%s %s (auto-pause %s)', (engine, version, autoPause, problem) => {
    const found = engineVersionProblem(engine, version, autoPause);
    if (problem) expect(found).toContain(problem);
    else expect(found).toBeUndefined();
  });
});

test('the variables a service receives are named after what it names', () => {
  expect(serviceDataVariables({ name: 'accounts', databases: ['accounts-db'], caches: ['sessions'], queues: [{ name: 'events' }], buckets: [{ name: 'statements' }] })).toEqual({
    environment: [
      'DB_ACCOUNTS_DB_HOST',
      'DB_ACCOUNTS_DB_PORT',
      'DB_ACCOUNTS_DB_NAME',
      'DB_ACCOUNTS_DB_IAM_USER',
      'CACHE_SESSIONS_ENDPOINT',
      'CACHE_SESSIONS_PORT',
      'CACHE_SESSIONS_USER',
      'QUEUE_EVENTS_URL',
      'QUEUE_EVENTS_NAME',
      'BUCKET_STATEMENTS_NAME',
    ],
    secrets: ['DB_ACCOUNTS_DB_USERNAME', 'DB_ACCOUNTS_DB_PASSWORD'],
  });
});
