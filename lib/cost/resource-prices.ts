/**
 * How each CloudFormation resource type is priced: one rule per billable type, turning a resource of a synthesized
 * template (and the environment's usage assumptions) into monthly charges. Types with no charge of their own are
 * listed in NO_CHARGE_TYPES; any other type is reported as "not priced" by the estimator, never silently dropped.
 * Usage a template cannot state (requests, GB, users) comes from `costAssumptions`, spread evenly over the resources
 * that share it (e.g. API requests over the REST APIs, invocations over the functions). ~350 lines: the rule table and the no-charge list,
 * read as one.
 */
import type { CostAssumptions } from '../config/cost';
import type { PriceTable } from './prices';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly Metadata?: Record<string, any>;
}

export interface StackTemplate {
  readonly stackName: string;
  readonly template: { readonly Resources?: Readonly<Record<string, CfnResource>> };
}

/** One monthly charge: what it is for, the arithmetic in words, and the amount in USD. */
export interface Charge {
  readonly component: string;
  readonly detail: string;
  readonly monthly: number;
}

/** A resource the table cannot price (its type, or a property such as a node type, is not in the price table). */
export interface Unpriced {
  readonly reason: string;
}

export interface PricingContext {
  readonly assumptions: CostAssumptions;
  readonly table: PriceTable;
  readonly logRetentionDays: number;
  /** How many resources of a kind share a usage assumption (see `shareKey`). */
  readonly shares: Readonly<Record<string, number>>;
  /** The template the resource is in (for same-template references: task definitions, scaling targets, clusters). */
  readonly stack: StackTemplate;
  readonly logicalId: string;
}

type Rule = (resource: CfnResource, ctx: PricingContext) => Charge[] | Unpriced;

const num = (value: unknown, fallback = 0): number => (typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : fallback);
const money = (value: number) => `$${Number(value.toPrecision(6))}`;
const count = (value: number) => (value >= 100 ? Math.round(value).toLocaleString('en-US') : String(Number(value.toPrecision(4))));
const share = (ctx: PricingContext, key: string) => 1 / Math.max(1, ctx.shares[key] ?? 1);
const refId = (value: unknown): string | undefined => (value && typeof value === 'object' && 'Ref' in value ? String((value as { Ref: string }).Ref) : undefined);
const isCustomResourceProvider = (resource: CfnResource, logicalId: string) =>
  /CustomResourceProvider|Provider\/framework|AWS679f53fac002430cb0da5b7982bd2287/.test(`${logicalId} ${resource.Metadata?.['aws:cdk:path'] ?? ''}`);

/** Which share of a usage assumption a resource carries: resources with the same key split it evenly. */
export function shareKey(resource: CfnResource, logicalId: string): string | undefined {
  switch (resource.Type) {
    case 'AWS::Lambda::Function':
      return isCustomResourceProvider(resource, logicalId) ? undefined : 'lambda';
    case 'AWS::EC2::VPCEndpoint':
      return isInterfaceEndpoint(resource) ? 'endpoint' : undefined;
    case 'AWS::ApiGateway::RestApi':
    case 'AWS::ApiGatewayV2::Api':
      return 'api';
    default:
      return resource.Type;
  }
}

function isInterfaceEndpoint(resource: CfnResource): boolean {
  const type = resource.Properties?.VpcEndpointType;
  return type === 'Interface' || (type === undefined && resource.Properties?.RouteTableIds === undefined);
}

const hourly = (component: string, what: string, units: number, price: number, hours: number): Charge => ({
  component,
  detail: `${count(units)} ${what} × ${hours} h × ${money(price)}`,
  monthly: units * hours * price,
});

const usage = (component: string, what: string, amount: number, unit: number, price: number, unitName: string): Charge => ({
  component,
  detail: `${count(amount)} ${what} × ${money(price)} per ${unitName}`,
  monthly: (amount / unit) * price,
});

