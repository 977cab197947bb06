/**
 * Every alarm of Connect, declared once: per kind of resource, one row per alarm (metric, statistic, period,
 * threshold from config `alarms.thresholds`, comparison, evaluation, severity, what it means and what to do first).
 * `Monitoring` (./monitoring.ts) turns the rows into CloudWatch alarms, named, described and routed the same way.
 * Adding an alarm is adding a row; adding a kind of resource is adding a key to `MonitoredResources`
 * (./alarm-spec.ts) and its rows here.
 */
import { Duration, Stack, type IResolvable, Token } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as route53resolver from 'aws-cdk-lib/aws-route53resolver';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { AlarmThresholds } from '../../config/schema';
import type { AlarmKind, BlueGreenTargets, MetricOptions, ResourceKind, ResourceOf } from './alarm-spec';
import { DATA_ALARM_TABLE } from './alarm-table-data';

const ONE_MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);
/** The canary alarm's window: a run every 1 to 10 minutes (config operations.canary.everyMinutes) lands in each one. */
export const CANARY_ALARM_WINDOW = Duration.minutes(15);
/** Failed runs in one window that fire the canary alarm: the configured count, capped at the runs a window holds. */
export function canaryFailedRunsThreshold(canary: { everyMinutes: number; failedRunsToAlarm: number }): number {
  return Math.max(1, Math.min(canary.failedRunsToAlarm, Math.floor(CANARY_ALARM_WINDOW.toMinutes() / canary.everyMinutes)));
}

const { GREATER_THAN_THRESHOLD: ABOVE, GREATER_THAN_OR_EQUAL_TO_THRESHOLD: AT_LEAST, LESS_THAN_THRESHOLD: BELOW, LESS_THAN_OR_EQUAL_TO_THRESHOLD: AT_MOST } = cloudwatch.ComparisonOperator;
const { NOT_BREACHING, BREACHING, IGNORE } = cloudwatch.TreatMissingData;

