/**
 * Retries for outbound HTTP calls (Modyo admin API, CRM/CDP): a timeout per attempt, exponential backoff with full
 * jitter on 429 / 5xx / timeout / connection failures, and `Retry-After` honoured up to the backoff cap.
 * The policy functions are pure; `fetchWithRetry` is the one adapter over Node's fetch.
 */
import { httpCallLimitsFromEnv } from './outbound-limits';

export interface RetryPolicy {
  /** Time allowed for one attempt (connect, headers and body), in ms. */
  readonly timeoutMs: number;
  /** Attempts in total, the first one included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  /** Cap of a backoff delay and of a server's `Retry-After`. */
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** A number in [0, 1), for jitter. */
  readonly random: () => number;
  readonly now: () => number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  timeoutMs: 10_000,
  maxAttempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  now: Date.now,
};

export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  const policy = { ...DEFAULT_RETRY_POLICY, ...defined };
  if (!(policy.maxAttempts >= 1)) throw new Error('maxAttempts must be at least 1');
  return policy;
}

/** 429 and 5xx are worth another try; other statuses will answer the same again. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Full jitter: a random delay in [0, min(cap, base * 2^(attempt-1))), attempt counting from 1. */
export function backoffDelayMs(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random * ceiling);
}

/** `Retry-After` as delta-seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** The wait before the next attempt: the server's `Retry-After` when it gave one, else jittered backoff; capped. */
export function nextDelayMs(attempt: number, retryAfter: number | undefined, policy: RetryPolicy): number {
  if (retryAfter !== undefined) return Math.min(retryAfter, policy.maxDelayMs);
  return backoffDelayMs(attempt, policy, policy.random());
}

/** Network failures that a new connection may not meet again. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** No HTTP answer at all: a timeout or a broken connection. `code` names which, for logs. */
export class HttpTransportError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
    readonly attempts: number,
  ) {
    super(message);
    this.name = 'HttpTransportError';
  }
}

export function classifyFetchError(error: unknown): { code: string; retryable: boolean } {
  const name = (error as { name?: string } | null)?.name;
  if (name === 'TimeoutError') return { code: 'TIMEOUT', retryable: true };
  const cause = (error as { cause?: { code?: string } } | null)?.cause;
  const code = cause?.code ?? (error as { code?: string } | null)?.code ?? 'NETWORK_ERROR';
  return { code, retryable: TRANSIENT_NETWORK_CODES.has(code) };
}

/** A request to send; `init` is called for every attempt, so a retry never reuses a consumed body. */
export interface RetriedRequest {
  readonly url: string;
  readonly init: () => RequestInit;
}

/** A response read in full within the attempt's timeout. */
export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

async function attemptOnce(request: RetriedRequest, timeoutMs: number): Promise<HttpResult> {
  const response = await fetch(request.url, { ...request.init(), signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/**
 * Sends the request until it gets a response that is not worth retrying, or attempts run out. Returns the last
 * response whatever its status (the caller maps statuses to its own errors); throws HttpTransportError when the
 * last attempt got no complete response.
 */
export async function fetchWithRetry(request: RetriedRequest, policy: RetryPolicy): Promise<HttpResult> {
  for (let attempt = 1; ; attempt += 1) {
    let result: HttpResult;
    try {
      result = await attemptOnce(request, policy.timeoutMs);
    } catch (error) {
      const { code, retryable } = classifyFetchError(error);
      if (!retryable || attempt >= policy.maxAttempts) {
        throw new HttpTransportError(`No response after ${attempt} attempt(s): ${code}`, code, retryable, attempt);
      }
      await policy.sleep(nextDelayMs(attempt, undefined, policy));
      continue;
    }
    if (!isRetryableStatus(result.status) || attempt >= policy.maxAttempts) return result;
    await policy.sleep(nextDelayMs(attempt, retryAfterMs(result.headers.get('retry-after'), policy.now()), policy));
  }
}

/**
 * A policy from optional environment variables (HTTP_TIMEOUT_MS, HTTP_MAX_ATTEMPTS, HTTP_BASE_DELAY_MS,
 * HTTP_MAX_DELAY_MS) over the given defaults, so operators can tune a function without a code change.
 */
export function retryPolicyFromEnv(defaults: Partial<RetryPolicy> = {}, env: NodeJS.ProcessEnv = process.env): RetryPolicy {
  return retryPolicy({ ...defaults, ...httpCallLimitsFromEnv(env) });
}
