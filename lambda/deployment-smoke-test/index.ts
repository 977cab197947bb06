/**
 * ECS blue/green lifecycle hook (stage POST_TEST_TRAFFIC_SHIFT): smoke-tests the green revision through the test
 * listener and answers SUCCEEDED, or FAILED to roll the deployment back.
 *
 * Environment (each service may override the first two in the hook's hookDetails: `testBaseUrl`, `smokeTestPaths`):
 * - SMOKE_TEST_BASE_URL: the test listener, e.g. `https://services-internal.<hosted zone>:<test-port>` where the
 *   environment has a hosted zone (HTTPS with the load balancer's certificate, verified by fetch), else
 *   `http://<internal-alb-dns>:<test-port>` (dev: no certificate, HTTP inside the VPC).
 * Paths are the service's own (`/health`, `/accounts/ping`): the test listener forwards them unchanged, and the
 * production rule's rewrite gives the service the same paths without the API stage.
 * - SMOKE_TEST_PATHS: comma-separated paths that must answer 2xx (default `/health`).
 * - SMOKE_TEST_TIMEOUT_MS (default 5000), SMOKE_TEST_ATTEMPTS (default 3), SMOKE_TEST_RETRY_DELAY_MS (default 2000).
 * IAM: none beyond logs and VPC ENIs (it runs in the VPC, with egress to the load balancer's test port). ECS needs
 * lambda:InvokeFunction on it through the hook's role. Lambda timeout: at least
 * attempts x timeout + (attempts - 1) x retry delay, plus a margin (60 s for the defaults).
 */
import { logger } from '../shared/logger';
import { type HookResponse, type LifecycleHookEvent, smokeTestConfig, verdict } from './core';
import { checkAll } from './probe';

export const handler = async (event: LifecycleHookEvent): Promise<HookResponse> => {
  const deployment = {
    executionId: event.executionId,
    lifecycleStage: event.lifecycleStage,
    serviceArn: event.executionDetails?.serviceArn,
    targetServiceRevisionArn: event.executionDetails?.targetServiceRevisionArn,
  };
  const settings = smokeTestConfig(process.env, event.hookDetails);
  if ('error' in settings) {
    // Nothing was tested, so nothing may go live.
    logger.error('Smoke test misconfigured; failing the deployment', { ...deployment, reason: settings.error });
    return { hookStatus: 'FAILED' };
  }
  const checks = await checkAll(settings.config);
  const response = verdict(checks);
  const log = response.hookStatus === 'SUCCEEDED' ? logger.info.bind(logger) : logger.error.bind(logger);
  log('Smoke test finished', { ...deployment, hookStatus: response.hookStatus, checks });
  return response;
};
