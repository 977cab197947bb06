/**
 * Issue 11 item 9: every environment's reserved Lambda concurrency comes from config (lambdaConcurrency, defaults
 * per kind), is what the templates declare, and is reported at synth and deploy (the line bin/connect.ts prints). Lambda keeps 100 executions unreserved: https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseEnvironmentConfig } from '../lib/config/load';
import type { EnvironmentConfig } from '../lib/config/schema';
import {
  CONCURRENCY_FUNCTIONS,
  concurrencySummary,
  type ConcurrencyFunction,
  functionConcurrency,
  requiredConcurrencyQuota,
  reservedConcurrencyOf,
  SQS_CONSUMER_FUNCTIONS,
  type TemplateResources,
} from '../lib/lambda-concurrency';
import { environmentConfig } from './support/api-template';
import { concurrencyVariant } from './support/concurrency-variants';
import { ENVIRONMENTS, environmentJson } from './support/assembly';

/** Which config entry a synthesized function is, by the construct id its logical id starts with. */
const LOGICAL_ID_PREFIX: Record<ConcurrencyFunction, RegExp> = {
  webhookReceiver: /^WebhookReceiver[0-9A-F]{8}$/,
  customerSyncInbound: /^CustomerSyncInbound[0-9A-F]{8}$/,
  customerSyncWorker: /^CustomerSyncWorker[0-9A-F]{8}$/,
  customerSyncForwarder: /^CustomerSyncForwarder[0-9A-F]{8}$/,
  notificationsApi: /^NotificationsApi[0-9A-F]{8}$/,
  notificationsWorker: /^NotificationsWorker[0-9A-F]{8}$/,
  paymentsApi: /^PaymentsApi[0-9A-F]{8}$/,
  paymentsOutbox: /^PaymentsOutbox[0-9A-F]{8}$/,
  paymentsCheckout: /^PaymentsCheckout[0-9A-F]{8}$/,
  paymentsExpiry: /^PaymentsExpiry[0-9A-F]{8}$/,
  preTokenGeneration: /^PreTokenGeneration[0-9A-F]{8}$/,
  identityProvisioning: /^ProvisioningFunction[0-9A-F]{8}$/,
  deploymentSmokeTest: /^DeploymentSmokeTest[0-9A-F]{8}$/,
};

type Templates = Record<string, { Resources?: Record<string, { Type: string; Properties?: any }>; Outputs?: Record<string, { Value: unknown }> }>;

/** Every function of an environment with the config entry it belongs to. */
function functionsOf(templates: Templates) {
  return Object.entries(templates).flatMap(([stack, template]) =>
    Object.entries(template.Resources ?? {})
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
      .map(([logicalId, resource]) => {
        const name = CONCURRENCY_FUNCTIONS.find((candidate) => LOGICAL_ID_PREFIX[candidate].test(logicalId));
        return { stack, logicalId, name, properties: resource.Properties ?? {} };
      }),
  );
}

function eventSourceMaximum(templates: Templates, stack: string, logicalId: string): number | undefined {
  const mapping = Object.values(templates[stack].Resources ?? {}).find((resource) => resource.Type === 'AWS::Lambda::EventSourceMapping' && resource.Properties?.FunctionName?.Ref === logicalId);
  return mapping?.Properties?.ScalingConfig?.MaximumConcurrency;
}

/** The environment's total as config says it: every function's resolved reservation. */
function expectedTotal(config: EnvironmentConfig, templates: Templates): number {
  return functionsOf(templates).reduce((sum, fn) => sum + (fn.name ? (functionConcurrency(config, fn.name).reserved ?? 0) : 0), 0);
}

describe.each(ENVIRONMENTS)('%s: reserved concurrency', (environment) => {
  const config = environmentConfig(environment);
  const templates = environmentJson(environment) as Templates;

  test('every function reserves what config says (default per kind), and SQS workers cap their event source at it', () => {
    const functions = functionsOf(templates);
    // Only CDK's own custom-resource providers are not in config, and they reserve nothing.
    const others = functions.filter((fn) => fn.name === undefined);
    expect(others.filter((fn) => !/CustomResourceProvider/.test(fn.logicalId) || fn.properties.ReservedConcurrentExecutions !== undefined)).toEqual([]);
    for (const fn of functions.filter((candidate) => candidate.name !== undefined)) {
      const concurrency = functionConcurrency(config, fn.name as ConcurrencyFunction);
      expect({ fn: fn.logicalId, reserved: fn.properties.ReservedConcurrentExecutions }).toEqual({ fn: fn.logicalId, reserved: concurrency.reserved });
      if (SQS_CONSUMER_FUNCTIONS.includes(fn.name as ConcurrencyFunction)) expect(eventSourceMaximum(templates, fn.stack, fn.logicalId)).toBe(concurrency.limit);
    }
  });

  test('the total from the templates is what config says: the shipped defaults per kind', () => {
    const total = reservedConcurrencyOf(Object.values(templates) as TemplateResources[]);
    expect(total).toBe(expectedTotal(config, templates));
    // Written out, so a change of a default or of a function's wiring shows here: 50 x 5 API handlers, 5 x 3 workers,
    // the outbox and the payment expiry job, the pre token trigger, provisioning and the smoke test in prod;
    // 10 x 5, 2 x 3, 1 + 1, 20, 5, 2 elsewhere.
    expect(total).toBe({ dev: 85, staging: 85, prod: 294 }[environment]);
  });
});

