import { Annotations, CfnOutput, type Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { requiredConcurrencyQuota, UNRESERVED_CONCURRENCY_MINIMUM } from '../lambda-concurrency';

/** The reserved concurrency of one stack's functions, as its template will declare it. */
export function reservedConcurrencyOfStack(stack: Stack): number {
  return stack.node
    .findAll()
    .filter((construct): construct is lambda.CfnFunction => construct instanceof lambda.CfnFunction && construct.stack === stack)
    .reduce((total, fn) => total + (typeof fn.reservedConcurrentExecutions === 'number' ? fn.reservedConcurrentExecutions : 0), 0);
}

/** The one line that tells an SRE what an environment reserves and the quota it needs. */
export function concurrencySummary(environment: string, shares: ReadonlyArray<{ stack?: string; reserved: number }>): string {
  const total = shares.reduce((sum, share) => sum + share.reserved, 0);
  const detail = shares.filter((share) => share.reserved > 0 && share.stack !== undefined).map((share) => `${share.stack} ${share.reserved}`).join(', ');
  return (
    `Lambda reserved concurrency of ${environment}: ${total}${detail ? ` (${detail})` : ''}; the account's concurrency quota must be at least ` +
    `${requiredConcurrencyQuota(total)} (Lambda keeps ${UNRESERVED_CONCURRENCY_MINIMUM} unreserved). Set per function in config lambdaConcurrency; check the account with npm run preflight.`
  );
}

/**
 * Shows an environment's reserved concurrency where users look: an output per stack with functions (printed by
 * `cdk deploy`, kept in the stack's outputs) and an info annotation on the environment's first such stack, with the
 * environment's total and the quota it needs (what the template validation and `cdk synth` report). bin/connect.ts
 * also prints the total read back from the synthesized templates.
 */
export function reportReservedConcurrency(environment: string, stacks: readonly Stack[]): number {
  const shares = stacks
    .filter((stack) => stack.node.findAll().some((construct) => construct instanceof lambda.CfnFunction && construct.stack === stack))
    .map((stack) => ({ stack, reserved: reservedConcurrencyOfStack(stack) }));
  const total = shares.reduce((sum, share) => sum + share.reserved, 0);
  for (const { stack, reserved } of shares) {
    new CfnOutput(stack, 'ReservedLambdaConcurrency', {
      value: String(reserved),
      description: `Reserved Lambda concurrency of this stack's functions; environment ${environment} reserves ${total} in all and needs an account quota of at least ${requiredConcurrencyQuota(total)}`,
    });
  }
  if (shares.length > 0) Annotations.of(shares[0].stack).addInfo(concurrencySummary(environment, shares.map((share) => ({ stack: share.stack.stackName, reserved: share.reserved }))));
  return total;
}