export const ALARM_TABLE: { readonly [K in ResourceKind]-?: AlarmKind<ResourceOf<K>> } = {
  queues: {
    alarms: [
      {
        suffix: 'oldest-message-age', section: 'Queues', severity: 'warning',
        statistic: 'Maximum', period: FIVE_MINUTES, metric: ({ queue }, o) => queue.metricApproximateAgeOfOldestMessage(o),
        threshold: (t) => t.queueOldestMessageSeconds, comparison: ABOVE, evaluationPeriods: 2,
        // An idle queue publishes nothing, and an idle queue is not a stuck one.
        treatMissingData: NOT_BREACHING,
        meaning: (name, t) => `the oldest message of queue ${name} has waited more than ${t.queueOldestMessageSeconds} s: its consumer is not draining it`,
        firstAction: 'check the consuming Lambda for errors, throttles or a disabled event source mapping',
      },
      {
        suffix: 'dlq-visible-messages', section: 'Queues', severity: 'critical', headline: true,
        statistic: 'Maximum', period: FIVE_MINUTES, metric: ({ deadLetterQueue }, o) => deadLetterQueue.metricApproximateNumberOfMessagesVisible(o),
        threshold: 0, comparison: ABOVE, evaluationPeriods: 1,
        // SQS stops publishing for queues idle for hours; keep the last state so a parked message never turns OK by silence.
        treatMissingData: IGNORE,
        meaning: (name) => `messages of queue ${name} failed every retry and are parked in its dead-letter queue`,
        firstAction: "read the consumer's logs for the failed message ids, fix the cause, then redrive the DLQ to its source queue",
      },
    ],
  },

  functions: {
    alarms: [
      {
        suffix: 'errors', section: 'Handlers', severity: 'critical', headline: true,
        statistic: 'Sum', period: FIVE_MINUTES, metric: (fn, o) => fn.metricErrors(o),
        threshold: (t) => t.lambdaErrors, comparison: AT_LEAST, evaluationPeriods: 1,
        // No invocations, no errors.
        treatMissingData: NOT_BREACHING,
        meaning: (name, t) => `function ${name} failed ${t.lambdaErrors} or more invocations in 5 minutes`,
        firstAction: "open the function's log group and search for level ERROR in the alarm window",
      },
      {
        suffix: 'throttles', section: 'Handlers', severity: 'warning',
        statistic: 'Sum', period: FIVE_MINUTES, metric: (fn, o) => fn.metricThrottles(o),
        threshold: 0, comparison: ABOVE, evaluationPeriods: 2,
        treatMissingData: NOT_BREACHING,
        meaning: (name) => `function ${name} is being throttled: its reserved concurrency is exhausted`,
        firstAction: 'compare ConcurrentExecutions with the reserved concurrency and raise it only if the downstream API can take the load',
      },
      {
        suffix: 'p99-duration', section: 'Handlers', severity: 'warning',
        statistic: 'p99', period: FIVE_MINUTES, metric: (fn, o) => fn.metricDuration(o),
        threshold: (t, fn) => durationLimitMs(fn, t), comparison: ABOVE, evaluationPeriods: 3,
        treatMissingData: NOT_BREACHING,
        meaning: (name, t, fn) =>
          `p99 duration of function ${name} is above ${durationLimitMs(fn, t)} ms, ${Math.round(t.lambdaDurationFractionOfTimeout * 100)}% of its ${timeoutMs(fn)} ms timeout`,
        firstAction: 'check the latency of the downstream API it calls (X-Ray traces of the function) before raising the timeout',
      },
    ],
  },

  apiStages: {
    alarms: [
      {
        suffix: '5xx-rate', section: 'API', severity: 'critical', headline: true,
        // The Average of 5XXError is the fraction of requests answered with a 5xx.
        statistic: 'Average', period: FIVE_MINUTES, metric: (stage, o) => apiMetric(stage, '5XXError', o),
        threshold: (t) => t.api5xxPercent / 100, comparison: ABOVE, evaluationPeriods: 2,
        treatMissingData: NOT_BREACHING,
        meaning: (_, t) => `more than ${t.api5xxPercent}% of API requests end in a 5xx`,
        firstAction: 'find the failing route in the API access log (status 5xx), then open the logs of its handler or service',
      },
      {
        suffix: '4xx-rate', section: 'API', severity: 'warning',
        statistic: 'Average', period: FIVE_MINUTES, metric: (stage, o) => apiMetric(stage, '4XXError', o),
        threshold: (t) => t.api4xxPercent / 100, comparison: ABOVE, evaluationPeriods: 3,
        treatMissingData: NOT_BREACHING,
        meaning: (_, t) => `more than ${t.api4xxPercent}% of API requests are rejected with a 4xx, well above normal client errors`,
        firstAction: 'group the API access log by status and client: expired tokens, a Widget release or a scan look different',
      },
      {
        suffix: 'p99-latency', section: 'API', severity: 'warning', headline: true,
        statistic: 'p99', period: FIVE_MINUTES, metric: (stage, o) => apiMetric(stage, 'Latency', o),
        threshold: (t) => t.apiP99LatencyMs, comparison: ABOVE, evaluationPeriods: 3,
        treatMissingData: NOT_BREACHING,
        meaning: (_, t) => `p99 API latency is above ${t.apiP99LatencyMs} ms`,
        firstAction: 'compare Latency with IntegrationLatency: if both are high, look at the slow handler or service',
      },
    ],
  },

  webAcls: {
    alarms: [
      {
        suffix: 'blocked-requests', section: 'WAF', severity: 'warning', headline: true,
        statistic: 'Sum', period: FIVE_MINUTES,
        // WAF publishes per web ACL under its visibility metric name; Rule=ALL sums every rule.
        metric: (webAcl, o) =>
          new cloudwatch.Metric({
            namespace: 'AWS/WAFV2',
            metricName: 'BlockedRequests',
            dimensionsMap: { WebACL: (webAcl.visibilityConfig as wafv2.CfnWebACL.VisibilityConfigProperty).metricName, Rule: 'ALL', Region: Stack.of(webAcl).region },
            ...o,
          }),
        threshold: (t) => t.wafBlockedRequests, comparison: ABOVE, evaluationPeriods: 1,
        treatMissingData: NOT_BREACHING,
        meaning: (_, t) => `the web ACL blocked more than ${t.wafBlockedRequests} requests in 5 minutes`,
        firstAction: 'open the WAF log group and group blocked requests by rule and client IP: an attack, or a rule blocking real clients',
      },
    ],
  },

  services: {
    alarms: [
      {
        suffix: 'running-below-desired', section: 'Services', severity: 'critical', headline: true,
        statistic: 'Average', period: FIVE_MINUTES,
        metric: (service, o) =>
          new cloudwatch.MathExpression({
            label: 'desired minus running tasks',
            expression: 'desired - running',
            usingMetrics: { desired: containerInsight(service, 'DesiredTaskCount', o), running: containerInsight(service, 'RunningTaskCount', o) },
            period: o.period,
          }),
        threshold: 0, comparison: ABOVE, evaluationPeriods: 3,
        // A service that reports nothing is not known to be running.
        treatMissingData: BREACHING,
        meaning: (name) => `service ${name} runs fewer tasks than desired for 15 minutes`,
        firstAction: "open the service's Events tab and its stopped tasks' stop reasons (image pull, health check, out of memory)",
      },
      {
        suffix: 'cpu', section: 'Services', severity: 'warning',
        statistic: 'Average', period: FIVE_MINUTES, metric: (service, o) => service.metricCpuUtilization(o),
        threshold: (t) => t.serviceCpuPercent, comparison: ABOVE, evaluationPeriods: 3,
        treatMissingData: NOT_BREACHING,
        meaning: (name, t) => `CPU of service ${name} is above ${t.serviceCpuPercent}%`,
        firstAction: 'check whether autoscaling is at maxTasks; if so raise maxTasks or cpu in the environment config',
      },
      {
        suffix: 'memory', section: 'Services', severity: 'warning',
        statistic: 'Average', period: FIVE_MINUTES, metric: (service, o) => service.metricMemoryUtilization(o),
        threshold: (t) => t.serviceMemoryPercent, comparison: ABOVE, evaluationPeriods: 3,
        treatMissingData: NOT_BREACHING,
        meaning: (name, t) => `memory of service ${name} is above ${t.serviceMemoryPercent}%`,
        firstAction: 'look for a memory leak in the service logs and task restarts before raising memoryMiB in the config',
      },
    ],
  },

  targetGroups: {
    alarms: [
      {
        suffix: 'target-5xx-rate', section: 'Services', severity: 'critical',
        statistic: 'Sum', period: FIVE_MINUTES,
        metric: (targetGroup, o) =>
          new cloudwatch.MathExpression({
            label: 'target 5xx %',
            expression: 'IF(requests > 0, 100 * errors / requests, 0)',
            usingMetrics: { errors: targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, o), requests: targetGroup.metrics.requestCount(o) },
            period: o.period,
          }),
        threshold: (t) => t.api5xxPercent, comparison: ABOVE, evaluationPeriods: 2,
        treatMissingData: NOT_BREACHING,
        meaning: (name, t) => `more than ${t.api5xxPercent}% of requests to target group ${name} end in a 5xx from the service`,
        firstAction: "open the service's container logs for the alarm window; if a deployment is in progress, let the rollback alarm act",
      },
      {
        suffix: 'unhealthy-targets', section: 'Services', severity: 'warning',
        statistic: 'Maximum', period: ONE_MINUTE, metric: (targetGroup, o) => targetGroup.metrics.unhealthyHostCount(o),
        threshold: 0, comparison: ABOVE, evaluationPeriods: 5,
        // No registered targets publishes nothing; the running-tasks alarm covers a service with no tasks.
        treatMissingData: NOT_BREACHING,
        meaning: (name) => `target group ${name} has had unhealthy targets for 5 minutes`,
        firstAction: "call the service's health check path from inside the VPC and read the failing tasks' logs",
      },
    ],
  },

  natGateways: {
    alarms: [
      {
        suffix: 'port-allocation-errors', section: 'Network', severity: 'warning',
        statistic: 'Sum', period: FIVE_MINUTES, metric: (natGateway, o) => natMetric(natGateway, 'ErrorPortAllocation', o),
        threshold: 0, comparison: ABOVE, evaluationPeriods: 1,
        treatMissingData: NOT_BREACHING,
        meaning: (name) => `NAT gateway ${name} could not allocate a source port: calls to Modyo and providers from its AZ fail`,
        firstAction: 'look for a handler opening too many connections to one destination (no keep-alive, retry storm)',
      },
      {
        suffix: 'packets-dropped', section: 'Network', severity: 'warning',
        statistic: 'Sum', period: FIVE_MINUTES, metric: (natGateway, o) => natMetric(natGateway, 'PacketsDropCount', o),
        threshold: 0, comparison: ABOVE, evaluationPeriods: 3,
        treatMissingData: NOT_BREACHING,
        meaning: (name) => `NAT gateway ${name} has been dropping packets for 15 minutes`,
        firstAction: "check the AWS Health dashboard for the AZ, then the gateway's bandwidth and connection metrics",
      },
    ],
  },

  // Tunnel state per VPN connection: CloudFormation returns no tunnel outside address (the TunnelIpAddress dimension)
  // until AWS assigns it at creation, so the alarms read the connection's TunnelState (VpnId), which AWS documents as
  // 1 with both tunnels up, 0 with both down and in between while one is down: below 1 is a tunnel lost (whichever),
  // 0 is the connection lost. https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-cloudwatch-vpn.html
  vpnConnections: {
    alarms: [
      {
        suffix: 'tunnel-down', section: 'Network', severity: 'warning',
        statistic: 'Maximum', period: FIVE_MINUTES, metric: (connection, o) => vpnMetric(connection, 'TunnelState', o),
        // 15 minutes: AWS replaces one tunnel endpoint at a time during maintenance, which takes a tunnel down briefly.
        threshold: 1, comparison: BELOW, evaluationPeriods: 3,
        // The metric is a gauge the service publishes while the connection exists; keep the last state through a gap.
        treatMissingData: IGNORE,
        meaning: (name) => `a tunnel of VPN connection ${name} has been down for 15 minutes: the business systems behind it hang on the other tunnel`,
        firstAction: "open the connection's Tunnel details (or aws ec2 describe-vpn-connections, VgwTelemetry) for the down tunnel's status message, then its IKE log in the tunnel log group",
      },
      {
        suffix: 'tunnels-down', section: 'Network', severity: 'critical', headline: true,
        statistic: 'Maximum', period: FIVE_MINUTES, metric: (connection, o) => vpnMetric(connection, 'TunnelState', o),
        threshold: 0, comparison: AT_MOST, evaluationPeriods: 2,
        // Silence from a connection that should always report is itself the outage.
        treatMissingData: BREACHING,
        meaning: (name) => `both tunnels of VPN connection ${name} have been down for 10 minutes: calls to the business systems behind it fail`,
        firstAction: "call the network team on the customer gateway device (WAN link, IKE/IPsec SA state), and read the tunnel log group for the last negotiation",
      },
    ],
  },

  // https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-resolver-with-cloudwatch.html
  resolverEndpoints: {
    alarms: [
      {
        suffix: 'unhealthy-enis', section: 'Network', severity: 'warning',
        statistic: 'Maximum', period: FIVE_MINUTES, metric: (endpoint, o) => resolverMetric(endpoint, 'EndpointUnhealthyENICount', o),
        threshold: 0, comparison: ABOVE, evaluationPeriods: 3,
        treatMissingData: NOT_BREACHING,
        meaning: (name) => `Resolver endpoint ${name} has had a network interface in AUTO_RECOVERING for 15 minutes: it forwards the organisation's domains with reduced capacity`,
        firstAction: "check the endpoint's IP addresses in the Route 53 Resolver console and the AWS Health dashboard for the AZ",
      },
      {
        suffix: 'no-healthy-enis', section: 'Network', severity: 'critical', headline: true,
        statistic: 'Minimum', period: FIVE_MINUTES, metric: (endpoint, o) => resolverMetric(endpoint, 'EndpointHealthyENICount', o),
        threshold: 1, comparison: BELOW, evaluationPeriods: 2,
        // The count is published for every endpoint; none at all means no DNS forwarding either.
        treatMissingData: BREACHING,
        meaning: (name) => `Resolver endpoint ${name} has had no operational network interface for 10 minutes: names of the organisation's domains (e.g. the CRM) do not resolve`,
        firstAction: "check the endpoint's status in the Route 53 Resolver console, its security group (DNS out to the resolvers) and the VPN or transit gateway path to the resolvers",
      },
    ],
  },

  userPools: {
    subject: ({ userPool }) => userPool,
    alarms: [
      {
        suffix: 'sign-in-throttles', section: 'Identity', severity: 'warning',
        statistic: 'Sum', period: FIVE_MINUTES,
        // Cognito publishes sign-in throttles per app client; the alarm sums them (metric math allows 10 metrics).
        metric: ({ userPool, clients }, o) => {
          const signInThrottles = (client: cognito.IUserPoolClient) =>
            new cloudwatch.Metric({ namespace: 'AWS/Cognito', metricName: 'SignInThrottles', dimensionsMap: { UserPool: userPool.userPoolId, UserPoolClient: client.userPoolClientId }, ...o });
          const usingMetrics = Object.fromEntries(clients.slice(0, 10).map((client, index) => [`c${index}`, signInThrottles(client)]));
          return new cloudwatch.MathExpression({ label: 'sign-in throttles', expression: Object.keys(usingMetrics).join(' + '), usingMetrics, period: o.period });
        },
        threshold: 0, comparison: ABOVE, evaluationPeriods: 1,
        treatMissingData: NOT_BREACHING,
        meaning: () => 'Cognito throttled sign-ins or token requests: users and machine clients cannot get tokens',
        firstAction: "check the user pool's API request-rate quotas in Service Quotas and which client is calling most",
      },
    ],
  },

  // The outside-in check: the API canary's failed runs (Synthetics publishes Failed per run, by canary name,
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_metrics.html).
  canaries: {
    subject: ({ canary }) => canary,
    alarms: [
      {
        suffix: 'failed-runs', section: 'Outside-in', severity: 'critical', headline: true,
        statistic: 'Sum', period: CANARY_ALARM_WINDOW,
        metric: ({ canary }, o) => new cloudwatch.Metric({ namespace: 'CloudWatchSynthetics', metricName: 'Failed', dimensionsMap: { CanaryName: canary.canaryName }, ...o }),
        threshold: (_, canary) => canaryFailedRunsThreshold(canary), comparison: AT_LEAST, evaluationPeriods: 1,
        // A canary that reports nothing is not running: nobody is checking the API from outside.
        treatMissingData: BREACHING,
        meaning: (name, _, canary) => `canary ${name} failed ${canaryFailedRunsThreshold(canary)} or more runs in 15 minutes: the API does not answer its health route from outside`,
        firstAction: "open the canary's runs in CloudWatch Synthetics (the failed step's error and HAR), then the API access log, the WAF log and the API's custom domain and certificate",
      },
    ],
  },

  // The deployment alarms of a blue/green service: ECS rolls a release back when one fires between the start of the
  // deployment and the end of the bake time. They read both target groups, since either may hold production. They go
  // to the warning topic on ALARM and OK: a rolled-back release is news for the team that shipped it.
  releases: {
    alarms: [
      {
        suffix: 'rollback-target-5xx', section: 'Services', severity: 'warning',
        statistic: 'Sum', period: ONE_MINUTE,
        metric: (release, o) => blueAndGreen(release, 'Target 5xx', 'FILL(blue, 0) + FILL(green, 0)', (group) => group.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, o), o),
        threshold: (t) => t.serviceTarget5xxPerMinute, comparison: ABOVE, evaluationPeriods: 3, datapointsToAlarm: 2,
        treatMissingData: NOT_BREACHING, notifyOk: true,
        meaning: (name, t) => `the targets of blue/green service ${name} answered more than ${t.serviceTarget5xxPerMinute} 5xx per minute (2 of 3 minutes); during a release ECS rolls it back`,
        firstAction: "if a release is in progress, read the new revision's container logs and the service's Deployments tab; otherwise open the container logs for the alarm window",
      },
      {
        suffix: 'rollback-unhealthy-targets', section: 'Services', severity: 'warning',
        statistic: 'Maximum', period: ONE_MINUTE,
        metric: (release, o) => blueAndGreen(release, 'Unhealthy targets', 'MAX([FILL(blue, 0), FILL(green, 0)])', (group) => group.metrics.unhealthyHostCount(o), o),
        threshold: 1, comparison: AT_LEAST, evaluationPeriods: 3, datapointsToAlarm: 2,
        treatMissingData: NOT_BREACHING, notifyOk: true,
        meaning: (name, _, release) => `targets of blue/green service ${name} are failing the ${release.healthCheckPath} health check (2 of 3 minutes); during a release ECS rolls it back`,
        firstAction: `call the health check path from inside the VPC and read the failing tasks' logs and stop reasons`,
      },
      {
        suffix: 'rollback-p99-latency', section: 'Services', severity: 'warning',
        statistic: 'p99', period: ONE_MINUTE,
        metric: (release, o) => blueAndGreen(release, 'p99 target response time (s)', 'MAX([FILL(blue, 0), FILL(green, 0)])', (group) => group.metrics.targetResponseTime(o), o),
        // TargetResponseTime is in seconds.
        threshold: (t) => t.serviceP99LatencyMs / 1000, comparison: ABOVE, evaluationPeriods: 3,
        treatMissingData: NOT_BREACHING, notifyOk: true,
        meaning: (name, t) => `p99 target response time of blue/green service ${name} has been above ${t.serviceP99LatencyMs} ms for 3 minutes; during a release ECS rolls it back`,
        firstAction: "compare the new revision's latency with the old one's in the service logs, and check the downstream calls it makes",
      },
    ],
  },

  // The services' databases, caches and backup vault: ./alarm-table-data.ts.
  ...DATA_ALARM_TABLE,
};