test('the shipped environments reserve what the README lists', () => {
  const totals = Object.fromEntries(ENVIRONMENTS.map((environment) => [environment, reservedConcurrencyOf(Object.values(environmentJson(environment)) as TemplateResources[])]));
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  for (const [environment, total] of Object.entries(totals)) {
    expect(readme).toMatch(new RegExp(`\\| \`${environment}\` \\| ${total} \\| ${requiredConcurrencyQuota(total)} \\|`));
  }
});

describe('a config that changes the reservations changes the templates', () => {
  // The dev environment with `lambdaConcurrency` replaced, synthesized on its own (no compliance gate: not what is
  // tested here) by the global setup's child after the shipped app (test/support/concurrency-variants.ts).
  test('lowered numbers, and reservations turned off for a small account', () => {
    // lambdaConcurrency { functions: { webhookReceiver: 3, notificationsWorker: 2, preTokenGeneration: 4 } }
    const lowered = concurrencyVariant('lowered');
    const byName = (templates: Templates, name: ConcurrencyFunction) => functionsOf(templates).filter((fn) => fn.name === name);
    expect(byName(lowered.templates, 'webhookReceiver')[0].properties.ReservedConcurrentExecutions).toBe(3);
    expect(byName(lowered.templates, 'preTokenGeneration')[0].properties.ReservedConcurrentExecutions).toBe(4);
    const worker = byName(lowered.templates, 'notificationsWorker')[0];
    expect(worker.properties.ReservedConcurrentExecutions).toBe(2);
    expect(eventSourceMaximum(lowered.templates, worker.stack, worker.logicalId)).toBe(2);
    const loweredTotal = reservedConcurrencyOf(Object.values(lowered.templates) as TemplateResources[]);
    expect(loweredTotal).toBe(expectedTotal(lowered.config, lowered.templates));
    expect(loweredTotal).toBe(reservedConcurrencyOf(Object.values(environmentJson('dev')) as TemplateResources[]) - (10 - 3) - (20 - 4));

    // lambdaConcurrency { reserve: false }
    const off = concurrencyVariant('off');
    const functions = functionsOf(off.templates);
    expect(functions.length).toBeGreaterThan(0);
    expect(functions.filter((fn) => fn.properties.ReservedConcurrentExecutions !== undefined)).toEqual([]);
    expect(reservedConcurrencyOf(Object.values(off.templates) as TemplateResources[])).toBe(0);
    // The workers stay capped by their event source, which does not draw on the account's reservations.
    const provisioning = byName(off.templates, 'identityProvisioning')[0];
    expect(eventSourceMaximum(off.templates, provisioning.stack, provisioning.logicalId)).toBe(5);
  }, 240_000);
});

describe('the config section refuses what Lambda would refuse, naming the field', () => {
  const parse = (lambdaConcurrency: unknown) => {
    const raw = JSON.parse(readFileSync(join(__dirname, '..', 'config', 'dev.json'), 'utf8'));
    try {
      parseEnvironmentConfig('config/dev.json', JSON.stringify({ ...raw, lambdaConcurrency }));
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  test('an SQS worker below 2, a reservation of 0, an unknown function', () => {
    expect(parse({ functions: { identityProvisioning: 1 } })).toEqual([
      "config/dev.json: lambdaConcurrency.functions.identityProvisioning: expected 2 to 1000: this SQS consumer's event source takes the same maximum concurrency, which Lambda accepts from 2 to 1000",
    ]);
    expect(parse({ functions: { webhookReceiver: 0 } })).toEqual([
      'config/dev.json: lambdaConcurrency.functions.webhookReceiver: expected at least 1 (to stop reserving, set lambdaConcurrency.reserve to false)',
    ]);
    expect(parse({ functions: { webhookReciever: 5 } })[0]).toMatch(/^config\/dev\.json: lambdaConcurrency\.functions: .*webhookReciever/);
    expect(parse({ reserve: false, functions: { webhookReceiver: 5 } })).toEqual([]);
  });
});

test('the line synth and deploy print names the environment, its total and the quota it needs', () => {
  expect(concurrencySummary('prod', 243)).toMatch(/^Lambda reserved concurrency of prod: 243; the account's concurrency quota must be at least 343 \(Lambda keeps 100 unreserved\)/);
});
