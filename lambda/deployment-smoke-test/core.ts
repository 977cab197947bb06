/**
 * The ECS native blue/green lifecycle hook, the pure part. ECS invokes the hook Lambda at the configured stage
 * (POST_TEST_TRAFFIC_SHIFT here: the green revision then takes 100% of the test listener's traffic) with
 *   { executionId, lifecycleStage, resourceArn, executionDetails: { serviceArn, targetServiceRevisionArn,
 *     testTrafficWeights, productionTrafficWeights }, hookDetails? }
 * and expects `{ hookStatus: 'SUCCEEDED' | 'FAILED' | 'IN_PROGRESS' }` back; FAILED (or an error, or no valid
 * status) rolls the deployment back. `hookDetails` is the per-service JSON set on the hook in the service
 * definition, which lets one function serve several services.
 */
import { z } from 'zod';

export interface LifecycleHookEvent {
  readonly executionId?: string;
  readonly lifecycleStage?: string;
  readonly resourceArn?: string;
  readonly executionDetails?: {
    readonly serviceArn?: string;
    readonly targetServiceRevisionArn?: string;
    readonly testTrafficWeights?: Record<string, number>;
    readonly productionTrafficWeights?: Record<string, number>;
  };
  readonly hookDetails?: unknown;
}

export type HookStatus = 'SUCCEEDED' | 'FAILED' | 'IN_PROGRESS';
export interface HookResponse {
  readonly hookStatus: HookStatus;
}

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
    timeoutMs: numberOr(env.SMOKE_TEST_TIMEOUT_MS, 5000),
    attempts: numberOr(env.SMOKE_TEST_ATTEMPTS, 3),
    retryDelayMs: numberOr(env.SMOKE_TEST_RETRY_DELAY_MS, 2000),
  });
  return config.success ? { config: config.data } : { error: describe(config.error) };
}

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

/** The outcome of one request: the status, or why there was none. */
export type ProbeOutcome = { readonly status: number } | { readonly failure: 'timeout' | 'connection'; readonly code?: string };

export function isHealthy(outcome: ProbeOutcome): boolean {
  return 'status' in outcome && outcome.status >= 200 && outcome.status < 300;
}

export interface PathCheck {
  readonly path: string;
  readonly healthy: boolean;
  readonly attempts: number;
  readonly last: ProbeOutcome;
}

/** Every path healthy: carry on; anything else: roll back. */
export function verdict(checks: readonly PathCheck[]): HookResponse {
  return { hookStatus: checks.length > 0 && checks.every((check) => check.healthy) ? 'SUCCEEDED' : 'FAILED' };
}

export function urlFor(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}
