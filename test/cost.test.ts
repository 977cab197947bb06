import { join } from 'node:path';
import { CostAssumptionsConfig } from '../lib/config/cost';
import { loadEnvironmentConfigs } from '../lib/config/load';
import { estimateEnvironment, type StackTemplate } from '../lib/cost/estimate';
import { formatComparison, formatEnvironment } from '../lib/cost/format';
import { PRICE_TABLE } from '../lib/cost/prices';
import { isNoChargeType, PRICING_RULES } from '../lib/cost/resource-prices';
import { ENVIRONMENTS, environmentJson } from './support/assembly';

/** A small environment written by hand, one resource of each common billable kind, plus what must not be priced. */
const SMALL: StackTemplate[] = [
  {
    stackName: 'small-Network',
    template: {
      Resources: {
        Nat: { Type: 'AWS::EC2::NatGateway' },
        NatIp: { Type: 'AWS::EC2::EIP' },
        SqsEndpoint: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Interface', SubnetIds: ['subnet-a', 'subnet-b'] } },
        S3Endpoint: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Gateway', RouteTableIds: ['rtb-a'] } },
        Vpc: { Type: 'AWS::EC2::VPC' },
      },
    },
  },
  {
    stackName: 'small-App',
    template: {
      Resources: {
        Task: { Type: 'AWS::ECS::TaskDefinition', Properties: { Cpu: '256', Memory: '512', RuntimePlatform: { CpuArchitecture: 'X86_64' } } },
        Service: { Type: 'AWS::ECS::Service', Properties: { LaunchType: 'FARGATE', DesiredCount: 2, TaskDefinition: { Ref: 'Task' } } },
        Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Type: 'application' } },
        Acl: { Type: 'AWS::WAFv2::WebACL', Properties: { Rules: [{ Name: 'a' }, { Name: 'b' }, { Name: 'c' }] } },
        Api: { Type: 'AWS::ApiGateway::RestApi' },
        Fn: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 512, Architectures: ['arm64'] } },
        ProviderFn: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 128 }, Metadata: { 'aws:cdk:path': 'small/App/Custom::ThingCustomResourceProvider/Handler' } },
        Queue: { Type: 'AWS::SQS::Queue' },
        Table: { Type: 'AWS::DynamoDB::Table', Properties: { BillingMode: 'PAY_PER_REQUEST' } },
        Key: { Type: 'AWS::KMS::Key' },
        Secret: { Type: 'AWS::SecretsManager::Secret' },
        Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: { Period: 60 } },
        MathAlarm: { Type: 'AWS::CloudWatch::Alarm', Properties: { Metrics: [{ MetricStat: { Period: 60 } }, { MetricStat: { Period: 60 } }, { Expression: 'm1/m2' }] } },
        Board: { Type: 'AWS::CloudWatch::Dashboard' },
        Logs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } },
        Pool: { Type: 'AWS::Cognito::UserPool', Properties: { UserPoolTier: 'ESSENTIALS' } },
        Machine: { Type: 'AWS::Cognito::UserPoolClient', Properties: { AllowedOAuthFlows: ['client_credentials'] } },
        Browser: { Type: 'AWS::Cognito::UserPoolClient', Properties: { AllowedOAuthFlows: ['code'] } },
        Role: { Type: 'AWS::IAM::Role' },
        Thing: { Type: 'Custom::Thing' },
        Mystery: { Type: 'AWS::Mystery::Widget' },
      },
    },
  },
];

const ASSUMPTIONS = CostAssumptionsConfig.parse({
  apiRequestsPerMonth: 1_000_000,
  lambdaInvocationsPerMonth: 1_000_000,
  lambdaAverageDurationMs: 100,
  queueMessagesPerMonth: 1_000_000,
  natDataGbPerMonth: 100,
  endpointDataGbPerMonth: 10,
  loadBalancerAverageLcu: 1,
  logIngestionGbPerMonth: 10,
  dynamodbWriteRequestsPerMonth: 1_000_000,
  dynamodbReadRequestsPerMonth: 2_000_000,
  dynamodbStorageGb: 4,
  monthlyActiveUsers: 1000,
  m2mTokenRequestsPerMonth: 1000,
  kmsRequestsPerMonth: 100_000,
  secretsApiCallsPerMonth: 20_000,
});

