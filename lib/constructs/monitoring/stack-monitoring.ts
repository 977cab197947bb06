import { Duration, type IResolvable, Stack, Token } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct, type IConstruct } from 'constructs';
import type { AlarmThresholds } from '../../config/schema';
import type { QueueWithDlq } from '../queue-with-dlq';
import { type AlertSeverity, alertTopicFromName } from './alert-topics';

/** The dashboard rows an alarm belongs to. */
export type MonitoringSection = 'API' | 'WAF' | 'Handlers' | 'Queues' | 'Services' | 'Identity' | 'Network';

/** What the dashboard needs to know about an alarm: plain strings only, so the dashboard imports no exports. */
export interface MonitoredAlarm {
  readonly alarmName: string;
  readonly section: MonitoringSection;
  readonly severity: AlertSeverity;
  /** Graphed on the dashboard, not only listed in the status grid. */
  readonly headline: boolean;
}

export interface StackMonitoringProps {
  /** Environment name: prefixes every alarm name and is named in every description. */
  readonly environment: string;
  readonly thresholds: AlarmThresholds;
  readonly queues?: readonly QueueWithDlq[];
  readonly functions?: readonly lambda.Function[];
  readonly api?: apigateway.IRestApi;
  readonly stage?: apigateway.Stage;
  readonly webAcl?: wafv2.CfnWebACL;
  readonly services?: readonly ecs.FargateService[];
  /** Target groups of the services' load balancer (production and blue/green alternates). */
  readonly targetGroups?: readonly elbv2.IApplicationTargetGroup[];
  readonly natGateways?: readonly ec2.CfnNatGateway[];
  readonly userPool?: cognito.IUserPool;
  readonly userPoolClients?: readonly cognito.IUserPoolClient[];
}

interface AlarmSpec {
  readonly resource: IConstruct;
  /** What is measured, e.g. `dlq-visible-messages`; the alarm name ends with it. */
  readonly suffix: string;
  readonly section: MonitoringSection;
  readonly severity: AlertSeverity;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly comparison: cloudwatch.ComparisonOperator;
  readonly treatMissingData: cloudwatch.TreatMissingData;
  readonly evaluationPeriods?: number;
  /** What the alarm means, in a sentence (without the environment, which is added). */
  readonly meaning: string;
  /** The one thing to do first. */
  readonly firstAction: string;
  readonly headline?: boolean;
}

const FIVE_MINUTES = Duration.minutes(5);

/** The NAT gateways of a VPC (CDK creates them inside the public subnets and exposes no list). */
export function natGatewaysOf(vpc: ec2.IVpc): ec2.CfnNatGateway[] {
  return vpc.node.findAll().filter((child): child is ec2.CfnNatGateway => child instanceof ec2.CfnNatGateway);
}

/**
 * The alarms of one stack's resources, created IN that stack so every dimension is a local reference: each queue
 * and its DLQ, Lambda function, the API stage, the web ACL, each ECS service and target group, NAT gateways and the
 * user pool. Every alarm is named `<environment>-<stack>-<resource>-<metric>`, says what it means and what to do
 * first, goes to the critical topic (with OK notifications) or the warning topic, and treats missing data on purpose.
 * Thresholds come from `alarms.thresholds` of the environment config.
 */
export class StackMonitoring extends Construct {
  readonly alarms: MonitoredAlarm[] = [];
  private readonly environment: string;
  private readonly topics: Record<AlertSeverity, sns.ITopic>;

  constructor(scope: Construct, id: string, props: StackMonitoringProps) {
    super(scope, id);
    this.environment = props.environment;
    this.topics = {
      critical: alertTopicFromName(this, 'CriticalTopic', props.environment, 'critical'),
      warning: alertTopicFromName(this, 'WarningTopic', props.environment, 'warning'),
    };
    // No dependency on the Alerting stack either: CloudWatch accepts an action ARN before the topic exists, and a
    // dependency would tie every stack's deploy order to it (the Security stack already follows some of them).

    const t = props.thresholds;
    for (const queue of props.queues ?? []) this.monitorQueue(queue, t);
    for (const fn of props.functions ?? []) this.monitorFunction(fn, t);
    if (props.api && props.stage) this.monitorApi(props.api, props.stage, t);
    if (props.webAcl) this.monitorWebAcl(props.webAcl, t);
    for (const service of props.services ?? []) this.monitorService(service, t);
    for (const targetGroup of props.targetGroups ?? []) this.monitorTargetGroup(targetGroup, t);
    for (const natGateway of props.natGateways ?? []) this.monitorNatGateway(natGateway);
    if (props.userPool && props.userPoolClients?.length) this.monitorUserPool(props.userPool, props.userPoolClients);
  }

