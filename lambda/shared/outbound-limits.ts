/**
 * How long an outbound call of a handler may take at most, the one place the relation "every outbound call gives
 * up before its function times out" is written. The stack passes a function's limits into its environment
 * (ConnectFunction's `outboundCalls`) and refuses at synth a function whose slowest call could outlast its timeout;
 * the handler reads the same limits back from its environment (`awsClientConfig`, `retryPolicyFromEnv`). Pure: no
 * SDK, so the CDK side imports it too.
 *
 * A function that hits its timeout fails its whole invocation (every message of its batch, or a 502 from API
 * Gateway) and says nothing of which call hung; a call that times out first fails only its own message or request,
 * with a reason (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html).
 */
import * as z from 'zod';
import { optionalWholeNumber, parseEnv } from './env';

/** An AWS SDK v3 client's limits: per attempt (connect, then the request) and attempts, with capped backoff. */
export interface AwsCallLimits {
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Attempts in total, the first one included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  /** Cap of one backoff delay. */
  readonly maxDelayMs: number;
}

/** An HTTP client's limits (lambda/shared/http-retry.ts): per attempt and attempts, with capped backoff. */
export interface HttpCallLimits {
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * AWS calls of a handler (DynamoDB, SQS, S3, Secrets Manager from inside the VPC answer in milliseconds): one
 * second to connect and one to answer, three attempts. Slowest call: 3 x 2 s + 100 + 200 ms = 6.3 s.
 */
export const DEFAULT_AWS_CALL_LIMITS: AwsCallLimits = { connectionTimeoutMs: 1_000, requestTimeoutMs: 1_000, maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200 };

/** The environment variables the limits travel in. */
export const AWS_CALL_ENV = {
  connectionTimeoutMs: 'AWS_CONNECTION_TIMEOUT_MS',
  requestTimeoutMs: 'AWS_REQUEST_TIMEOUT_MS',
  maxAttempts: 'AWS_MAX_ATTEMPTS',
  baseDelayMs: 'AWS_RETRY_BASE_DELAY_MS',
  maxDelayMs: 'AWS_RETRY_MAX_DELAY_MS',
} as const satisfies Record<keyof AwsCallLimits, string>;

/** The names lambda/shared/http-retry.ts `retryPolicyFromEnv` reads. */
export const HTTP_CALL_ENV = {
  timeoutMs: 'HTTP_TIMEOUT_MS',
  maxAttempts: 'HTTP_MAX_ATTEMPTS',
  baseDelayMs: 'HTTP_BASE_DELAY_MS',
  maxDelayMs: 'HTTP_MAX_DELAY_MS',
} as const satisfies Record<keyof HttpCallLimits, string>;

/** The backoff before retry `retry` (1-based): full jitter below min(cap, base * 2^retry). Its ceiling is what counts. */
export function backoffCeilingMs(retry: number, limits: Pick<AwsCallLimits, 'baseDelayMs' | 'maxDelayMs'>): number {
  return Math.min(limits.maxDelayMs, limits.baseDelayMs * 2 ** retry);
}

/** The longest one AWS call can take: every attempt connecting and answering at its limits, every backoff at its ceiling. */
export function awsCallWorstCaseMs(limits: AwsCallLimits): number {
  let total = limits.maxAttempts * (limits.connectionTimeoutMs + limits.requestTimeoutMs);
  for (let retry = 1; retry < limits.maxAttempts; retry += 1) total += backoffCeilingMs(retry, limits);
  return total;
}

/**
 * The longest one HTTP call can take (fetchWithRetry): every attempt at its timeout and every wait at the cap (a
 * server's Retry-After is capped there too).
 */
export function httpCallWorstCaseMs(limits: HttpCallLimits): number {
  return limits.maxAttempts * limits.timeoutMs + (limits.maxAttempts - 1) * limits.maxDelayMs;
}

function toEnv<K extends string>(names: Record<K, string>, limits: Record<K, number>): Record<string, string> {
  return Object.fromEntries((Object.keys(names) as K[]).map((key) => [names[key], String(limits[key])]));
}

export function awsCallLimitsEnv(limits: AwsCallLimits): Record<string, string> {
  return toEnv(AWS_CALL_ENV, limits as unknown as Record<keyof AwsCallLimits, number>);
}

export function httpCallLimitsEnv(limits: HttpCallLimits): Record<string, string> {
  return toEnv(HTTP_CALL_ENV, limits as unknown as Record<keyof HttpCallLimits, number>);
}

/**
 * The outbound limits' variables as a contract (lambda/shared/env.ts): each optional, AWS ones at least 1. Built on
 * first need only: every client a handler builds at cold start reads the limits, and a valid environment is read
 * without zod (`readWholeNumbers`); the schemas parse only a bad one, so its message is theirs.
 */
let awsCallLimitsSchema: z.ZodType | undefined;
let httpCallLimitsSchema: z.ZodType | undefined;
const limitsSchema = (names: Record<string, string>, min: number) => z.object(Object.fromEntries(Object.values(names).map((name) => [name, optionalWholeNumber(min)])));
const awsCallLimitsEnvSchema = () => (awsCallLimitsSchema ??= limitsSchema(AWS_CALL_ENV, 1));
const httpCallLimitsEnvSchema = () => (httpCallLimitsSchema ??= limitsSchema(HTTP_CALL_ENV, 0));

/** The variables `names` as whole numbers >= `min` (absent or empty: undefined), or undefined when one is not one. */
function readWholeNumbers(names: Record<string, string>, min: number, env: Readonly<Record<string, string | undefined>>): Record<string, number | undefined> | undefined {
  const values: Record<string, number | undefined> = {};
  for (const name of Object.values(names)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) < min) return undefined;
    values[name] = Number(value);
  }
  return values;
}

/** The AWS limits in the environment, over the defaults; a value that is not a positive whole number fails at cold start. */
export function awsCallLimitsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): AwsCallLimits {
  const values = readWholeNumbers(AWS_CALL_ENV, 1, env) ?? (parseEnv(awsCallLimitsEnvSchema(), env) as Record<string, number | undefined>);
  const read = (key: keyof AwsCallLimits): number => values[AWS_CALL_ENV[key]] ?? DEFAULT_AWS_CALL_LIMITS[key];
  return { connectionTimeoutMs: read('connectionTimeoutMs'), requestTimeoutMs: read('requestTimeoutMs'), maxAttempts: read('maxAttempts'), baseDelayMs: read('baseDelayMs'), maxDelayMs: read('maxDelayMs') };
}

/** The HTTP limits set in the environment (absent ones left out, for the caller's defaults); a bad value fails at cold start. */
export function httpCallLimitsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): Partial<HttpCallLimits> {
  const values = readWholeNumbers(HTTP_CALL_ENV, 0, env) ?? (parseEnv(httpCallLimitsEnvSchema(), env) as Record<string, number | undefined>);
  const entries = (Object.keys(HTTP_CALL_ENV) as Array<keyof HttpCallLimits>).map((key) => [key, values[HTTP_CALL_ENV[key]]] as const);
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined));
}
