/** 3. Lambda concurrency: the account keeps its unreserved minimum after this environment's reservations. */
import { requiredConcurrencyQuota, UNRESERVED_CONCURRENCY_MINIMUM } from '../../lambda-concurrency';
import { CHECKS, type CheckResult, checkResult } from './check';

export interface ConcurrencyObservation {
  /** AccountLimit.ConcurrentExecutions: the account's quota in this region. */
  readonly accountLimit: number;
  /** AccountLimit.UnreservedConcurrentExecutions: the quota minus every reservation in the account today. */
  readonly unreserved: number;
  /** Reservations this environment's already-deployed functions hold (0 before the first deploy). */
  readonly reservedByDeployedFunctions: number;
}

/**
 * After the deploy, the account must keep UNRESERVED_CONCURRENCY_MINIMUM unreserved
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html). On a re-deploy this environment's
 * functions already hold reservations counted in today's unreserved figure, and the deploy replaces them rather
 * than adding to them: they are given back before this environment's reservations are taken.
 */
export function decideConcurrency(environmentReserved: number, observed: ConcurrencyObservation): CheckResult {
  const after = observed.unreserved + observed.reservedByDeployedFunctions - environmentReserved;
  const reasoning = `quota ${observed.accountLimit}, unreserved now ${observed.unreserved}${observed.reservedByDeployedFunctions ? ` (${observed.reservedByDeployedFunctions} of it held by this environment's deployed functions)` : ''}, this environment reserves ${environmentReserved}: ${after} unreserved after the deploy`;
  if (after >= UNRESERVED_CONCURRENCY_MINIMUM) return checkResult(CHECKS.concurrency, [{ ok: true, text: `${reasoning} (>= ${UNRESERVED_CONCURRENCY_MINIMUM})` }]);
  const quota = Math.max(observed.accountLimit + (UNRESERVED_CONCURRENCY_MINIMUM - after), requiredConcurrencyQuota(environmentReserved));
  return checkResult(CHECKS.concurrency, [
    {
      ok: false,
      text: `${reasoning}; Lambda refuses a reservation that leaves fewer than ${UNRESERVED_CONCURRENCY_MINIMUM}`,
      fix: `request a Lambda "Concurrent executions" quota of at least ${quota} (Service Quotas, code L-B99A9384), or lower this environment's reservations in its config (lambdaConcurrency.functions, or lambdaConcurrency.reserve: false)`,
    },
  ]);
}
