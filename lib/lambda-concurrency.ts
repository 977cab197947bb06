/**
 * Reserved Lambda concurrency of an environment, read from its synthesized templates: what synth reports, what the
 * README lists and what preflight compares with the account's quota.
 *
 * Lambda keeps at least this many executions unreserved in every account and refuses a reservation that would
 * leave fewer: https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
 */
export const UNRESERVED_CONCURRENCY_MINIMUM = 100;

/** A CloudFormation template as far as this module reads it. */
export interface TemplateResources {
  readonly Resources?: Readonly<Record<string, { readonly Type: string; readonly Properties?: Readonly<Record<string, unknown>> }>>;
}

/** The sum of `ReservedConcurrentExecutions` over every function of the given templates. */
export function reservedConcurrencyOf(templates: readonly TemplateResources[]): number {
  let total = 0;
  for (const template of templates) {
    for (const resource of Object.values(template.Resources ?? {})) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const reserved = resource.Properties?.ReservedConcurrentExecutions;
      if (typeof reserved === 'number') total += reserved;
    }
  }
  return total;
}

/** The account concurrency quota an environment needs: its reservations plus the unreserved minimum. */
export function requiredConcurrencyQuota(reserved: number): number {
  return reserved + UNRESERVED_CONCURRENCY_MINIMUM;
}

/**
 * The line `cdk synth` and `cdk deploy` print per environment (bin/connect.ts, from the synthesized templates): what
 * it reserves and the account quota that leaves Lambda its unreserved minimum.
 */
export function concurrencySummary(environment: string, reserved: number): string {
  return (
    `Lambda reserved concurrency of ${environment}: ${reserved}; the account's concurrency quota must be at least ${requiredConcurrencyQuota(reserved)} ` +
    `(Lambda keeps ${UNRESERVED_CONCURRENCY_MINIMUM} unreserved). Set per function in config lambdaConcurrency; check the account with npm run preflight.`
  );
}

/**
 * The functions whose reserved concurrency config sets (`lambdaConcurrency.functions.<name>`), with their defaults
 * per kind of environment. API handlers absorb bursts; workers are capped to protect Modyo, the CRM and the
 * providers; the pre token generation trigger holds sign-in bursts; the outbox runs one at a time.
 */
export const CONCURRENCY_DEFAULTS = {
  webhookReceiver: { production: 50, preproduction: 10 },
  customerSyncInbound: { production: 50, preproduction: 10 },
  customerSyncWorker: { production: 5, preproduction: 2 },
  customerSyncForwarder: { production: 5, preproduction: 2 },
  notificationsApi: { production: 50, preproduction: 10 },
  notificationsWorker: { production: 5, preproduction: 2 },
  paymentsApi: { production: 50, preproduction: 10 },
  paymentsOutbox: { production: 1, preproduction: 1 },
  paymentsCheckout: { production: 50, preproduction: 10 },
  paymentsExpiry: { production: 1, preproduction: 1 },
  preTokenGeneration: { production: 20, preproduction: 20 },
  identityProvisioning: { production: 5, preproduction: 5 },
  /** Default: one per service, at least 2 (two services may release at once). */
  deploymentSmokeTest: { production: 'services', preproduction: 'services' },
} as const satisfies Record<string, { production: number | 'services'; preproduction: number | 'services' }>;

export type ConcurrencyFunction = keyof typeof CONCURRENCY_DEFAULTS;
export const CONCURRENCY_FUNCTIONS = Object.keys(CONCURRENCY_DEFAULTS) as ConcurrencyFunction[];
/**
 * Consumers of SQS event sources: their event source's maximum concurrency is set to the same number, and Lambda
 * accepts 2-1000 there (MaximumConcurrency: https://docs.aws.amazon.com/lambda/latest/dg/API_ScalingConfig.html).
 * It caps the consumer whether or not concurrency is reserved, which is why `reserve: false` keeps the workers from
 * flooding Modyo or the CRM (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html).
 */
export const SQS_CONSUMER_FUNCTIONS: readonly ConcurrencyFunction[] = ['customerSyncWorker', 'customerSyncForwarder', 'notificationsWorker', 'identityProvisioning'];

/** What the resolution reads of an environment's config (a structural subset of EnvironmentConfig). */
export interface ConcurrencyConfig {
  readonly kind: 'production' | 'preproduction';
  readonly services: readonly unknown[];
  readonly lambdaConcurrency: { readonly reserve: boolean; readonly functions: Partial<Record<ConcurrencyFunction, number>> };
}

/** A function's concurrency in an environment: the configured number (or the default), and whether it is reserved. */
export interface FunctionConcurrency {
  /** How many executions the function may use: its reservation, and an SQS consumer's event-source maximum. */
  readonly limit: number;
  /** ReservedConcurrentExecutions, or undefined when reservations are turned off (`lambdaConcurrency.reserve: false`). */
  readonly reserved: number | undefined;
}

export function functionConcurrency(config: ConcurrencyConfig, name: ConcurrencyFunction): FunctionConcurrency {
  const fallback = CONCURRENCY_DEFAULTS[name][config.kind];
  const limit = config.lambdaConcurrency.functions[name] ?? (fallback === 'services' ? Math.max(2, config.services.length) : fallback);
  return { limit, reserved: config.lambdaConcurrency.reserve ? limit : undefined };
}