describe('cost estimate of a known small template', () => {
  const estimate = estimateEnvironment({ environment: 'small', region: 'us-east-1', logRetentionDays: 30, assumptions: ASSUMPTIONS, stacks: SMALL });
  const component = (name: string) => estimate.components.find((c) => c.component === name)?.monthly;

  test('each component by hand (730 h a month, us-east-1 list prices of lib/cost/prices.ts)', () => {
    // NAT: 730 h × $0.045 = 32.85; 100 GB × $0.045 = 4.50
    expect(component('NAT gateways')).toBeCloseTo(37.35, 6);
    // One public IPv4 address: 730 h × $0.005
    expect(component('Public IPv4 addresses')).toBeCloseTo(3.65, 6);
    // Interface endpoint in 2 subnets: 2 × 730 h × $0.01 = 14.60; 10 GB × $0.01 = 0.10; the gateway endpoint is free
    expect(component('Interface endpoints')).toBeCloseTo(14.7, 6);
    // 2 tasks × 0.25 vCPU × 730 h × $0.04048 = 14.7752; 2 × 0.5 GB × 730 h × $0.004445 = 3.24485
    expect(component('Fargate')).toBeCloseTo(18.02005, 6);
    // ALB: 730 h × $0.0225 = 16.425; 1 LCU × 730 h × $0.008 = 5.84
    expect(component('Load balancers')).toBeCloseTo(22.265, 6);
    // WAF: $5 ACL + 3 rules × $1 + 1 M requests × $0.60
    expect(component('WAF')).toBeCloseTo(8.6, 6);
    // REST API: 1 M × $3.50
    expect(component('API Gateway')).toBeCloseTo(3.5, 6);
    // Lambda (the custom resource provider is not counted): 1 M × 0.1 s × 0.5 GB = 50,000 GB-s × $0.0000133334
    // = 0.66667; 1 M requests × $0.20
    expect(component('Lambda')).toBeCloseTo(0.86667, 5);
    // SQS: 1 M messages × 3 requests × $0.40 per million
    expect(component('SQS')).toBeCloseTo(1.2, 6);
    // DynamoDB on demand: 1 M writes × $0.625 + 2 M reads × $0.125 + 4 GB × $0.25 (no PITR)
    expect(component('DynamoDB')).toBeCloseTo(1.875, 6);
    // KMS: $1 key + 100,000 requests × $0.03 per 10,000 = 0.30
    expect(component('KMS')).toBeCloseTo(1.3, 6);
    // Secrets Manager: $0.40 + 20,000 calls × $0.05 per 10,000 = 0.10
    expect(component('Secrets Manager')).toBeCloseTo(0.5, 6);
    // Alarms: one metric × $0.10, a metric-math alarm over two metrics × $0.10
    expect(component('CloudWatch alarms')).toBeCloseTo(0.3, 6);
    expect(component('CloudWatch dashboards')).toBeCloseTo(3, 6);
    // Logs: 10 GB × $0.50 = 5.00; stored 10 GB × (30 days / 30.4167) = 9.86301 GB × $0.03 = 0.29589
    expect(component('CloudWatch Logs')).toBeCloseTo(5.29589, 5);
    // Cognito Essentials: 1,000 MAU × $0.015 = 15; one machine client $6 + 1,000 tokens × $0.00225 = 2.25; the
    // code-flow client costs nothing of its own
    expect(component('Cognito')).toBeCloseTo(23.25, 6);
    // Sum of the above
    expect(estimate.total).toBeCloseTo(145.67261, 4);
  });

  test('an unknown type is listed as not priced; configuration and custom resources are no charge', () => {
    expect(estimate.notPriced).toEqual([{ stack: 'small-App', logicalId: 'Mystery', type: 'AWS::Mystery::Widget', reason: 'type not in the price table' }]);
    expect(formatEnvironment(estimate)).toContain('AWS::Mystery::Widget small-App/Mystery: type not in the price table');
    expect(formatComparison([estimate])).toContain('Not priced: small: 1 AWS::Mystery::Widget');
    // With a budget: the row, the share, and a warning when the estimate is above it ($145.67 of $100 = 146%).
    const withBudget = formatComparison([estimate], undefined, { small: 100 });
    expect(withBudget).toContain('| budget (operations.budget) | $100.00 (estimate 146%) |');
    expect(withBudget).toContain('Over budget: small is estimated at $145.67, above its budget of $100.00');
    expect(formatComparison([estimate], undefined, { small: 200 })).not.toContain('Over budget');
    expect(formatEnvironment(estimate, undefined, 200)).toMatch(/^small \(us-east-1\): \$145\.67 per month, 73% of its budget of \$200\.00\n/);
  });

  test('a scaling target minimum decides the task count; a region without prices is refused', () => {
    const scaled: StackTemplate = {
      stackName: 's-App',
      template: {
        Resources: {
          Task: { Type: 'AWS::ECS::TaskDefinition', Properties: { Cpu: '1024', Memory: '2048', RuntimePlatform: { CpuArchitecture: 'ARM64' } } },
          Svc: { Type: 'AWS::ECS::Service', Properties: { LaunchType: 'FARGATE', TaskDefinition: { Ref: 'Task' } } },
          Target: {
            Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
            Properties: { ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 3, ResourceId: { 'Fn::Join': ['', ['service/c/', { 'Fn::GetAtt': ['Svc', 'Name'] }]] } },
          },
        },
      },
    };
    const result = estimateEnvironment({ environment: 's', region: 'us-east-1', logRetentionDays: 30, assumptions: ASSUMPTIONS, stacks: [scaled] });
    // 3 tasks × 730 h × (1 vCPU × $0.03238 + 2 GB × $0.00356) = 2190 × 0.0395 = 86.505
    expect(result.total).toBeCloseTo(86.505, 6);
    expect(() => estimateEnvironment({ environment: 's', region: 'eu-west-9', logRetentionDays: 30, assumptions: ASSUMPTIONS, stacks: [scaled] })).toThrow(/region eu-west-9 is not in the price table/);
  });
});

