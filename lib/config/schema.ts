import { z } from 'zod';
import { AlarmsConfig } from './alarms';
import { DATA_RULES, DataConfig, EMPTY_DATA } from './data';
import { API_RULES, ApiConfig } from './api';
import { CostAssumptionsConfig } from './cost';
import { awsAccount, awsRegion, logRetentionDays, name } from './fields';
import { IDENTITY_RULES, IdentityConfig } from './identity';
import { IntegrationsConfig } from './integrations';
import { LambdaConcurrencyConfig } from './lambda-concurrency';
import { ModyoConfig } from './modyo';
import { AvailabilityZones, NETWORK_RULES, NetworkConfig } from './network';
import { CONNECTIVITY_RULES, ConnectivityConfig } from './connectivity';
import { OperationsConfig } from './operations';
import { type CrossAreaRule, issueOf, readsParsed } from './rules';
import { SERVICES_RULES, ServicesConfig } from './services';

/**
 * The one definition of an environment's configuration. Every config file under config/ is validated against it
 * at synth, and config/schema.json (for editors) is generated from it by `npm run config:schema`.
 * Each field's error says what is expected, so a bad value stops synth with a message an SRE can act on.
 * Each area (network.ts, identity.ts, api.ts, services.ts, ...) holds its fields and its own cross-field rules;
 * this file composes them and runs the rules that span areas (rules.ts says when each runs).
 */

const EnvironmentFields = z.strictObject({
  $schema: z.string().optional(),
  /** Environment name; must match the file name (config/<name>.json) and becomes the Stage name. */
  name,
  kind: z.enum(['production', 'preproduction']),
  account: awsAccount,
  region: awsRegion,
  availabilityZones: AvailabilityZones,
  network: NetworkConfig,
  /** Private paths to the organisation's business systems: VPN, Transit Gateway, DNS forwarding (lib/config/connectivity.ts). */
  connectivity: ConnectivityConfig.optional(),
  logRetentionDays,
  alarms: AlarmsConfig,
  identity: IdentityConfig,
  api: ApiConfig,
  modyo: ModyoConfig,
  integrations: IntegrationsConfig,
  services: ServicesConfig.default([]),
  /** Databases, caches, shared queues and buckets for the services, and the backup plan (lib/config/data.ts). */
  data: DataConfig.default(EMPTY_DATA),
  lambdaConcurrency: LambdaConcurrencyConfig.default({ reserve: true, functions: {} }),
  tags: z.record(z.string(), z.string()).default({}),
  /** Usage assumptions of `npm run cost` (lib/config/cost.ts); each field defaults. */
  costAssumptions: CostAssumptionsConfig.prefault({}),
  /** Log archive, budget, canary and real-user monitoring (lib/config/operations.ts). */
  operations: OperationsConfig,
});

export type EnvironmentConfig = z.infer<typeof EnvironmentFields>;

const CROSS_AREA_RULES: readonly CrossAreaRule[] = [...NETWORK_RULES, ...IDENTITY_RULES, ...API_RULES, ...SERVICES_RULES, ...DATA_RULES, ...CONNECTIVITY_RULES];

export const EnvironmentConfig = CROSS_AREA_RULES.reduce(
  (schema, rule) => schema.superRefine((config, ctx) => rule.check(config, issueOf(ctx)), { when: (payload) => readsParsed(rule, payload.issues) }),
  EnvironmentFields,
);

export type { AlarmThresholds } from './alarms';
export type { ServiceConfig } from './services';
