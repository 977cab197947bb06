import { z } from 'zod';
import { CONCURRENCY_DEFAULTS, type ConcurrencyFunction, SQS_CONSUMER_FUNCTIONS } from '../lambda-concurrency';

/**
 * Reserved concurrency of the environment's functions (`lambdaConcurrency`, README "Lambda concurrency"). Lambda
 * keeps 100 executions of the account's quota unreserved and refuses a reservation that would leave fewer, and new
 * accounts may start far below the usual 1,000 (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html):
 * lower the numbers, or turn reservations off, for an account whose quota cannot hold them (`npm run preflight` compares).
 */
const SQS_CONSUMER_RANGE = 'expected 2 to 1000: this SQS consumer\'s event source takes the same maximum concurrency, which Lambda accepts from 2 to 1000';
const reservation = (name: ConcurrencyFunction) =>
  SQS_CONSUMER_FUNCTIONS.includes(name)
    ? z.number().int({ message: 'expected a whole number' }).min(2, { message: SQS_CONSUMER_RANGE }).max(1000, { message: SQS_CONSUMER_RANGE })
    : z.number().int({ message: 'expected a whole number' }).min(1, { message: 'expected at least 1 (to stop reserving, set lambdaConcurrency.reserve to false)' });

export const LambdaConcurrencyConfig = z.strictObject({
  /**
   * false: no function reserves concurrency; they share the account's unreserved pool, and the SQS workers stay
   * capped by their event source's maximum concurrency (the numbers below). For accounts with a small quota.
   */
  reserve: z.boolean().default(true),
  /** Per-function reservations; a function left out keeps its default for the environment's kind. */
  functions: z
    .strictObject(Object.fromEntries(Object.keys(CONCURRENCY_DEFAULTS).map((name) => [name, reservation(name as ConcurrencyFunction).optional()])) as Record<ConcurrencyFunction, z.ZodOptional<z.ZodNumber>>)
    .default({}),
});
