/**
 * The configuration every AWS SDK v3 client of a handler is built with, so no AWS call can hang until the function
 * times out: a connection and a request timeout per attempt, and a retry strategy whose attempts and backoff are
 * bounded by the limits of lambda/shared/outbound-limits.ts (read from the function's environment, which the stack
 * fills from the same limits it checks against the function's timeout).
 *
 * - `requestHandler` options (connectionTimeout, requestTimeout) are the SDK's documented way to set timeouts
 *   (https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html, shorthand
 *   since v3.521.0). Since @smithy/node-http-handler 4.4.0 an exceeded requestTimeout only logs a warning unless
 *   `throwOnRequestTimeout` is set, so it is set: the attempt fails with a TimeoutError (retryable).
 * - The SDK's standard strategy may stretch a delay by a server's retry-after hint; this one never does, so the
 *   slowest call is exactly `awsCallWorstCaseMs`.
 */
import { type AwsCallLimits, awsCallLimitsFromEnv, backoffCeilingMs } from './outbound-limits';

interface RetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}

/** A RetryStrategyV2 (acquire / refresh / recordSuccess) with at most `maxAttempts` attempts and capped full-jitter backoff. */
export function boundedRetryStrategy(limits: AwsCallLimits, random: () => number = Math.random) {
  const token = (count: number, delay: number): RetryToken => ({ getRetryCount: () => count, getRetryDelay: () => delay });
  return {
    mode: 'standard',
    acquireInitialRetryToken: async (_scope: string): Promise<RetryToken> => token(0, 0),
    refreshRetryTokenForRetry: async (previous: RetryToken, errorInfo: { errorType: string }): Promise<RetryToken> => {
      const retry = previous.getRetryCount() + 1;
      // Client errors (validation, conditional check, access denied) answer the same again.
      if (retry >= limits.maxAttempts || errorInfo.errorType === 'CLIENT_ERROR') throw new Error('No retry left');
      return token(retry, Math.floor(random() * backoffCeilingMs(retry, limits)));
    },
    recordSuccess: (_token: RetryToken): void => undefined,
  };
}

/** Spread into every client's constructor: `new SQSClient(awsClientConfig())`. */
export function awsClientConfig(limits: AwsCallLimits = awsCallLimitsFromEnv()) {
  return {
    maxAttempts: limits.maxAttempts,
    retryStrategy: boundedRetryStrategy(limits),
    requestHandler: {
      connectionTimeout: limits.connectionTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
}

/**
 * Removes the SDK's logger middleware, which on every call copies the input and output through the command's
 * sensitive-data filter for the client's logger, even for the NoOpLogger a client built without `logger` has (ours
 * never set one, so nothing is logged either way). For a handler whose cost per event is its AWS calls (webhook
 * receiver: ~2 % of its CPU per event).
 */
export function withoutCallLogging<Client extends { middlewareStack: { remove(name: string): boolean } }>(client: Client): Client {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}

/**
 * Client option: the middleware stack resolved once per command class instead of on every call ("0-1 ms per
 * request", the SDK's documentation of `cacheMiddleware`); the stack must then not change after the first call.
 * Not for a DynamoDBClient that a DynamoDBDocumentClient wraps: the document commands add their marshalling
 * middleware per command instance. Only for a client whose calls all resolve one endpoint (one bucket, one table,
 * queues of one host): the cached handler keeps the context of its first call (endpoint, signing region), and SQS's
 * queue-URL middleware rewrites that endpoint, so concurrent sends to queues on different hosts would race on it.
 */
export const CACHED_MIDDLEWARE = { cacheMiddleware: true } as const;
