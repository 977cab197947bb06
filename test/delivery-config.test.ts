import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDeliveryConfig } from '../lib/config/delivery';
import { ConfigError, loadEnvironmentConfigs } from '../lib/config/load';
import { deliveryJsonSchema } from '../scripts/write-config-schema';

const CONFIG_DIR = join(__dirname, '..', 'config');
const environments = loadEnvironmentConfigs(CONFIG_DIR);
const shipped = () => JSON.parse(readFileSync(join(CONFIG_DIR, 'delivery.json'), 'utf8'));

/** The shipped config/delivery.json changed by `change`, parsed against the shipped environments. */
function parse(change: (raw: any) => void) {
  const raw = shipped();
  change(raw);
  return parseDeliveryConfig('config/delivery.json', JSON.stringify(raw), environments);
}

function problems(change: (raw: any) => void): string[] {
  try {
    parse(change);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const otherRegionArn = 'arn:aws:codeconnections:eu-west-1:999999999999:connection/5f8a3b1e-7c2d-4e9f-a6b0-1d2c3e4f5a6b';

test('the shipped delivery config parses, with the defaults filled in, and is not read as an environment', () => {
  const config = parse(() => undefined);
  expect(config.promotion).toEqual(['dev', 'staging', 'prod']);
  expect(config.services[0]).toMatchObject({ name: 'accounts', dockerfile: 'Dockerfile', buildContext: '.', source: { type: 'codecommit', branch: 'main', requiredApprovals: 2 } });
  expect(config.microFrontends[0]).toMatchObject({ publish: true, sites: { staging: '41', prod: '42' } });
  expect(environments.map((e) => e.name)).toEqual(['dev', 'prod', 'staging']);
});

test('a service without a source names the file, the field and the two kinds of source', () => {
  expect(problems((raw) => delete raw.services[0].source)).toEqual([
    'config/delivery.json: services[0].source: expected a source: {"type": "codecommit", "repositoryName"} or {"type": "connection", "connectionArn", "repository"}',
  ]);
});

test('a micro frontend without a source is refused the same way', () => {
  expect(problems((raw) => delete raw.microFrontends[0].source)).toEqual([
    'config/delivery.json: microFrontends[0].source: expected a source: {"type": "codecommit", "repositoryName"} or {"type": "connection", "connectionArn", "repository"}',
  ]);
});

test('an unknown environment in the promotion order names it and the environments that exist', () => {
  expect(problems((raw) => raw.promotion.splice(2, 0, 'qa'))).toEqual(['config/delivery.json: promotion[2]: expected an environment (dev, prod, staging); got "qa"']);
});

test('production before a pre-production environment is refused on the late pre-production entry', () => {
  expect(problems((raw) => (raw.promotion = ['dev', 'prod', 'staging']))).toEqual([
    'config/delivery.json: promotion[2]: expected pre-production environments before production ("prod"); "staging" comes after it',
  ]);
});

test('an environment left out of the promotion order, or named twice, is refused', () => {
  expect(problems((raw) => (raw.promotion = ['dev', 'prod']))).toEqual(['config/delivery.json: promotion: expected every environment; "staging" is missing']);
  expect(problems((raw) => (raw.promotion = ['dev', 'dev', 'staging', 'prod']))).toEqual(['config/delivery.json: promotion[1]: expected each environment once']);
});

test('a connection ARN of another region than the tooling region is refused', () => {
  expect(problems((raw) => (raw.platform.source.connectionArn = otherRegionArn))).toEqual([
    'config/delivery.json: platform.source.connectionArn: expected a connection in the tooling region us-east-1 (the pipeline\'s); got one in eu-west-1',
  ]);
  expect(problems((raw) => (raw.microFrontends[0].source.connectionArn = otherRegionArn))).toEqual([
    'config/delivery.json: microFrontends[0].source.connectionArn: expected a connection in the tooling region us-east-1 (the pipeline\'s); got one in eu-west-1',
  ]);
});

test('a connection of another account, or not a connection ARN at all, is refused', () => {
  expect(problems((raw) => (raw.platform.source.connectionArn = otherRegionArn.replace('eu-west-1:999999999999', 'us-east-1:123456789012')))).toEqual([
    'config/delivery.json: platform.source.connectionArn: expected a connection of the tooling account 999999999999; got one of 123456789012',
  ]);
  expect(problems((raw) => (raw.platform.source.connectionArn = 'github.com/example-org/connect'))).toEqual([
    'config/delivery.json: platform.source.connectionArn: expected a CodeConnections connection ARN, e.g. "arn:aws:codeconnections:us-east-1:999999999999:connection/<uuid>"',
  ]);
});

test('a service of an environment with no pipeline, and a pipeline of no service, are refused', () => {
  expect(problems((raw) => (raw.services = []))).toEqual([
    'config/delivery.json: services: expected a pipeline with a source for service "accounts" (services[] of dev): the pipeline is how its images are released',
    'config/delivery.json: services: expected a pipeline with a source for service "accounts" (services[] of prod): the pipeline is how its images are released',
    'config/delivery.json: services: expected a pipeline with a source for service "accounts" (services[] of staging): the pipeline is how its images are released',
  ]);
  expect(problems((raw) => raw.services.push({ ...raw.services[0], name: 'ledger' }))).toEqual([
    'config/delivery.json: services[1].name: expected a service of an environment\'s services[]; "ledger" is in none',
  ]);
});

test('a micro frontend site of an unknown environment, a service with no tests, and a bad site id are refused', () => {
  expect(problems((raw) => (raw.microFrontends[0].sites.qa = '7'))).toEqual(['config/delivery.json: microFrontends[0].sites.qa: expected an environment (dev, prod, staging)']);
  expect(problems((raw) => (raw.services[0].testCommands = []))).toEqual([
    'config/delivery.json: services[0].testCommands: expected at least one test command: an image is released only after its tests pass',
  ]);
  expect(problems((raw) => (raw.microFrontends[0].sites.prod = 'www.example.com'))).toEqual(['config/delivery.json: microFrontends[0].sites.prod: expected the Modyo site id (digits, as a string), e.g. "42"']);
});

test('an unknown field is named, as in the environment files', () => {
  expect(problems((raw) => (raw.platform.branch = 'main'))).toEqual([
    'config/delivery.json: platform: unknown field(s) "branch"; expected only the fields in config/delivery.schema.json',
  ]);
});

test('config/delivery.schema.json is generated from the schema and up to date', () => {
  expect(JSON.parse(readFileSync(join(CONFIG_DIR, 'delivery.schema.json'), 'utf8'))).toEqual(deliveryJsonSchema());
});
