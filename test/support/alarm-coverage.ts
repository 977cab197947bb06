/**
 * Alarm coverage of one synthesized environment: every queue (DLQs included), Lambda function, API stage, WAF web
 * ACL, ECS service, target group, NAT gateway, user pool, VPN connection and Resolver endpoint must be watched by an AWS::CloudWatch::Alarm in its own
 * stack whose metric dimensions reference it and whose AlarmActions reach one of the environment's alert topics; and
 * every alarm an ECS service rolls back on must be such an alarm. Used by the coverage test on every environment and
 * by the tests that prove it reports an unwatched resource or an unrouted rollback alarm.
 */

type Template = { Resources?: Record<string, { Type: string; Properties?: any; Metadata?: any }> };

export interface CoverageGap {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  /** The construct path, when the template carries it (easier to read than a logical id). */
  readonly path?: string;
}

export const WATCHED_TYPES = [
  'AWS::SQS::Queue',
  'AWS::Lambda::Function',
  'AWS::ApiGateway::Stage',
  'AWS::WAFv2::WebACL',
  'AWS::ECS::Service',
  'AWS::ElasticLoadBalancingV2::TargetGroup',
  'AWS::EC2::NatGateway',
  'AWS::Cognito::UserPool',
  'AWS::Synthetics::Canary',
  'AWS::EC2::VPNConnection',
  'AWS::Route53Resolver::ResolverEndpoint',
  'AWS::RDS::DBCluster',
  'AWS::ElastiCache::ServerlessCache',
  'AWS::Backup::BackupVault',
] as const;

/** The alert topic names of an environment: the SNS topics of its Alerting stack. */
export function alertTopicNames(templates: Record<string, Template>): string[] {
  const alerting = templates.Alerting?.Resources ?? {};
  return Object.values(alerting)
    .filter((resource) => resource.Type === 'AWS::SNS::Topic' && typeof resource.Properties?.TopicName === 'string')
    .map((resource) => resource.Properties.TopicName as string);
}

/**
 * Functions that back a CloudFormation custom resource (they are some custom resource's ServiceToken): CDK's own
 * providers (default security group, log retention, bucket notifications, AwsCustomResource, provider frameworks).
 * They run only during deployments, and a failure fails the deployment visibly, so they need no alarm.
 */
export function customResourceProviders(template: Template): Set<string> {
  const providers = new Set<string>();
  for (const resource of Object.values(template.Resources ?? {})) {
    if (!resource.Type.startsWith('Custom::') && resource.Type !== 'AWS::CloudFormation::CustomResource') continue;
    const token = resource.Properties?.ServiceToken;
    const target = token?.['Fn::GetAtt']?.[0] ?? token?.Ref;
    if (typeof target === 'string') providers.add(target);
  }
  return providers;
}

export function findUnwatchedResources(templates: Record<string, Template>): CoverageGap[] {
  const topics = alertTopicNames(templates);
  const gaps: CoverageGap[] = [];
  for (const [stack, template] of Object.entries(templates)) {
    const resources = template.Resources ?? {};
    const alarms = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm' && reachesTopic(resource.Properties?.AlarmActions, topics))
      .map((resource) => ({ references: referencedIds(resource.Properties), dimensions: dimensionSets(resource.Properties) }));
    const providers = customResourceProviders(template);
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (!(WATCHED_TYPES as readonly string[]).includes(resource.Type)) continue;
      if (resource.Type === 'AWS::Lambda::Function' && providers.has(logicalId)) continue;
      const watched = alarms.some((alarm) => alarm.references.has(logicalId) || matchesByName(resource, resources, alarm.dimensions));
      if (!watched) gaps.push({ stack, logicalId, type: resource.Type, path: resource.Metadata?.['aws:cdk:path'] });
    }
  }
  return gaps;
}

/**
 * The deployment alarms of every ECS service (DeploymentConfiguration.Alarms.AlarmNames) that are not an alarm of the
 * service's stack reaching an alert topic: a rollback nobody hears of, or an alarm name that matches no alarm.
 */
export function findUnroutedDeploymentAlarms(templates: Record<string, Template>): Array<CoverageGap & { readonly alarm: string }> {
  const topics = alertTopicNames(templates);
  const gaps: Array<CoverageGap & { readonly alarm: string }> = [];
  for (const [stack, template] of Object.entries(templates)) {
    const resources = template.Resources ?? {};
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::ECS::Service') continue;
      for (const name of resource.Properties?.DeploymentConfiguration?.Alarms?.AlarmNames ?? []) {
        const alarm = typeof name?.Ref === 'string' ? resources[name.Ref] : undefined;
        if (alarm?.Type === 'AWS::CloudWatch::Alarm' && reachesTopic(alarm.Properties?.AlarmActions, topics)) continue;
        gaps.push({ stack, logicalId, type: resource.Type, path: resource.Metadata?.['aws:cdk:path'], alarm: JSON.stringify(name) });
      }
    }
  }
  return gaps;
}

function reachesTopic(actions: unknown, topics: string[]): boolean {
  if (!Array.isArray(actions) || actions.length === 0 || topics.length === 0) return false;
  return actions.some((action) => {
    const text = JSON.stringify(action);
    return topics.some((topic) => new RegExp(`:${topic.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`).test(text));
  });
}

/** Logical ids referenced (Ref / Fn::GetAtt) by an alarm's metric dimensions, single metric or metric math. */
function referencedIds(properties: any): Set<string> {
  const ids = new Set<string>();
  const visit = (value: any): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      if (typeof value.Ref === 'string') ids.add(value.Ref);
      if (Array.isArray(value['Fn::GetAtt'])) ids.add(value['Fn::GetAtt'][0]);
      Object.values(value).forEach(visit);
    }
  };
  visit(properties?.Dimensions);
  visit(properties?.Metrics);
  return ids;
}

/** Every dimension set of an alarm, as name → value (value as JSON, literal or token). */
function dimensionSets(properties: any): Array<Record<string, string>> {
  const lists: any[] = [properties?.Dimensions, ...(properties?.Metrics ?? []).map((m: any) => m?.MetricStat?.Metric?.Dimensions)];
  return lists.filter(Array.isArray).map((list) => Object.fromEntries(list.map((d: any) => [d.Name, JSON.stringify(d.Value)])));
}

/** Resources metrics name by a literal rather than a reference: API stages (ApiName + Stage) and web ACLs (metric name). */
function matchesByName(resource: { Type: string; Properties?: any }, resources: Template['Resources'], dimensions: Array<Record<string, string>>): boolean {
  if (resource.Type === 'AWS::ApiGateway::Stage') {
    const apiId = resource.Properties?.RestApiId?.Ref;
    const apiName = apiId ? resources?.[apiId]?.Properties?.Name : undefined;
    if (apiName === undefined) return false;
    return dimensions.some((d) => d.Stage === JSON.stringify(resource.Properties?.StageName) && d.ApiName === JSON.stringify(apiName));
  }
  if (resource.Type === 'AWS::WAFv2::WebACL') {
    const metricName = resource.Properties?.VisibilityConfig?.MetricName;
    return dimensions.some((d) => d.WebACL === JSON.stringify(metricName));
  }
  return false;
}
