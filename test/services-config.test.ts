import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvironmentConfig } from '../lib/config/load';
import { parseProblems as problems } from './support/config-problems';

/** A shipped config file with its services replaced, parsed as if it were `config/<name>.json`. */
function parseWithServices(name: 'dev' | 'prod', change: (services: any[]) => any[]): () => unknown {
  const raw = JSON.parse(readFileSync(join(__dirname, '..', 'config', `${name}.json`), 'utf8'));
  raw.services = change(raw.services);
  return () => parseEnvironmentConfig(`config/${name}.json`, JSON.stringify(raw));
}


const accounts = (name: 'dev' | 'prod') => JSON.parse(readFileSync(join(__dirname, '..', 'config', `${name}.json`), 'utf8')).services[0];

test('the shipped services parse, with the defaults filled in', () => {
  const config = parseEnvironmentConfig('config/prod.json', readFileSync(join(__dirname, '..', 'config', 'prod.json'), 'utf8'));
  expect(config.services[0]).toMatchObject({ name: 'accounts', minTasks: 2, secrets: {}, targetRequestsPerTaskPerMinute: 1000 });
  expect(config.alarms.thresholds).toMatchObject({ serviceTarget5xxPerMinute: 5, serviceP99LatencyMs: 2000 });
});

test('a CPU size Fargate does not offer names the file, the field and the sizes it accepts', () => {
  expect(problems(parseWithServices('dev', ([s]) => [{ ...s, cpu: 300 }]))).toEqual([
    'config/dev.json: services[0].cpu: expected a Fargate CPU size: one of 256, 512, 1024, 2048, 4096, 8192, 16384',
  ]);
});

test('a memory size that does not fit the CPU names the file, the field and the accepted range', () => {
  expect(problems(parseWithServices('dev', ([s]) => [{ ...s, cpu: 1024, memoryMiB: 1024 }]))).toEqual([
    'config/dev.json: services[0].memoryMiB: expected a memory size Fargate accepts with cpu 1024: 2048-8192 MiB in steps of 1024',
  ]);
});

test('maxTasks below minTasks is refused', () => {
  expect(problems(parseWithServices('dev', ([s]) => [{ ...s, minTasks: 2, maxTasks: 1 }]))).toEqual(['config/dev.json: services[0].maxTasks: expected maxTasks >= minTasks']);
});

test('a repeated service name is refused on the repeat', () => {
  const second = { ...accounts('dev'), apiPathPrefix: '/accounts-v2', listenerPriority: 200, testPort: 9002 };
  expect(problems(parseWithServices('dev', (services) => [...services, second]))).toEqual(['config/dev.json: services[1].name: expected a unique service name']);
});

test('a repeated API path prefix is refused on the repeat', () => {
  const second = { ...accounts('dev'), name: 'accounts-v2', listenerPriority: 200, testPort: 9002 };
  expect(problems(parseWithServices('dev', (services) => [...services, second]))).toEqual([
    'config/dev.json: services[1].apiPathPrefix: expected a path prefix no other service uses',
  ]);
});

test('production refuses a service with fewer than 2 tasks; pre-production accepts 1', () => {
  expect(problems(parseWithServices('prod', ([s]) => [{ ...s, minTasks: 1 }]))).toEqual([
    'config/prod.json: services[0].minTasks: expected at least 2 tasks in production, so the service survives the loss of an AZ',
  ]);
  expect(() => parseWithServices('dev', ([s]) => [{ ...s, minTasks: 1 }])()).not.toThrow();
});

test('an unknown service field is named', () => {
  expect(problems(parseWithServices('dev', ([s]) => [{ ...s, desiredTasks: 3 }]))).toEqual([
    'config/dev.json: services[0]: unknown field(s) "desiredTasks"; expected only the fields in config/schema.json',
  ]);
});

describe('listener priorities and test ports are stated per service (never derived from list order)', () => {
  const nested = () => ({ ...accounts('dev'), name: 'accounts-admin', apiPathPrefix: '/accounts/admin', listenerPriority: 50, testPort: 9002 });

  test('the shipped services state them', () => {
    for (const name of ['dev', 'prod'] as const) expect(accounts(name)).toMatchObject({ listenerPriority: expect.any(Number), testPort: expect.any(Number) });
  });

  test('a service without them is refused, naming the fields', () => {
    expect(problems(parseWithServices('dev', ([s]) => [{ ...s, listenerPriority: undefined, testPort: undefined }]))).toEqual([
      'config/dev.json: services[0].listenerPriority: expected the priority of the service\'s production listener rule, a whole number from 1 to 50000 that never changes (lower is evaluated first)',
      'config/dev.json: services[0].testPort: expected the port of the service\'s own test listener, 1024-65535, that never changes',
    ]);
  });

  test('a repeated priority or test port is refused on the repeat', () => {
    expect(problems(parseWithServices('dev', (services) => [...services, { ...nested(), apiPathPrefix: '/ledger', listenerPriority: services[0].listenerPriority, testPort: services[0].testPort }]))).toEqual([
      'config/dev.json: services[1].listenerPriority: expected a listener priority no other service uses',
      'config/dev.json: services[1].testPort: expected a test port no other service uses',
    ]);
  });

  test('a nested prefix must come before its parent', () => {
    expect(() => parseWithServices('dev', (services) => [...services, nested()])()).not.toThrow();
    expect(problems(parseWithServices('dev', (services) => [...services, { ...nested(), listenerPriority: services[0].listenerPriority + 1 }]))).toEqual([
      `config/dev.json: services[1].listenerPriority: expected a priority below ${accounts('dev').listenerPriority} (service "accounts", whose prefix "/accounts" contains "/accounts/admin"): the load balancer evaluates rules lowest priority first`,
    ]);
  });
});

describe('the hosted zone of the API domain', () => {
  const withDomain = (customDomain: Record<string, unknown>) => () => {
    const raw = JSON.parse(readFileSync(join(__dirname, '..', 'config', 'prod.json'), 'utf8'));
    raw.api.customDomain = customDomain;
    return parseEnvironmentConfig('config/prod.json', JSON.stringify(raw));
  };

  test('a hosted zone id needs the zone name, which must contain the domain', () => {
    expect(problems(withDomain({ domainName: 'api.connect.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ' }))).toEqual([
      'config/prod.json: api.customDomain.hostedZoneName: expected the DNS name of hosted zone Z0123456789ABCDEFGHIJ (e.g. "example.com"): the internal load balancer\'s certificate is validated in that zone',
    ]);
    expect(problems(withDomain({ domainName: 'api.connect.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ', hostedZoneName: 'other.example.org' }))).toEqual([
      'config/prod.json: api.customDomain.hostedZoneName: expected the zone that holds api.connect.example.com (it or a parent domain of it); got "other.example.org"',
    ]);
    expect(problems(withDomain({ domainName: 'api.connect.example.com', hostedZoneName: 'connect.example.com' }))).toEqual([
      'config/prod.json: api.customDomain.hostedZoneId: expected the id of hosted zone connect.example.com (set both or neither)',
    ]);
  });

  test('staging and prod ship a hosted zone with its name', () => {
    for (const name of ['staging', 'prod']) {
      const config = parseEnvironmentConfig(`config/${name}.json`, readFileSync(join(__dirname, '..', 'config', `${name}.json`), 'utf8'));
      expect(config.api.customDomain).toMatchObject({ hostedZoneId: expect.any(String), hostedZoneName: expect.any(String) });
    }
  });
});
