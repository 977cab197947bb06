import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseEnvironmentConfig } from '../lib/config/load';

/** A shipped config file with its services replaced, parsed as if it were `config/<name>.json`. */
function parseWithServices(name: 'dev' | 'prod', change: (services: any[]) => any[]): () => unknown {
  const raw = JSON.parse(readFileSync(join(__dirname, '..', 'config', `${name}.json`), 'utf8'));
  raw.services = change(raw.services);
  return () => parseEnvironmentConfig(`config/${name}.json`, JSON.stringify(raw));
}

function problems(parse: () => unknown): string[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
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
  const second = { ...accounts('dev'), apiPathPrefix: '/accounts-v2' };
  expect(problems(parseWithServices('dev', (services) => [...services, second]))).toEqual(['config/dev.json: services[1].name: expected a unique service name']);
});

test('a repeated API path prefix is refused on the repeat', () => {
  const second = { ...accounts('dev'), name: 'accounts-v2' };
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