describe('cost estimate of the shipped environments (global test assembly)', () => {
  const configs = loadEnvironmentConfigs(join(__dirname, '..', 'config'));

  test.each(ENVIRONMENTS)('%s: every resource is priced, listed as not priced, or of a type with no charge', (environment) => {
    const config = configs.find((c) => c.name === environment)!;
    const stacks = Object.entries(environmentJson(environment)).map(([id, template]) => ({ stackName: `${environment}-${id}`, template }));
    const estimate = estimateEnvironment({ environment, region: config.region, logRetentionDays: config.logRetentionDays, assumptions: config.costAssumptions, stacks });
    const all = stacks.flatMap((s) => Object.entries(s.template.Resources as Record<string, { Type: string }>).map(([id, r]) => ({ key: `${s.stackName}/${id}`, type: r.Type })));
    const accounted = new Set([...estimate.lines.map((l) => `${l.stack}/${l.logicalId}`), ...estimate.notPriced.map((n) => `${n.stack}/${n.logicalId}`)]);
    const dropped = all.filter((r) => !accounted.has(r.key) && !isNoChargeType(r.type) && !PRICING_RULES[r.type]);
    expect(dropped).toEqual([]);
    // The fixed costs every environment has: NAT gateways, the web ACL, KMS keys, alarms.
    for (const name of ['NAT gateways', 'WAF', 'KMS', 'CloudWatch alarms']) expect(estimate.components.map((c) => c.component)).toContain(name);
    expect(estimate.total).toBeGreaterThan(0);
  });

  test('the price table says when, where and from which pages', () => {
    expect(PRICE_TABLE.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(new Set(configs.map((c) => c.region)).size).toBeGreaterThan(0);
    for (const config of configs) expect(PRICE_TABLE.regions).toContain(config.region);
    for (const source of Object.values(PRICE_TABLE.sources)) expect(source).toMatch(/^https:\/\/aws\.amazon\.com\//);
  });
});