  private monitorQueue(queueWithDlq: QueueWithDlq, t: AlarmThresholds): void {
    const { queue, deadLetterQueue } = queueWithDlq;
    this.alarm({
      resource: queueWithDlq,
      suffix: 'oldest-message-age',
      section: 'Queues',
      severity: 'warning',
      metric: queue.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: 'Maximum' }),
      threshold: t.queueOldestMessageSeconds,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // An idle queue publishes nothing, and an idle queue is not a stuck one.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      evaluationPeriods: 2,
      meaning: `the oldest message of queue ${label(queueWithDlq)} has waited more than ${t.queueOldestMessageSeconds} s: its consumer is not draining it`,
      firstAction: 'check the consuming Lambda for errors, throttles or a disabled event source mapping',
    });
    this.alarm({
      resource: queueWithDlq,
      suffix: 'dlq-visible-messages',
      section: 'Queues',
      severity: 'critical',
      metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
      threshold: 0,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // SQS stops publishing for queues idle for hours; keep the last state so a parked message never turns OK by silence.
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      meaning: `messages of queue ${label(queueWithDlq)} failed every retry and are parked in its dead-letter queue`,
      firstAction: "read the consumer's logs for the failed message ids, fix the cause, then redrive the DLQ to its source queue",
      headline: true,
    });
  }

  private monitorFunction(fn: lambda.Function, t: AlarmThresholds): void {
    const name = label(fn);
    this.alarm({
      resource: fn,
      suffix: 'errors',
      section: 'Handlers',
      severity: 'critical',
      metric: fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: t.lambdaErrors,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No invocations, no errors.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      meaning: `function ${name} failed ${t.lambdaErrors} or more invocations in 5 minutes`,
      firstAction: "open the function's log group and search for level ERROR in the alarm window",
      headline: true,
    });
    this.alarm({
      resource: fn,
      suffix: 'throttles',
      section: 'Handlers',
      severity: 'warning',
      metric: fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 0,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      evaluationPeriods: 2,
      meaning: `function ${name} is being throttled: its reserved concurrency is exhausted`,
      firstAction: 'compare ConcurrentExecutions with the reserved concurrency and raise it only if the downstream API can take the load',
    });
    const timeoutMs = (fn.timeout ?? Duration.seconds(3)).toMilliseconds();
    const durationLimit = Math.round(timeoutMs * t.lambdaDurationFractionOfTimeout);
    this.alarm({
      resource: fn,
      suffix: 'p99-duration',
      section: 'Handlers',
      severity: 'warning',
      metric: fn.metricDuration({ period: FIVE_MINUTES, statistic: 'p99' }),
      threshold: durationLimit,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      evaluationPeriods: 3,
      meaning: `p99 duration of function ${name} is above ${durationLimit} ms, ${Math.round(t.lambdaDurationFractionOfTimeout * 100)}% of its ${timeoutMs} ms timeout`,
      firstAction: "check the latency of the downstream API it calls (X-Ray traces of the function) before raising the timeout",
    });
  }

  private monitorApi(api: apigateway.IRestApi, stage: apigateway.Stage, t: AlarmThresholds): void {
    const dimensionsMap = { ApiName: restApiName(api), Stage: stage.stageName };
    const metric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/ApiGateway', metricName, dimensionsMap, statistic, period: FIVE_MINUTES });
    this.alarm({
      resource: stage,
      suffix: '5xx-rate',
      section: 'API',
      severity: 'critical',
      // The Average of 5XXError is the fraction of requests answered with a 5xx.
      metric: metric('5XXError', 'Average'),
      threshold: t.api5xxPercent / 100,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      evaluationPeriods: 2,
      meaning: `more than ${t.api5xxPercent}% of API requests end in a 5xx`,
      firstAction: 'find the failing route in the API access log (status 5xx), then open the logs of its handler or service',
      headline: true,
    });
    this.alarm({
      resource: stage,
      suffix: '4xx-rate',
      section: 'API',
      severity: 'warning',
      metric: metric('4XXError', 'Average'),
      threshold: t.api4xxPercent / 100,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      evaluationPeriods: 3,
      meaning: `more than ${t.api4xxPercent}% of API requests are rejected with a 4xx, well above normal client errors`,
      firstAction: 'group the API access log by status and client: expired tokens, a Widget release or a scan look different',
    });
    this.alarm({
      resource: stage,
      suffix: 'p99-latency',
      section: 'API',
      severity: 'warning',
      metric: metric('Latency', 'p99'),
      threshold: t.apiP99LatencyMs,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      evaluationPeriods: 3,
      meaning: `p99 API latency is above ${t.apiP99LatencyMs} ms`,
      firstAction: 'compare Latency with IntegrationLatency: if both are high, look at the slow handler or service',
      headline: true,
    });
  }

  private monitorWebAcl(webAcl: wafv2.CfnWebACL, t: AlarmThresholds): void {
    const visibility = webAcl.visibilityConfig as wafv2.CfnWebACL.VisibilityConfigProperty;
    this.alarm({
      resource: webAcl,
      suffix: 'blocked-requests',
      section: 'WAF',
      severity: 'warning',
      // WAF publishes per web ACL under its visibility metric name; Rule=ALL sums every rule.
      metric: new cloudwatch.Metric({
        namespace: 'AWS/WAFV2',
        metricName: 'BlockedRequests',
        dimensionsMap: { WebACL: visibility.metricName, Rule: 'ALL', Region: Stack.of(this).region },
        statistic: 'Sum',
        period: FIVE_MINUTES,
      }),
      threshold: t.wafBlockedRequests,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      meaning: `the web ACL blocked more than ${t.wafBlockedRequests} requests in 5 minutes`,
      firstAction: 'open the WAF log group and group blocked requests by rule and client IP: an attack, or a rule blocking real clients',
      headline: true,
    });
  }

  private monitorService(service: ecs.FargateService, t: AlarmThresholds): void {
    const name = label(service);
    const dimensionsMap = { ClusterName: service.cluster.clusterName, ServiceName: service.serviceName };
    const insight = (metricName: string) =>
      new cloudwatch.Metric({ namespace: 'ECS/ContainerInsights', metricName, dimensionsMap, statistic: 'Average', period: FIVE_MINUTES });
    this.alarm({
      resource: service,
      suffix: 'running-below-desired',
      section: 'Services',
      severity: 'critical',
      metric: new cloudwatch.MathExpression({
        label: 'desired minus running tasks',
        expression: 'desired - running',
        usingMetrics: { desired: insight('DesiredTaskCount'), running: insight('RunningTaskCount') },
        period: FIVE_MINUTES,
      }),
      threshold: 0,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // A service that reports nothing is not known to be running.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      evaluationPeriods: 3,
      meaning: `service ${name} runs fewer tasks than desired for 15 minutes`,
      firstAction: "open the service's Events tab and its stopped tasks' stop reasons (image pull, health check, out of memory)",
      headline: true,
    });
    this.alarm({
      resource: service,
      suffix: 'cpu',
      section: 'Services',
      severity: 'warning',
      metric: service.metricCpuUtilization({ period: FIVE_MINUTES, statistic: 'Average' }),
      threshold: t.serviceCpuPercent,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      evaluationPeriods: 3,
      meaning: `CPU of service ${name} is above ${t.serviceCpuPercent}%`,
      firstAction: 'check whether autoscaling is at maxTasks; if so raise maxTasks or cpu in the environment config',
    });
    this.alarm({
      resource: service,
      suffix: 'memory',
      section: 'Services',
      severity: 'warning',
      metric: service.metricMemoryUtilization({ period: FIVE_MINUTES, statistic: 'Average' }),
      threshold: t.serviceMemoryPercent,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      evaluationPeriods: 3,
      meaning: `memory of service ${name} is above ${t.serviceMemoryPercent}%`,
      firstAction: 'look for a memory leak in the service logs and task restarts before raising memoryMiB in the config',
    });
  }

  private monitorTargetGroup(targetGroup: elbv2.IApplicationTargetGroup, t: AlarmThresholds): void {
    const name = label(targetGroup);
    this.alarm({
      resource: targetGroup,
      suffix: 'target-5xx-rate',
      section: 'Services',
      severity: 'critical',
      metric: new cloudwatch.MathExpression({
        label: 'target 5xx %',
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: {
          errors: targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: FIVE_MINUTES, statistic: 'Sum' }),
          requests: targetGroup.metrics.requestCount({ period: FIVE_MINUTES, statistic: 'Sum' }),
        },
        period: FIVE_MINUTES,
      }),
      threshold: t.api5xxPercent,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      evaluationPeriods: 2,
      meaning: `more than ${t.api5xxPercent}% of requests to target group ${name} end in a 5xx from the service`,
      firstAction: "open the service's container logs for the alarm window; if a deployment is in progress, let the rollback alarm act",
    });
    this.alarm({
      resource: targetGroup,
      suffix: 'unhealthy-targets',
      section: 'Services',
      severity: 'warning',
      metric: targetGroup.metrics.unhealthyHostCount({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 0,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // No registered targets publishes nothing; the running-tasks alarm covers a service with no tasks.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      evaluationPeriods: 5,
      meaning: `target group ${name} has had unhealthy targets for 5 minutes`,
      firstAction: "call the service's health check path from inside the VPC and read the failing tasks' logs",
    });
  }

  private monitorNatGateway(natGateway: ec2.CfnNatGateway): void {
    const name = label(natGateway);
    const metric = (metricName: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/NATGateway', metricName, dimensionsMap: { NatGatewayId: natGateway.ref }, statistic: 'Sum', period: FIVE_MINUTES });
    this.alarm({
      resource: natGateway,
      suffix: 'port-allocation-errors',
      section: 'Network',
      severity: 'warning',
      metric: metric('ErrorPortAllocation'),
      threshold: 0,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      meaning: `NAT gateway ${name} could not allocate a source port: calls to Modyo and providers from its AZ fail`,
      firstAction: 'look for a handler opening too many connections to one destination (no keep-alive, retry storm)',
    });
    this.alarm({
      resource: natGateway,
      suffix: 'packets-dropped',
      section: 'Network',
      severity: 'warning',
      metric: metric('PacketsDropCount'),
      threshold: 0,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      evaluationPeriods: 3,
      meaning: `NAT gateway ${name} has been dropping packets for 15 minutes`,
      firstAction: 'check the AWS Health dashboard for the AZ, then the gateway\'s bandwidth and connection metrics',
    });
  }

  private monitorUserPool(userPool: cognito.IUserPool, clients: readonly cognito.IUserPoolClient[]): void {
    // Cognito publishes sign-in throttles per app client; the alarm sums them (metric math allows 10 metrics).
    const usingMetrics = Object.fromEntries(
      clients.slice(0, 10).map((client, index) => [
        `c${index}`,
        new cloudwatch.Metric({
          namespace: 'AWS/Cognito',
          metricName: 'SignInThrottles',
          dimensionsMap: { UserPool: userPool.userPoolId, UserPoolClient: client.userPoolClientId },
          statistic: 'Sum',
          period: FIVE_MINUTES,
        }),
      ]),
    );
    this.alarm({
      resource: userPool,
      suffix: 'sign-in-throttles',
      section: 'Identity',
      severity: 'warning',
      metric: new cloudwatch.MathExpression({ label: 'sign-in throttles', expression: Object.keys(usingMetrics).join(' + '), usingMetrics, period: FIVE_MINUTES }),
      threshold: 0,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      meaning: 'Cognito throttled sign-ins or token requests: users and machine clients cannot get tokens',
      firstAction: "check the user pool's API request-rate quotas in Service Quotas and which client is calling most",
    });
  }

  private alarm(spec: AlarmSpec): cloudwatch.Alarm {
    if (Stack.of(spec.resource) !== Stack.of(this)) {
      throw new Error(`${spec.resource.node.path} belongs to another stack: add its StackMonitoring to the stack that owns it, so the alarm needs no cross-stack reference`);
    }
    const alarmName = `${this.environment}-${Stack.of(this).node.id}-${label(spec.resource)}-${spec.suffix}`;
    const evaluationPeriods = spec.evaluationPeriods ?? 1;
    const alarm = new cloudwatch.Alarm(this, alarmName, {
      alarmName,
      alarmDescription: `Connect ${this.environment} (${spec.severity}): ${spec.meaning}. First: ${spec.firstAction}.`,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparison,
      evaluationPeriods,
      datapointsToAlarm: evaluationPeriods,
      treatMissingData: spec.treatMissingData,
    });
    const topic = new actions.SnsAction(this.topics[spec.severity]);
    alarm.addAlarmAction(topic);
    // The on-call is told when a critical alarm clears; warnings only when they fire.
    if (spec.severity === 'critical') alarm.addOkAction(topic);
    this.alarms.push({ alarmName, section: spec.section, severity: spec.severity, headline: spec.headline ?? false });
    return alarm;
  }
}

/** A resource's construct path inside its stack, dash-joined: stable, plain and unique within the stack. */
function label(resource: IConstruct): string {
  const stackPath = Stack.of(resource).node.path;
  return resource.node.path
    .slice(stackPath.length + 1)
    .split('/')
    .filter((part) => part !== 'Resource')
    .join('-')
    .replace(/[^A-Za-z0-9_.-]/g, '');
}

function restApiName(api: apigateway.IRestApi): string {
  const name = (api as { restApiName?: string | IResolvable }).restApiName;
  if (typeof name !== 'string' || Token.isUnresolved(name)) throw new Error(`API ${api.node.path} has no literal restApiName; the 5xx and latency alarms need it as a dimension`);
  return name;
}
