/**
 * ECS blue/green lifecycle hook (stage POST_TEST_TRAFFIC_SHIFT): smoke-tests the green revision through the test
 * listener and answers SUCCEEDED, or FAILED to roll the deployment back.
 *
 * Environment and hookDetails: contract.ts. Paths are the service's own (`/health`, `/accounts/ping`): the test
 * listener forwards them unchanged, and the production rule's rewrite gives the service the same paths without the
 * API stage.
 * IAM: none beyond logs and VPC ENIs (it runs in the VPC, with egress to the load balancer's test port). ECS needs
 * lambda:InvokeFunction on it through the hook's role. Its timeout outlasts one path's probes (checked at synth
 * from the outbound limits).
 */
import { logger, withLambdaContext } from '../shared/logger';
import { type HookResponse, type LifecycleHookEvent, smokeTestConfig, verdict } from './core';
import { checkAll } from './probe';

export const handler = withLambdaContext(
  async (event: LifecycleHookEvent): Promise<HookResponse> => {
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
  },
);
