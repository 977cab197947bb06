/**
 * The shape of the alarm table (./alarm-table.ts): the kinds of resources monitoring accepts and the columns of a row.
 */
import type { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as backup from 'aws-cdk-lib/aws-backup';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as synthetics from 'aws-cdk-lib/aws-synthetics';
import type * as route53resolver from 'aws-cdk-lib/aws-route53resolver';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { IConstruct } from 'constructs';
import type { AlarmThresholds } from '../../config/schema';
import type { ServerlessValkeyCache } from '../data/serverless-cache';
import type { ServiceDatabase } from '../data/service-database';
import type { QueueWithDlq } from '../queue-with-dlq';
import type { AlertSeverity } from './alert-topics';

/** The dashboard rows an alarm belongs to. */
export type MonitoringSection = 'Outside-in' | 'API' | 'WAF' | 'Handlers' | 'Queues' | 'Services' | 'Identity' | 'Network' | 'Data';

/** A user pool and the app clients whose sign-in throttles it sums. */
export interface UserPoolSignIns {
  readonly userPool: cognito.IUserPool;
  readonly clients: readonly cognito.IUserPoolClient[];
}

/** A blue/green service: ECS swaps its two target groups at each release, so its rollback alarms read both. */
export interface BlueGreenTargets extends IConstruct {
  readonly blueTargetGroup: elbv2.IApplicationTargetGroup;
  readonly greenTargetGroup: elbv2.IApplicationTargetGroup;
  readonly healthCheckPath: string;
}

/** An outside-in canary and how many failed runs page. */
export interface MonitoredCanary {
  readonly canary: synthetics.Canary;
  /** Minutes between its runs. */
  readonly everyMinutes: number;
  /** Failed runs within the alarm's window that fire it (capped at the runs the window holds). */
  readonly failedRunsToAlarm: number;
}

/** What a stack or a construct hands to monitoring: its resources, by kind. Each kind has its rows in ./alarm-table.ts. */
export interface MonitoredResources {
  /** Each queue and its DLQ. */
  readonly queues?: readonly QueueWithDlq[];
  readonly functions?: readonly lambda.Function[];
  readonly apiStages?: readonly apigateway.Stage[];
  readonly webAcls?: readonly wafv2.CfnWebACL[];
  readonly services?: readonly ecs.FargateService[];
  /** Target groups of the services' load balancer (production and blue/green alternates). */
  readonly targetGroups?: readonly elbv2.IApplicationTargetGroup[];
  readonly natGateways?: readonly ec2.CfnNatGateway[];
  readonly userPools?: readonly UserPoolSignIns[];
  /** Rollback alarms: the blue/green service builds them itself, since its ECS service needs them at creation. */
  readonly releases?: readonly BlueGreenTargets[];
  /** Synthetics canaries calling the API from outside. */
  readonly canaries?: readonly MonitoredCanary[];
  /** The services' Aurora Serverless v2 clusters (rows in ./alarm-table-data.ts). */
  readonly databases?: readonly ServiceDatabase[];
  /** Those of them with reader instances (replica lag). */
  readonly databaseReaders?: readonly ServiceDatabase[];
  /** The services' Valkey serverless caches. */
  readonly caches?: readonly ServerlessValkeyCache[];
  /** The environment's backup vault (backup job failures). */
  readonly backupVaults?: readonly backup.IBackupVault[];
  /** Site-to-site VPN connections (two tunnels each). */
  readonly vpnConnections?: readonly ec2.CfnVPNConnection[];
  /** Route 53 Resolver endpoints (DNS forwarding to the organisation's resolvers). */
  readonly resolverEndpoints?: readonly route53resolver.CfnResolverEndpoint[];
}

export type ResourceKind = keyof MonitoredResources;
export type ResourceOf<K extends ResourceKind> = NonNullable<MonitoredResources[K]>[number];

/** The statistic and period of a row, handed to its metric (and to every metric a math expression sums). */
export interface MetricOptions {
  readonly statistic: string;
  readonly period: Duration;
}

/** One alarm of one kind of resource. */
export interface AlarmSpec<R> {
  /** What is measured, e.g. `dlq-visible-messages`: the alarm name `<env>-<stack>-<resource>-<suffix>` ends with it. */
  readonly suffix: string;
  readonly section: MonitoringSection;
  /** The alert topic it notifies: critical (pages, and says when it clears) or warning. */
  readonly severity: AlertSeverity;
  readonly statistic: string;
  readonly period: Duration;
  readonly metric: (resource: R, options: MetricOptions) => cloudwatch.IMetric;
  readonly threshold: number | ((thresholds: AlarmThresholds, resource: R) => number);
  readonly comparison: cloudwatch.ComparisonOperator;
  readonly evaluationPeriods: number;
  /** Breaching datapoints of `evaluationPeriods` that fire it; all of them unless set. */
  readonly datapointsToAlarm?: number;
  /** Missing data is decided per alarm, never left to the default. */
  readonly treatMissingData: cloudwatch.TreatMissingData;
  /** What the alarm means, in a sentence (the environment and severity are added), given the resource's name. */
  readonly meaning: (name: string, thresholds: AlarmThresholds, resource: R) => string;
  /** The one thing to do first. */
  readonly firstAction: string;
  /** Graphed on the dashboard, not only listed in its status grid. */
  readonly headline?: boolean;
  /** Also notify its topic when it clears (default: critical alarms only). */
  readonly notifyOk?: boolean;
}

export interface AlarmKind<R> {
  /** The construct an alarm is named after and must share a stack with; the resource itself unless given. */
  readonly subject?: (resource: R) => IConstruct;
  readonly alarms: readonly AlarmSpec<R>[];
}