function timeoutMs(fn: lambda.Function): number {
  return (fn.timeout ?? Duration.seconds(3)).toMilliseconds();
}

function durationLimitMs(fn: lambda.Function, t: AlarmThresholds): number {
  return Math.round(timeoutMs(fn) * t.lambdaDurationFractionOfTimeout);
}

function apiMetric(stage: apigateway.Stage, metricName: string, o: MetricOptions): cloudwatch.Metric {
  const dimensionsMap = { ApiName: restApiName(stage.restApi), Stage: stage.stageName };
  return new cloudwatch.Metric({ namespace: 'AWS/ApiGateway', metricName, dimensionsMap, ...o });
}

function restApiName(api: apigateway.IRestApi): string {
  const name = (api as { restApiName?: string | IResolvable }).restApiName;
  if (typeof name !== 'string' || Token.isUnresolved(name)) throw new Error(`API ${api.node.path} has no literal restApiName; the 5xx and latency alarms need it as a dimension`);
  return name;
}

function containerInsight(service: ecs.FargateService, metricName: string, o: MetricOptions): cloudwatch.Metric {
  const dimensionsMap = { ClusterName: service.cluster.clusterName, ServiceName: service.serviceName };
  return new cloudwatch.Metric({ namespace: 'ECS/ContainerInsights', metricName, dimensionsMap, ...o });
}

function natMetric(natGateway: ec2.CfnNatGateway, metricName: string, o: MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: 'AWS/NATGateway', metricName, dimensionsMap: { NatGatewayId: natGateway.ref }, ...o });
}

function vpnMetric(connection: ec2.CfnVPNConnection, metricName: string, o: MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: 'AWS/VPN', metricName, dimensionsMap: { VpnId: connection.ref }, ...o });
}

function resolverMetric(endpoint: route53resolver.CfnResolverEndpoint, metricName: string, o: MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: 'AWS/Route53Resolver', metricName, dimensionsMap: { EndpointId: endpoint.attrResolverEndpointId }, ...o });
}

/** One value over both target groups of a blue/green service (FILL: a group without targets publishes nothing). */
function blueAndGreen(release: BlueGreenTargets, label: string, expression: string, metric: (group: elbv2.IApplicationTargetGroup) => cloudwatch.IMetric, o: MetricOptions) {
  return new cloudwatch.MathExpression({ expression, usingMetrics: { blue: metric(release.blueTargetGroup), green: metric(release.greenTargetGroup) }, label, period: o.period });
}
