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