/** Rules by resource type. */
export const PRICING_RULES: Readonly<Record<string, Rule>> = {
  'AWS::EC2::NatGateway': (_r, ctx) => {
    const { prices, hoursPerMonth: h } = ctx.table;
    return [hourly('NAT gateways', 'gateway', 1, prices.natGatewayHour, h), usage('NAT gateways', 'GB processed', ctx.assumptions.natDataGbPerMonth * share(ctx, 'AWS::EC2::NatGateway'), 1, prices.natGatewayGb, 'GB')];
  },
  'AWS::EC2::EIP': (_r, ctx) => [hourly('Public IPv4 addresses', 'address', 1, ctx.table.prices.publicIpv4Hour, ctx.table.hoursPerMonth)],
  'AWS::EC2::VPCEndpoint': (r, ctx) => {
    if (!isInterfaceEndpoint(r)) return []; // gateway endpoints (S3, DynamoDB) have no charge
    const subnets = Array.isArray(r.Properties?.SubnetIds) ? r.Properties.SubnetIds.length : 1;
    const { prices, hoursPerMonth: h } = ctx.table;
    return [hourly('Interface endpoints', 'AZ', subnets, prices.interfaceEndpointAzHour, h), usage('Interface endpoints', 'GB', ctx.assumptions.endpointDataGbPerMonth * share(ctx, 'endpoint'), 1, prices.interfaceEndpointGb, 'GB')];
  },
  'AWS::ECS::Service': (r, ctx) => {
    const p = r.Properties ?? {};
    const fargate = p.LaunchType === 'FARGATE' || (Array.isArray(p.CapacityProviderStrategy) && p.CapacityProviderStrategy.some((s: any) => String(s.CapacityProvider).startsWith('FARGATE')));
    if (!fargate) return { reason: 'ECS service not on Fargate (EC2 capacity is priced by its instances)' };
    const taskDefinition = ctx.stack.template.Resources?.[refId(p.TaskDefinition) ?? ''];
    if (!taskDefinition) return { reason: 'task definition not in the same template' };
    const vcpu = num(taskDefinition.Properties?.Cpu) / 1024;
    const gb = num(taskDefinition.Properties?.Memory) / 1024;
    const arm = taskDefinition.Properties?.RuntimePlatform?.CpuArchitecture === 'ARM64';
    const tasks = minimumTasks(ctx) ?? num(p.DesiredCount, 1);
    const { prices, hoursPerMonth: h } = ctx.table;
    const [cpuPrice, gbPrice] = arm ? [prices.fargateVcpuHourArm, prices.fargateGbHourArm] : [prices.fargateVcpuHourX86, prices.fargateGbHourX86];
    return [
      { component: 'Fargate', detail: `${tasks} task(s) × ${vcpu} vCPU × ${h} h × ${money(cpuPrice)} (${arm ? 'arm64' : 'x86'})`, monthly: tasks * vcpu * h * cpuPrice },
      { component: 'Fargate', detail: `${tasks} task(s) × ${gb} GB × ${h} h × ${money(gbPrice)}`, monthly: tasks * gb * h * gbPrice },
    ];
  },
  'AWS::ElasticLoadBalancingV2::LoadBalancer': (r, ctx) => {
    const network = r.Properties?.Type === 'network';
    const { prices, hoursPerMonth: h } = ctx.table;
    const [hourPrice, lcuPrice, name] = network ? [prices.networkLoadBalancerHour, prices.networkLoadBalancerLcuHour, 'NLB'] : [prices.applicationLoadBalancerHour, prices.applicationLoadBalancerLcuHour, 'ALB'];
    return [hourly('Load balancers', name, 1, hourPrice, h), hourly('Load balancers', `${name} LCU (average)`, ctx.assumptions.loadBalancerAverageLcu, lcuPrice, h)];
  },
  'AWS::WAFv2::WebACL': (r, ctx) => {
    const rules = Array.isArray(r.Properties?.Rules) ? r.Properties.Rules.length : 0;
    const { prices } = ctx.table;
    return [
      { component: 'WAF', detail: `1 web ACL × ${money(prices.wafWebAclMonth)}`, monthly: prices.wafWebAclMonth },
      { component: 'WAF', detail: `${rules} rules and rule groups × ${money(prices.wafRuleMonth)}`, monthly: rules * prices.wafRuleMonth },
      usage('WAF', 'requests', ctx.assumptions.apiRequestsPerMonth * share(ctx, 'AWS::WAFv2::WebACL'), 1e6, prices.wafMillionRequests, 'million'),
    ];
  },
  'AWS::ApiGateway::RestApi': (_r, ctx) => [usage('API Gateway', 'REST requests', ctx.assumptions.apiRequestsPerMonth * share(ctx, 'api'), 1e6, ctx.table.prices.restApiMillionRequests, 'million')],
  'AWS::ApiGatewayV2::Api': (r, ctx) =>
    r.Properties?.ProtocolType === 'HTTP' ? [usage('API Gateway', 'HTTP API requests', ctx.assumptions.apiRequestsPerMonth * share(ctx, 'api'), 1e6, ctx.table.prices.httpApiMillionRequests, 'million')] : { reason: `${r.Properties?.ProtocolType ?? 'unknown'} API` },
  'AWS::Lambda::Function': (r, ctx) => {
    if (isCustomResourceProvider(r, ctx.logicalId)) return []; // runs only during deploys
    const invocations = ctx.assumptions.lambdaInvocationsPerMonth * share(ctx, 'lambda');
    const gb = num(r.Properties?.MemorySize, 128) / 1024;
    const arm = Array.isArray(r.Properties?.Architectures) && r.Properties.Architectures.includes('arm64');
    const { prices } = ctx.table;
    const gbSecondPrice = arm ? prices.lambdaGbSecondArm : prices.lambdaGbSecondX86;
    const gbSeconds = invocations * (ctx.assumptions.lambdaAverageDurationMs / 1000) * gb;
    return [
      { component: 'Lambda', detail: `${count(invocations)} invocations × ${ctx.assumptions.lambdaAverageDurationMs} ms × ${gb} GB = ${count(gbSeconds)} GB-s × ${money(gbSecondPrice)}`, monthly: gbSeconds * gbSecondPrice },
      usage('Lambda', 'requests', invocations, 1e6, prices.lambdaMillionRequests, 'million'),
    ];
  },
  'AWS::SQS::Queue': (r, ctx) => {
    const fifo = r.Properties?.FifoQueue === true || r.Properties?.FifoQueue === 'true';
    const requests = ctx.assumptions.queueMessagesPerMonth * 3 * share(ctx, 'AWS::SQS::Queue');
    return [usage('SQS', `${fifo ? 'FIFO ' : ''}requests (send, receive, delete)`, requests, 1e6, fifo ? ctx.table.prices.sqsMillionRequestsFifo : ctx.table.prices.sqsMillionRequestsStandard, 'million')];
  },
  'AWS::SNS::Topic': (_r, ctx) => [usage('SNS', 'publishes', ctx.assumptions.snsPublishesPerMonth * share(ctx, 'AWS::SNS::Topic'), 1e6, ctx.table.prices.snsMillionPublishes, 'million')],
  'AWS::S3::Bucket': (_r, ctx) => {
    const s = share(ctx, 'AWS::S3::Bucket');
    const { prices } = ctx.table;
    return [
      usage('S3', 'GB-month (Standard)', ctx.assumptions.s3StorageGb * s, 1, prices.s3StandardGbMonth, 'GB'),
      usage('S3', 'PUT requests', ctx.assumptions.s3PutRequestsPerMonth * s, 1000, prices.s3ThousandPuts, '1,000'),
      usage('S3', 'GET requests', ctx.assumptions.s3GetRequestsPerMonth * s, 1000, prices.s3ThousandGets, '1,000'),
    ];
  },
  'AWS::DynamoDB::Table': (r, ctx) => {
    const p = r.Properties ?? {};
    const s = share(ctx, 'AWS::DynamoDB::Table');
    const { prices, hoursPerMonth: h } = ctx.table;
    const indexes = Array.isArray(p.GlobalSecondaryIndexes) ? p.GlobalSecondaryIndexes.length : 0;
    const storage = ctx.assumptions.dynamodbStorageGb * s;
    const charges: Charge[] =
      p.BillingMode === 'PAY_PER_REQUEST'
        ? [
            // A write to a table is also a write to each of its global secondary indexes.
            usage('DynamoDB', `write request units (table + ${indexes} GSI)`, ctx.assumptions.dynamodbWriteRequestsPerMonth * s * (1 + indexes), 1e6, prices.dynamodbMillionWrites, 'million'),
            usage('DynamoDB', 'read request units', ctx.assumptions.dynamodbReadRequestsPerMonth * s, 1e6, prices.dynamodbMillionReads, 'million'),
          ]
        : [
            hourly('DynamoDB', 'WCU', num(p.ProvisionedThroughput?.WriteCapacityUnits), prices.dynamodbWcuHour, h),
            hourly('DynamoDB', 'RCU', num(p.ProvisionedThroughput?.ReadCapacityUnits), prices.dynamodbRcuHour, h),
          ];
    charges.push(usage('DynamoDB', 'GB-month stored', storage, 1, prices.dynamodbGbMonth, 'GB'));
    if (p.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled === true) charges.push(usage('DynamoDB', 'GB-month point-in-time recovery', storage, 1, prices.dynamodbPitrGbMonth, 'GB'));
    return charges;
  },
  'AWS::KMS::Key': (_r, ctx) => [
    { component: 'KMS', detail: `1 key × ${money(ctx.table.prices.kmsKeyMonth)}`, monthly: ctx.table.prices.kmsKeyMonth },
    usage('KMS', 'requests', ctx.assumptions.kmsRequestsPerMonth * share(ctx, 'AWS::KMS::Key'), 1e4, ctx.table.prices.kmsTenThousandRequests, '10,000'),
  ],
  'AWS::SecretsManager::Secret': (_r, ctx) => [
    { component: 'Secrets Manager', detail: `1 secret × ${money(ctx.table.prices.secretMonth)}`, monthly: ctx.table.prices.secretMonth },
    usage('Secrets Manager', 'API calls', ctx.assumptions.secretsApiCallsPerMonth * share(ctx, 'AWS::SecretsManager::Secret'), 1e4, ctx.table.prices.secretsTenThousandCalls, '10,000'),
  ],
  'AWS::CloudWatch::Alarm': (r, ctx) => {
    const p = r.Properties ?? {};
    // An alarm on metric math bills each metric it reads; one below 60 s is high resolution.
    const metrics = Array.isArray(p.Metrics) ? Math.max(1, p.Metrics.filter((m: any) => m.MetricStat).length) : 1;
    const period = Array.isArray(p.Metrics) ? Math.min(...p.Metrics.map((m: any) => num(m.MetricStat?.Period ?? m.Period, 60))) : num(p.Period, 60);
    const price = period < 60 ? ctx.table.prices.alarmHighResolutionMonth : ctx.table.prices.alarmStandardMonth;
    return [{ component: 'CloudWatch alarms', detail: `${metrics} alarm metric(s) × ${money(price)}`, monthly: metrics * price }];
  },
  'AWS::CloudWatch::CompositeAlarm': (_r, ctx) => [{ component: 'CloudWatch alarms', detail: `1 composite alarm × ${money(ctx.table.prices.compositeAlarmMonth)}`, monthly: ctx.table.prices.compositeAlarmMonth }],
  'AWS::CloudWatch::Dashboard': (_r, ctx) => [{ component: 'CloudWatch dashboards', detail: `1 dashboard × ${money(ctx.table.prices.dashboardMonth)}`, monthly: ctx.table.prices.dashboardMonth }],
  'AWS::Logs::LogGroup': (r, ctx) => {
    const ingested = ctx.assumptions.logIngestionGbPerMonth * share(ctx, 'AWS::Logs::LogGroup');
    // In steady state a group holds its retention's worth of months of ingestion (uncompressed: an upper bound).
    const days = num(r.Properties?.RetentionInDays, ctx.logRetentionDays);
    const stored = ingested * (days / (365 / 12));
    return [usage('CloudWatch Logs', 'GB ingested', ingested, 1, ctx.table.prices.logsIngestGb, 'GB'), usage('CloudWatch Logs', `GB-month stored (${days} days retained)`, stored, 1, ctx.table.prices.logsStoredGbMonth, 'GB')];
  },
  'AWS::Cognito::UserPool': (r, ctx) => {
    const tier = String(r.Properties?.UserPoolTier ?? 'ESSENTIALS');
    const { prices } = ctx.table;
    const price = tier === 'LITE' ? prices.cognitoLiteMau : tier === 'PLUS' ? prices.cognitoPlusMau : prices.cognitoEssentialsMau;
    return [usage('Cognito', `MAUs (${tier.toLowerCase()} tier)`, ctx.assumptions.monthlyActiveUsers * share(ctx, 'AWS::Cognito::UserPool'), 1, price, 'MAU')];
  },
  'AWS::Cognito::UserPoolClient': (r, ctx) => {
    const flows = r.Properties?.AllowedOAuthFlows;
    if (!Array.isArray(flows) || !flows.includes('client_credentials')) return []; // user clients are billed through MAUs
    const clients = ctx.shares.m2mClient ?? 1;
    const { prices } = ctx.table;
    return [
      { component: 'Cognito', detail: `1 machine client × ${money(prices.cognitoM2mClientMonth)}`, monthly: prices.cognitoM2mClientMonth },
      usage('Cognito', 'token requests', ctx.assumptions.m2mTokenRequestsPerMonth / clients, 1, prices.cognitoM2mTokenRequest, 'request'),
    ];
  },
  'AWS::ECR::Repository': (_r, ctx) => [usage('ECR', 'GB-month stored', ctx.assumptions.ecrStorageGb * share(ctx, 'AWS::ECR::Repository'), 1, ctx.table.prices.ecrGbMonth, 'GB')],
  'AWS::RDS::DBCluster': (_r, ctx) => {
    const s = share(ctx, 'AWS::RDS::DBCluster');
    const { prices } = ctx.table;
    return [usage('Aurora', 'GB-month stored', ctx.assumptions.auroraStorageGb * s, 1, prices.auroraGbMonth, 'GB'), usage('Aurora', 'I/O requests', ctx.assumptions.auroraIoRequestsPerMonth * s, 1e6, prices.auroraMillionIo, 'million')];
  },
  'AWS::RDS::DBInstance': (r, ctx) => {
    const instanceClass = String(r.Properties?.DBInstanceClass ?? '');
    const { prices, hoursPerMonth: h, nodeHourPrices } = ctx.table;
    if (instanceClass === 'db.serverless') {
      const cluster = ctx.stack.template.Resources?.[refId(r.Properties?.DBClusterIdentifier) ?? ''];
      const minimum = num(cluster?.Properties?.ServerlessV2ScalingConfiguration?.MinCapacity, 0.5);
      return [hourly('Aurora', 'ACU (average, at least the minimum)', Math.max(minimum, ctx.assumptions.auroraAverageAcu), prices.auroraServerlessAcuHour, h)];
    }
    const price = nodeHourPrices[instanceClass];
    return price === undefined ? { reason: `instance class ${instanceClass || '(unresolved)'} not in the price table` } : [hourly('Aurora', instanceClass, 1, price, h)];
  },
  'AWS::RDS::DBProxy': (_r, ctx) => {
    // Billed on the capacity of the database behind it, with a floor (8 ACUs for Aurora Serverless v2).
    const acu = Math.max(ctx.table.prices.rdsProxyMinimumAcu, ctx.assumptions.auroraAverageAcu);
    return [hourly('Aurora', `RDS Proxy ACU (at least ${ctx.table.prices.rdsProxyMinimumAcu})`, acu, ctx.table.prices.rdsProxyAcuHour, ctx.table.hoursPerMonth)];
  },
  'AWS::ElastiCache::ServerlessCache': (r, ctx) => {
    const valkey = String(r.Properties?.Engine ?? '').toLowerCase() === 'valkey';
    const { prices, hoursPerMonth: h } = ctx.table;
    const data = Math.max(valkey ? 0.1 : 1, ctx.assumptions.cacheDataGb * share(ctx, 'AWS::ElastiCache::ServerlessCache'));
    return [
      hourly('ElastiCache', `GB stored (${valkey ? 'Valkey' : 'Redis OSS/Memcached'})`, data, valkey ? prices.cacheServerlessValkeyGbHour : prices.cacheServerlessRedisGbHour, h),
      usage('ElastiCache', 'ECPUs', ctx.assumptions.cacheEcpuPerMonth * share(ctx, 'AWS::ElastiCache::ServerlessCache'), 1e6, valkey ? prices.cacheServerlessValkeyMillionEcpu : prices.cacheServerlessRedisMillionEcpu, 'million'),
    ];
  },
  'AWS::ElastiCache::ReplicationGroup': (r, ctx) => {
    const p = r.Properties ?? {};
    const nodes = p.NumCacheClusters !== undefined ? num(p.NumCacheClusters) : num(p.NumNodeGroups, 1) * (num(p.ReplicasPerNodeGroup, 0) + 1);
    return cacheNodes('replication group', String(p.CacheNodeType ?? ''), nodes, ctx);
  },
  'AWS::ElastiCache::CacheCluster': (r, ctx) => cacheNodes('cluster', String(r.Properties?.CacheNodeType ?? ''), num(r.Properties?.NumCacheNodes, 1), ctx),
  'AWS::EC2::VPNConnection': (_r, ctx) => [hourly('VPN', 'Site-to-Site connection', 1, ctx.table.prices.siteToSiteVpnConnectionHour, ctx.table.hoursPerMonth)],
  'AWS::EC2::ClientVpnTargetNetworkAssociation': (_r, ctx) => [hourly('VPN', 'Client VPN subnet association', 1, ctx.table.prices.clientVpnAssociationHour, ctx.table.hoursPerMonth)],
  'AWS::EC2::TransitGatewayAttachment': (_r, ctx) => transitGatewayAttachment(ctx, 'AWS::EC2::TransitGatewayAttachment'),
  'AWS::EC2::TransitGatewayVpcAttachment': (_r, ctx) => transitGatewayAttachment(ctx, 'AWS::EC2::TransitGatewayVpcAttachment'),
  'AWS::Route53Resolver::ResolverEndpoint': (r, ctx) => {
    const addresses = Array.isArray(r.Properties?.IpAddresses) ? r.Properties.IpAddresses.length : 2;
    return [
      hourly('Route 53 Resolver', 'endpoint IP address', addresses, ctx.table.prices.resolverEndpointIpHour, ctx.table.hoursPerMonth),
      usage('Route 53 Resolver', 'queries', ctx.assumptions.resolverQueriesPerMonth * share(ctx, 'AWS::Route53Resolver::ResolverEndpoint'), 1e6, ctx.table.prices.resolverMillionQueries, 'million'),
    ];
  },
  'AWS::KinesisFirehose::DeliveryStream': (r, ctx) => {
    const gb = ctx.assumptions.firehoseGbPerMonth * share(ctx, 'AWS::KinesisFirehose::DeliveryStream');
    const charges = [usage('Firehose', 'GB ingested', gb, 1, ctx.table.prices.firehoseGb, 'GB')];
    const s3 = r.Properties?.ExtendedS3DestinationConfiguration;
    if (s3?.DynamicPartitioningConfiguration?.Enabled === true) charges.push(usage('Firehose', 'GB dynamically partitioned', gb, 1, ctx.table.prices.firehoseDynamicPartitioningGb, 'GB'));
    return charges;
  },
  'AWS::Athena::WorkGroup': (_r, ctx) => [usage('Athena', 'TB scanned', ctx.assumptions.athenaTbScannedPerMonth * share(ctx, 'AWS::Athena::WorkGroup'), 1, ctx.table.prices.athenaTbScanned, 'TB')],
  'AWS::Synthetics::Canary': (r, ctx) => {
    const expression = String(r.Properties?.Schedule?.Expression ?? '');
    const match = /^rate\((\d+) (minute|minutes|hour|hours)\)$/.exec(expression);
    if (!match) return expression === 'rate(0 minute)' ? [] : { reason: `canary schedule ${expression || '(unresolved)'} is not a rate()` };
    const minutes = Number(match[1]) * (match[2].startsWith('hour') ? 60 : 1);
    const runs = (ctx.table.hoursPerMonth * 60) / minutes;
    return [usage('Synthetics canaries', `runs (every ${minutes} min)`, runs, 1, ctx.table.prices.canaryRun, 'run')];
  },
  'AWS::RUM::AppMonitor': (_r, ctx) => [usage('CloudWatch RUM', 'events', ctx.assumptions.rumEventsPerMonth * share(ctx, 'AWS::RUM::AppMonitor'), 1e5, ctx.table.prices.rumHundredThousandEvents, '100,000')],
  'AWS::Route53::HostedZone': (_r, ctx) => [{ component: 'Route 53', detail: `1 hosted zone × ${money(ctx.table.prices.route53HostedZoneMonth)}`, monthly: ctx.table.prices.route53HostedZoneMonth }],
  'AWS::Route53::HealthCheck': (_r, ctx) => [{ component: 'Route 53', detail: `1 health check × ${money(ctx.table.prices.route53HealthCheckMonth)}`, monthly: ctx.table.prices.route53HealthCheckMonth }],
};

