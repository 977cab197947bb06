/**
 * The monthly estimate of one environment, from its synthesized templates: every resource is priced by its type's
 * rule (resource-prices.ts), charges are summed per component, and every resource whose type the table does not
 * know is listed as not priced. Pure: templates, usage assumptions and the price table in, numbers out.
 */
import type { CostAssumptions } from '../config/cost';
import { PRICE_TABLE, type PriceTable } from './prices';
import { type Charge, isNoChargeType, PRICING_RULES, type PricingContext, shareKey, type StackTemplate } from './resource-prices';

export type { StackTemplate } from './resource-prices';

export interface EstimateInput {
  readonly environment: string;
  readonly region: string;
  readonly logRetentionDays: number;
  readonly assumptions: CostAssumptions;
  readonly stacks: readonly StackTemplate[];
}

export interface PricedLine extends Charge {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
}

export interface NotPriced {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly reason: string;
}

export interface EnvironmentEstimate {
  readonly environment: string;
  readonly region: string;
  readonly lines: readonly PricedLine[];
  /** Monthly USD per component, in COMPONENT_ORDER. */
  readonly components: ReadonlyArray<{ readonly component: string; readonly monthly: number }>;
  readonly total: number;
  readonly notPriced: readonly NotPriced[];
}

/** Components in the order tables print them (any other component follows, alphabetically). */
export const COMPONENT_ORDER = [
  'NAT gateways', 'Public IPv4 addresses', 'Interface endpoints', 'VPN', 'Transit gateway', 'Route 53 Resolver', 'Load balancers', 'WAF', 'API Gateway', 'Lambda', 'Fargate',
  'SQS', 'SNS', 'S3', 'DynamoDB', 'Aurora', 'ElastiCache', 'ECR', 'KMS', 'Secrets Manager', 'Cognito', 'CloudWatch alarms',
  'CloudWatch dashboards', 'CloudWatch Logs', 'Firehose', 'Athena', 'Synthetics canaries', 'CloudWatch RUM', 'Route 53',
];

export function estimateEnvironment(input: EstimateInput, table: PriceTable = PRICE_TABLE): EnvironmentEstimate {
  if (!table.regions.includes(input.region)) {
    throw new Error(`${input.environment}: region ${input.region} is not in the price table (lib/cost/prices.ts holds ${table.regions.join(', ')}); add its prices first`);
  }
  const resources = input.stacks.flatMap((stack) => Object.entries(stack.template.Resources ?? {}).map(([logicalId, resource]) => ({ stack, logicalId, resource })));
  const shares: Record<string, number> = {};
  for (const { logicalId, resource } of resources) {
    const key = shareKey(resource, logicalId);
    if (key) shares[key] = (shares[key] ?? 0) + 1;
    const flows = resource.Properties?.AllowedOAuthFlows;
    if (resource.Type === 'AWS::Cognito::UserPoolClient' && Array.isArray(flows) && flows.includes('client_credentials')) shares.m2mClient = (shares.m2mClient ?? 0) + 1;
  }
  const lines: PricedLine[] = [];
  const notPriced: NotPriced[] = [];
  for (const { stack, logicalId, resource } of resources) {
    const rule = PRICING_RULES[resource.Type];
    if (!rule) {
      if (!isNoChargeType(resource.Type)) notPriced.push({ stack: stack.stackName, logicalId, type: resource.Type, reason: 'type not in the price table' });
      continue;
    }
    const context: PricingContext = { assumptions: input.assumptions, table, logRetentionDays: input.logRetentionDays, shares, stack, logicalId };
    const result = rule(resource, context);
    if (Array.isArray(result)) lines.push(...result.map((charge) => ({ ...charge, stack: stack.stackName, logicalId, type: resource.Type })));
    else notPriced.push({ stack: stack.stackName, logicalId, type: resource.Type, reason: result.reason });
  }
  const byComponent = new Map<string, number>();
  for (const line of lines) byComponent.set(line.component, (byComponent.get(line.component) ?? 0) + line.monthly);
  const components = [...byComponent.entries()].sort(([a], [b]) => componentRank(a) - componentRank(b) || a.localeCompare(b)).map(([component, monthly]) => ({ component, monthly }));
  return { environment: input.environment, region: input.region, lines, components, total: lines.reduce((sum, line) => sum + line.monthly, 0), notPriced };
}

/** Where a component goes in a table (COMPONENT_ORDER, then the rest). */
export function componentRank(component: string): number {
  const index = COMPONENT_ORDER.indexOf(component);
  return index === -1 ? COMPONENT_ORDER.length : index;
}
