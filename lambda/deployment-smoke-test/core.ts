/**
 * The ECS native blue/green lifecycle hook, the pure part. ECS invokes the hook Lambda at the configured stage
 * (POST_TEST_TRAFFIC_SHIFT here: the green revision then takes 100% of the test listener's traffic) with
 *   { executionId, lifecycleStage, resourceArn, executionDetails: { serviceArn, targetServiceRevisionArn,
 *     testTrafficWeights, productionTrafficWeights }, hookDetails? }
 * and expects `{ hookStatus: 'SUCCEEDED' | 'FAILED' | 'IN_PROGRESS' }` back; FAILED (or an error, or no valid
 * status) rolls the deployment back. `hookDetails` is the per-service JSON set on the hook in the service
 * definition, which lets one function serve several services.
 */
export { SmokeTestConfig, smokeTestConfig } from './contract';

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