function minimumTasks(ctx: PricingContext): number | undefined {
  // The service's scalable target (same template) names it through Fn::GetAtt [<service>, Name] in its ResourceId.
  for (const resource of Object.values(ctx.stack.template.Resources ?? {})) {
    if (resource.Type !== 'AWS::ApplicationAutoScaling::ScalableTarget' || resource.Properties?.ScalableDimension !== 'ecs:service:DesiredCount') continue;
    if (JSON.stringify(resource.Properties?.ResourceId ?? '').includes(`"Fn::GetAtt":["${ctx.logicalId}","Name"]`)) return num(resource.Properties?.MinCapacity, 1);
  }
  return undefined;
}

function transitGatewayAttachment(ctx: PricingContext, type: string): Charge[] {
  return [
    hourly('Transit gateway', 'attachment', 1, ctx.table.prices.transitGatewayAttachmentHour, ctx.table.hoursPerMonth),
    usage('Transit gateway', 'GB processed', ctx.assumptions.transitGatewayDataGbPerMonth * share(ctx, type), 1, ctx.table.prices.transitGatewayGb, 'GB'),
  ];
}

function cacheNodes(what: string, nodeType: string, nodes: number, ctx: PricingContext): Charge[] | Unpriced {
  const price = ctx.table.nodeHourPrices[nodeType];
  if (price === undefined) return { reason: `node type ${nodeType || '(unresolved)'} not in the price table` };
  return [hourly('ElastiCache', `${nodeType} node(s) of a ${what}`, nodes, price, ctx.table.hoursPerMonth)];
}

