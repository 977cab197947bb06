/**
 * For test/services.test.ts's blue/green drift test: an environment's config with a service added at the head of
 * its list and a tag changed, and the Services stack of it (servicesTemplate: the stacks it needs, as the Stage
 * builds them). Built by the global setup's child after the shipped app (after-assembly-work.ts), where the modules
 * are loaded already: ~0.7 s of CPU less than in services.test's worker.
 */
import { EnvironmentConfig } from '../../lib/config/schema';
import { afterAssembly } from './after-assembly';

export const SERVICES_CHANGE = 'services-change';
export const SERVICES_CHANGE_ENVIRONMENTS = ['staging', 'dev'] as const;

/** A service (a copy of the first, under /accounts/admin, priority 50, test port 9002) first in the list, and cost-center changed. */
export function withServiceAddedAndTagChanged(config: EnvironmentConfig): EnvironmentConfig {
  const added = { ...config.services[0], name: 'accounts-admin', apiPathPrefix: '/accounts/admin', listenerPriority: 50, testPort: 9002, scopes: config.services[0].scopes };
  return EnvironmentConfig.parse({ ...config, services: [added, ...config.services], tags: { ...config.tags, 'cost-center': 'changed' } });
}

/** The changed config's Services template of `environment`, and how long its Services-only build and synth took. */
export function changedServicesTemplate(environment: (typeof SERVICES_CHANGE_ENVIRONMENTS)[number]): { template: Record<string, any>; milliseconds: number } {
  return afterAssembly<Record<string, { template: Record<string, any>; milliseconds: number }>>(SERVICES_CHANGE).value[environment];
}
