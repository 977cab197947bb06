/**
 * The price table `npm run cost` estimates with: AWS public on-demand list prices in USD, no free tier subtracted
 * (free tiers are per account or organization and shared with whatever else runs there), no savings plans.
 *
 * Kept in the repo so an estimate needs no network and is reproducible; update the numbers and `date` together
 * when AWS changes a price. Every environment in config/ is in us-east-1 today; an environment in a region this table
 * does not hold is refused by the estimator (add the region's prices here first).
 *
 * Sources (the official pricing pages, each checked on `date` against the page named after it):
 */
export const PRICE_SOURCES: Readonly<Record<string, string>> = {
  vpc: 'https://aws.amazon.com/vpc/pricing/ (NAT gateway $0.045/h and $0.045/GB; public IPv4 $0.005/h; checked with https://cloudburn.io/blog/aws-nat-gateway-pricing)',
  privatelink: 'https://aws.amazon.com/privatelink/pricing/ (interface endpoint $0.01 per AZ-hour, $0.01/GB; checked with https://knbrlo.com/notes/aws/nat-gateway-data-processing)',
  fargate: 'https://aws.amazon.com/fargate/pricing/ (Linux x86 $0.04048/vCPU-h, $0.004445/GB-h; ARM $0.03238, $0.00356; checked with https://www.vantage.sh/blog/fargate-pricing)',
  elb: 'https://aws.amazon.com/elasticloadbalancing/pricing/ (ALB $0.0225/h, $0.008/LCU-h; NLB $0.0225/h, $0.006/NLCU-h; LCU dimensions: https://handbook.vantage.sh/aws/services/elb-pricing)',
  waf: 'https://aws.amazon.com/waf/pricing/ ($5 per web ACL-month, $1 per rule or rule group-month, $0.60 per million requests; checked with https://c3x.dev/blog/aws-waf-cost-explained/)',
  apiGateway: 'https://aws.amazon.com/api-gateway/pricing/ (REST API $3.50 per million requests, first 333 million)',
  lambda: 'https://aws.amazon.com/lambda/pricing/ (arm64 $0.0000133334/GB-s, x86 $0.0000166667/GB-s, $0.20 per million requests)',
  sqs: 'https://aws.amazon.com/sqs/pricing/ (standard $0.40, FIFO $0.50 per million requests)',
  s3: 'https://aws.amazon.com/s3/pricing/ (Standard $0.023/GB-month, PUT $0.005 per 1,000, GET $0.0004 per 1,000)',
  dynamodb: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ (on-demand $0.625 per million writes, $0.125 per million reads since November 2024; $0.25/GB-month; PITR $0.20/GB-month; provisioned $0.00065/WCU-h, $0.00013/RCU-h; checked with https://airbyte.com/data-engineering-resources/dynamodb-pricing)',
  kms: 'https://aws.amazon.com/kms/pricing/ ($1 per customer managed key-month, $0.03 per 10,000 requests)',
  secretsManager: 'https://aws.amazon.com/secrets-manager/pricing/ ($0.40 per secret-month, $0.05 per 10,000 API calls)',
  cloudwatch: 'https://aws.amazon.com/cloudwatch/pricing/ (alarm $0.10 per standard metric-month, $0.30 high resolution; dashboard $3/month; logs $0.50/GB ingested, $0.03/GB-month stored; canary $0.0012 per run; RUM $1 per 100,000 events)',
  cognito: 'https://aws.amazon.com/cognito/pricing/ (Essentials $0.015/MAU, Lite $0.0055, Plus $0.02; machine-to-machine $6 per app client-month and $2.25 per 1,000 token requests: https://cur.vantage-api.com/aws/amazoncognito/user-pools-m2m/cupm2mtokenrequestsfull)',
  sns: 'https://aws.amazon.com/sns/pricing/ ($0.50 per million publishes)',
  ecr: 'https://aws.amazon.com/ecr/pricing/ ($0.10/GB-month)',
  aurora: 'https://aws.amazon.com/rds/aurora/pricing/ (Serverless v2 $0.12/ACU-h, storage $0.10/GB-month, I/O $0.20 per million; checked with https://c3x.dev/blog/aws-aurora-serverless-v2-cost/)',
  rdsProxy: 'https://aws.amazon.com/rds/proxy/pricing/ (Aurora Serverless v2 targets: $0.015 per ACU-hour, at least 8 ACUs; the minimum checked with https://blog.serverworks.co.jp/amazon-aurora-serverless-v2-and-amazon-rds-proxy-minimum-cost)',
  elasticache: 'https://aws.amazon.com/elasticache/pricing/ (Serverless Valkey $0.084/GB-h and $0.0023 per million ECPUs, Redis OSS/Memcached $0.125 and $0.0034; minimum 100 MB Valkey, 1 GB others: https://cur.vantage.sh/aws/amazonelasticache)',
  vpn: 'https://aws.amazon.com/vpn/pricing/ (Site-to-Site VPN $0.05 per connection-hour; Client VPN $0.10 per association-hour)',
  firehose: 'https://aws.amazon.com/firehose/pricing/ (direct PUT $0.029/GB ingested, in 5 KB records; dynamic partitioning $0.02/GB)',
  athena: 'https://aws.amazon.com/athena/pricing/ ($5 per TB scanned)',
  route53: 'https://aws.amazon.com/route53/pricing/ (hosted zone $0.50/month; health check $0.50/month for AWS endpoints; Resolver endpoint $0.125 per IP address (ENI)-hour, $0.40 per million queries)',
  transitGateway: 'https://aws.amazon.com/transit-gateway/pricing/ ($0.05 per attachment-hour, $0.02 per GB processed)',
};

/** One dimension's unit price in USD. */
export const PRICES = {
  natGatewayHour: 0.045,
  natGatewayGb: 0.045,
  publicIpv4Hour: 0.005,
  interfaceEndpointAzHour: 0.01,
  interfaceEndpointGb: 0.01,
  fargateVcpuHourX86: 0.04048,
  fargateGbHourX86: 0.004445,
  fargateVcpuHourArm: 0.03238,
  fargateGbHourArm: 0.00356,
  applicationLoadBalancerHour: 0.0225,
  applicationLoadBalancerLcuHour: 0.008,
  networkLoadBalancerHour: 0.0225,
  networkLoadBalancerLcuHour: 0.006,
  wafWebAclMonth: 5,
  wafRuleMonth: 1,
  wafMillionRequests: 0.6,
  restApiMillionRequests: 3.5,
  httpApiMillionRequests: 1.0,
  lambdaGbSecondArm: 0.0000133334,
  lambdaGbSecondX86: 0.0000166667,
  lambdaMillionRequests: 0.2,
  sqsMillionRequestsStandard: 0.4,
  sqsMillionRequestsFifo: 0.5,
  s3StandardGbMonth: 0.023,
  s3ThousandPuts: 0.005,
  s3ThousandGets: 0.0004,
  dynamodbMillionWrites: 0.625,
  dynamodbMillionReads: 0.125,
  dynamodbGbMonth: 0.25,
  dynamodbPitrGbMonth: 0.2,
  dynamodbWcuHour: 0.00065,
  dynamodbRcuHour: 0.00013,
  kmsKeyMonth: 1,
  kmsTenThousandRequests: 0.03,
  secretMonth: 0.4,
  secretsTenThousandCalls: 0.05,
  alarmStandardMonth: 0.1,
  alarmHighResolutionMonth: 0.3,
  compositeAlarmMonth: 0.5,
  dashboardMonth: 3,
  logsIngestGb: 0.5,
  logsStoredGbMonth: 0.03,
  canaryRun: 0.0012,
  rumHundredThousandEvents: 1,
  cognitoEssentialsMau: 0.015,
  cognitoLiteMau: 0.0055,
  cognitoPlusMau: 0.02,
  cognitoM2mClientMonth: 6,
  cognitoM2mTokenRequest: 0.00225,
  snsMillionPublishes: 0.5,
  ecrGbMonth: 0.1,
  auroraServerlessAcuHour: 0.12,
  auroraGbMonth: 0.1,
  auroraMillionIo: 0.2,
  rdsProxyAcuHour: 0.015,
  rdsProxyMinimumAcu: 8,
  cacheServerlessValkeyGbHour: 0.084,
  cacheServerlessValkeyMillionEcpu: 0.0023,
  cacheServerlessRedisGbHour: 0.125,
  cacheServerlessRedisMillionEcpu: 0.0034,
  siteToSiteVpnConnectionHour: 0.05,
  clientVpnAssociationHour: 0.1,
  transitGatewayAttachmentHour: 0.05,
  transitGatewayGb: 0.02,
  resolverEndpointIpHour: 0.125,
  resolverMillionQueries: 0.4,
  firehoseGb: 0.029,
  firehoseDynamicPartitioningGb: 0.02,
  athenaTbScanned: 5,
  route53HealthCheckMonth: 0.5,
  route53HostedZoneMonth: 0.5,
} as const;

export type PriceKey = keyof typeof PRICES;

/**
 * Hourly on-demand prices of the node types a cache or database may name (us-east-1). A node type missing here is
 * reported as "not priced" with its name, never guessed.
 */
export const NODE_HOUR_PRICES: Readonly<Record<string, number>> = {
  // ElastiCache (https://aws.amazon.com/elasticache/pricing/, Redis OSS / Valkey on-demand nodes; Valkey nodes are 20% lower)
  'cache.t4g.micro': 0.016,
  'cache.t4g.small': 0.032,
  'cache.t4g.medium': 0.065,
  // RDS / Aurora provisioned (https://aws.amazon.com/rds/aurora/pricing/)
  'db.t4g.medium': 0.073,
  'db.r6g.large': 0.26,
};

export const PRICE_TABLE = {
  /** When the numbers were last checked against the sources. */
  date: '2026-12-01',
  regions: ['us-east-1'] as readonly string[],
  currency: 'USD',
  /** Hours in a month, as the AWS Pricing Calculator counts them. */
  hoursPerMonth: 730,
  prices: PRICES,
  nodeHourPrices: NODE_HOUR_PRICES,
  sources: PRICE_SOURCES,
} as const;

export type PriceTable = typeof PRICE_TABLE;
