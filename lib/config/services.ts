import { z } from 'zod';
import { HANDLER_ROUTE_SEGMENTS } from '../api/handler-paths';
import { ServiceDataFields } from './data';
import { completeSecretArn, intInRange, name, positiveInt, scope } from './fields';
import { checkScopesDeclared } from './identity';
import { crossAreaRule, duplicates, issueOf } from './rules';

/** The ECS services behind the API (`services`), each released blue/green. */

/** CPU units → memory (MiB) that Fargate accepts for Linux tasks. */
export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let value = from; value <= to; value += step) values.push(value);
  return values;
}

const ServiceConfig = z
  .strictObject({
    name,
    /** Image tag to run: changing it in config and deploying is the release. Immutable tags only. */
    imageTag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { message: 'expected a Docker image tag' }),
    containerPort: z.number().int().min(1).max(65535),
    cpu: z.number().int(),
    memoryMiB: z.number().int(),
    minTasks: z.number().int().min(1),
    maxTasks: z.number().int().min(1),
    healthCheckPath: z.string().startsWith('/'),
    /** Paths the smoke test calls through the test listener before production traffic moves. */
    smokeTestPaths: z.array(z.string().startsWith('/')).optional(),
    /**
     * Priority of the service's rule on the production listener. Stated, never derived from the list's order: ECS
     * blue/green rewrites the rule's weights at every release, and any later CloudFormation update of the rule
     * writes the declared weights back (aws-cdk issue 36649), so adding a service must not shift another's priority.
     */
    listenerPriority: intInRange(1, 50000, 'expected the priority of the service\'s production listener rule, a whole number from 1 to 50000 that never changes (lower is evaluated first)'),
    /** Port of the service's own test listener on the internal load balancer (the smoke test reaches green there); stated for the same reason. */
    testPort: intInRange(1024, 65535, 'expected the port of the service\'s own test listener, 1024-65535, that never changes'),
    /** API path prefix routed to the service, e.g. `/accounts`. */
    apiPathPrefix: z.string().regex(/^\/[a-z0-9-]+(\/[a-z0-9-]+)*$/, { message: 'expected a path prefix like "/accounts"' }),
    scopes: z.array(scope).min(1, { message: 'expected at least one scope: services are private routes' }),
    environment: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string()).default({}),
    /** Container secrets: variable name → Secrets Manager secret ARN (optionally `:json-key`). */
    secrets: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), completeSecretArn).default({}),
    bakeTimeMinutes: z.number().int().min(0).max(1440).default(10),
    /** Autoscaling goal: requests per running task per minute (alongside CPU and memory). */
    targetRequestsPerTaskPerMinute: positiveInt.default(1000),
    /** Databases, caches, queues and buckets the service uses (lib/config/data.ts; README "Data for services"). */
    ...ServiceDataFields,
  })
  .superRefine((service, ctx) => {
    const issue = issueOf(ctx);
    const memories = FARGATE_SIZES[service.cpu];
    if (!memories) {
      issue(['cpu'], `expected a Fargate CPU size: one of ${Object.keys(FARGATE_SIZES).join(', ')}`);
    } else if (!memories.includes(service.memoryMiB)) {
      issue(['memoryMiB'], `expected a memory size Fargate accepts with cpu ${service.cpu}: ${memories[0]}-${memories[memories.length - 1]} MiB in steps of ${memories.length > 1 ? memories[1] - memories[0] : memories[0]}`);
    }
    if (service.maxTasks < service.minTasks) issue(['maxTasks'], 'expected maxTasks >= minTasks');
    // Service routes are `<prefix>/{proxy+}`: a prefix on or under a handler route's first segment would put a
    // private catch-all beside public routes or two path variables side by side, which API Gateway rejects.
    if (HANDLER_ROUTE_SEGMENTS.includes(service.apiPathPrefix.split('/')[1])) {
      issue(['apiPathPrefix'], `expected a prefix outside the integration handlers' routes (/${HANDLER_ROUTE_SEGMENTS.join(', /')}); got "${service.apiPathPrefix}"`);
    }
  });

export type ServiceConfig = z.infer<typeof ServiceConfig>;

export const ServicesConfig = z.array(ServiceConfig).superRefine((services, ctx) => {
  const issue = issueOf(ctx);
  duplicates(services.map((s) => s.name)).forEach((i) => issue([i, 'name'], 'expected a unique service name'));
  duplicates(services.map((s) => s.apiPathPrefix)).forEach((i) => issue([i, 'apiPathPrefix'], 'expected a path prefix no other service uses'));
  duplicates(services.map((s) => String(s.listenerPriority))).forEach((i) => issue([i, 'listenerPriority'], 'expected a listener priority no other service uses'));
  duplicates(services.map((s) => String(s.testPort))).forEach((i) => issue([i, 'testPort'], 'expected a test port no other service uses'));
  // A nested prefix (/accounts/admin) must be evaluated before its parent (/accounts), which would match it too.
  services.forEach((service, i) => {
    for (const parent of services) {
      if (service.apiPathPrefix.startsWith(`${parent.apiPathPrefix}/`) && service.listenerPriority >= parent.listenerPriority) {
        issue(
          [i, 'listenerPriority'],
          `expected a priority below ${parent.listenerPriority} (service "${parent.name}", whose prefix "${parent.apiPathPrefix}" contains "${service.apiPathPrefix}"): the load balancer evaluates rules lowest priority first`,
        );
      }
    }
  });
});

export const SERVICES_RULES = [
  crossAreaRule(['services', 'identity'], (config, issue) => config.services.forEach((service, i) => checkScopesDeclared(config.identity, service.scopes, ['services', i, 'scopes'], issue))),
  crossAreaRule(['kind', 'services'], (config, issue) => {
    if (config.kind === 'production') {
      config.services.forEach((service, i) => {
        if (service.minTasks < 2) issue(['services', i, 'minTasks'], 'expected at least 2 tasks in production, so the service survives the loss of an AZ');
      });
    }
  }),
];
