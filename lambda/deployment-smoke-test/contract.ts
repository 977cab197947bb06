/**
 * The deployment smoke test's contract (the only file of this handler lib/ imports): what a service may set in the
 * lifecycle hook's hookDetails, and the environment. Each service gives its test listener and paths in hookDetails;
 * SMOKE_TEST_BASE_URL / SMOKE_TEST_PATHS are only the fallbacks. The probe's timing is the function's outbound HTTP
 * limits (HTTP_TIMEOUT_MS per attempt, HTTP_MAX_ATTEMPTS per path, HTTP_MAX_DELAY_MS between attempts), which the
 * stack sets from SMOKE_TEST_CALLS through ConnectFunction's outboundCalls and checks against the function's
 * timeout. A bad setting fails the deployment (FAILED), never the cold start: nothing untested may go live.
 */
import * as z from 'zod';
import { HTTP_CALL_ENV, type HttpCallLimits } from '../shared/outbound-limits';

/** Per attempt 5 s, 3 attempts per path, 2 s between them: 19 s at most per path. */
export const SMOKE_TEST_CALLS: HttpCallLimits = { timeoutMs: 5000, maxAttempts: 3, baseDelayMs: 2000, maxDelayMs: 2000 };

const httpUrl = z.url({ protocol: /^https?$/ });
const path = z.string().regex(/^\/\S*$/, 'must start with / and contain no spaces');

export const SmokeTestConfig = z.object({
  /** The TEST listener of the service's load balancer, e.g. `https://services-internal.example.com:9001` (http:// only without a hosted zone). */
  baseUrl: httpUrl,
  /** Paths that must each answer 2xx (redirects count as failures: a health path should not redirect). */
  paths: z.array(path).min(1),
  /** Per attempt, connect to last body byte. */
  timeoutMs: z.number().int().min(100).max(60_000),
  /** Attempts per path before it counts as unhealthy; a fresh revision may need a moment after the shift. */
  attempts: z.number().int().min(1).max(10),
  retryDelayMs: z.number().int().min(0).max(60_000),
});
export type SmokeTestConfig = z.infer<typeof SmokeTestConfig>;

/** What the service definition may set per service in the hook's `hookDetails`. */
const HookDetails = z.object({ testBaseUrl: httpUrl.optional(), smokeTestPaths: z.array(path).min(1).optional() }).loose();


function numberOr(value: string | undefined, fallback: number): number {
  return value === undefined || value === '' ? fallback : Number(value);
}

/** Config from the environment, overridden per service by `hookDetails`; an error names the bad setting. */
export function smokeTestConfig(env: Readonly<Record<string, string | undefined>>, hookDetails: unknown): { config: SmokeTestConfig } | { error: string } {
  const details = HookDetails.safeParse(hookDetails ?? {});
  if (!details.success) return { error: `hookDetails: ${describe(details.error)}` };
  const config = SmokeTestConfig.safeParse({
    baseUrl: details.data.testBaseUrl ?? env.SMOKE_TEST_BASE_URL,
    paths:
      details.data.smokeTestPaths ??
      (env.SMOKE_TEST_PATHS ?? '/health')
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    timeoutMs: numberOr(env[HTTP_CALL_ENV.timeoutMs], SMOKE_TEST_CALLS.timeoutMs),
    attempts: numberOr(env[HTTP_CALL_ENV.maxAttempts], SMOKE_TEST_CALLS.maxAttempts),
    retryDelayMs: numberOr(env[HTTP_CALL_ENV.maxDelayMs], SMOKE_TEST_CALLS.maxDelayMs),
  });
  return config.success ? { config: config.data } : { error: describe(config.error) };
}

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}