/**
 * Types that cost nothing by themselves: configuration, wiring and permissions, or resources whose cost is already
 * counted elsewhere (a flow log's data is CloudWatch Logs ingestion; a task definition runs through its service).
 */
export const NO_CHARGE_TYPES: ReadonlySet<string> = new Set([
  'AWS::CDK::Metadata',
  'AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::InstanceProfile', 'AWS::IAM::ServiceLinkedRole',
  'AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::RouteTable', 'AWS::EC2::Route', 'AWS::EC2::SubnetRouteTableAssociation', 'AWS::EC2::InternetGateway',
  'AWS::EC2::VPCGatewayAttachment', 'AWS::EC2::SecurityGroup', 'AWS::EC2::SecurityGroupIngress', 'AWS::EC2::SecurityGroupEgress', 'AWS::EC2::NetworkAcl',
  'AWS::EC2::NetworkAclEntry', 'AWS::EC2::SubnetNetworkAclAssociation', 'AWS::EC2::FlowLog', 'AWS::EC2::VPNGateway', 'AWS::EC2::CustomerGateway',
  'AWS::EC2::VPNConnectionRoute', 'AWS::EC2::VPNGatewayRoutePropagation', 'AWS::EC2::PrefixList',
  'AWS::ECS::Cluster', 'AWS::ECS::TaskDefinition', 'AWS::ECS::ClusterCapacityProviderAssociations',
  'AWS::ApplicationAutoScaling::ScalableTarget', 'AWS::ApplicationAutoScaling::ScalingPolicy',
  'AWS::ElasticLoadBalancingV2::Listener', 'AWS::ElasticLoadBalancingV2::ListenerRule', 'AWS::ElasticLoadBalancingV2::TargetGroup', 'AWS::ElasticLoadBalancingV2::ListenerCertificate',
  'AWS::WAFv2::WebACLAssociation', 'AWS::WAFv2::LoggingConfiguration', 'AWS::WAFv2::IPSet', 'AWS::WAFv2::RegexPatternSet',
  'AWS::ApiGateway::Account', 'AWS::ApiGateway::Authorizer', 'AWS::ApiGateway::Deployment', 'AWS::ApiGateway::GatewayResponse', 'AWS::ApiGateway::Method',
  'AWS::ApiGateway::Model', 'AWS::ApiGateway::RequestValidator', 'AWS::ApiGateway::Resource', 'AWS::ApiGateway::Stage', 'AWS::ApiGateway::BasePathMapping',
  'AWS::ApiGateway::DomainName', 'AWS::ApiGateway::UsagePlan', 'AWS::ApiGateway::UsagePlanKey', 'AWS::ApiGateway::ApiKey', 'AWS::ApiGatewayV2::VpcLink',
  'AWS::ApiGatewayV2::Stage', 'AWS::ApiGatewayV2::Route', 'AWS::ApiGatewayV2::Integration', 'AWS::ApiGateway::BasePathMappingV2', 'AWS::ApiGateway::DomainNameV2',
  'AWS::Lambda::Permission', 'AWS::Lambda::EventSourceMapping', 'AWS::Lambda::EventInvokeConfig', 'AWS::Lambda::LayerVersion',
  'AWS::SQS::QueuePolicy', 'AWS::SNS::Subscription', 'AWS::SNS::TopicPolicy', 'AWS::S3::BucketPolicy', 'AWS::KMS::Alias',
  'AWS::Logs::SubscriptionFilter', 'AWS::Logs::AccountPolicy', 'AWS::Logs::QueryDefinition', 'AWS::Logs::MetricFilter', 'AWS::Logs::ResourcePolicy', 'AWS::Logs::Destination',
  'AWS::Logs::DeliverySource', 'AWS::Logs::DeliveryDestination', 'AWS::Logs::Delivery',
  'AWS::Cognito::UserPoolDomain', 'AWS::Cognito::UserPoolResourceServer', 'AWS::Cognito::UserPoolIdentityProvider', 'AWS::Cognito::ManagedLoginBranding',
  'AWS::Cognito::UserPoolGroup', 'AWS::Cognito::UserPoolUICustomizationAttachment',
  'AWS::SecretsManager::SecretTargetAttachment', 'AWS::SecretsManager::RotationSchedule', 'AWS::SecretsManager::ResourcePolicy',
  'AWS::RDS::DBSubnetGroup', 'AWS::RDS::DBClusterParameterGroup', 'AWS::RDS::DBParameterGroup', 'AWS::RDS::DBProxyTargetGroup',
  // Backup plans and vaults cost nothing themselves; the backups they keep are storage (not estimated).
  'AWS::Backup::BackupVault', 'AWS::Backup::BackupPlan', 'AWS::Backup::BackupSelection',
  'AWS::ElastiCache::SubnetGroup', 'AWS::ElastiCache::ParameterGroup', 'AWS::ElastiCache::User', 'AWS::ElastiCache::UserGroup',
  'AWS::EC2::ClientVpnEndpoint', 'AWS::EC2::ClientVpnAuthorizationRule', 'AWS::EC2::ClientVpnRoute',
  'AWS::EC2::TransitGatewayRouteTableAssociation', 'AWS::EC2::TransitGatewayRouteTablePropagation', 'AWS::EC2::TransitGatewayRoute',
  'AWS::Route53Resolver::ResolverRule', 'AWS::Route53Resolver::ResolverRuleAssociation',
  'AWS::Glue::Database', 'AWS::Glue::Table', 'AWS::Logs::LogStream',
  // Identity pools (here: the RUM app monitor's guest credentials) have no charge (https://aws.amazon.com/cognito/pricing/).
  'AWS::Cognito::IdentityPool', 'AWS::Cognito::IdentityPoolRoleAttachment',
  // Budgets without actions have no charge (https://aws.amazon.com/aws-cost-management/aws-budgets/pricing/).
  'AWS::Budgets::Budget',
  'AWS::Events::Rule', 'AWS::Chatbot::SlackChannelConfiguration', 'AWS::Chatbot::MicrosoftTeamsChannelConfiguration',
  'AWS::CertificateManager::Certificate', 'AWS::Route53::RecordSet', 'AWS::SSM::Parameter', 'AWS::ServiceDiscovery::PrivateDnsNamespace',
  'AWS::CloudFormation::WaitConditionHandle', 'AWS::CloudFormation::WaitCondition',
]);

/** Custom resources run only during deploys (their provider functions are skipped by the Lambda rule too). */
export const isNoChargeType = (type: string): boolean => NO_CHARGE_TYPES.has(type) || type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
